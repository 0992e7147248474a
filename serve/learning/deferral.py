"""A refused night still learns what it safely can.

When the gate refuses a candidate because answers it must keep changed (general or neighbour
answers, `distill.locality`), the changes point at statements (`distill.attribution`): a changed
neighbour at the statement it sits beside, a changed general answer at the statements sharing its
relation. The run trains again without them (`dream.narrowing`), their anchors still in, up to
`GateConfig.retries` times. Damage that points at no statement (a general answer of another kind
changed) cannot be undone by leaving statements out: the run trains again once with more
general prompts, whose teacher is the model as it is, to hold it nearer to what it was.

Not all changes are alike (`distill.locality.damage`): an answer that brings in what a
statement taught, or takes the teacher's recap form, shows that statement leaking; a right
answer merely lost beside it ("the capital of Indonesia" rambling past its length) may be drift
that anchors hold back. So the first retry leaves out only the leaking statements and trains the
others again with more anchors beside them (`dream.pipeline.more_anchors`); a later retry leaves
out whatever is still blamed. When a candidate then passes, what it left out is stored as
deferred insights with the changed answers as the reason; later nights read them again like a
session, with their own anchors, and after `GateConfig.deferral_nights` nights that could not
learn them they are rejected for an operator to review (`GET
/admin/insights?status=deferred|rejected`).

A run the gate refuses as a whole leaves its sessions for the next night; after
`GateConfig.refused_nights` such runs a session is given up (`give_up`), so one that cannot be
learned does not hold every later night back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from distill.attribution import STRONG, culprits, refused_for_damage
from distill.gate import Verdict
from distill.trainer import PracticeExample
from dream.datasets import load_general_prompts
from dream.insights import render
from dream.narrowing import without_statements
from dream.pipeline import more_anchors
from serve.learning.stages import DEFERRED, Candidate, LearningRun, Practice, practice_of

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """The last candidate and its verdict, the practice it was trained on, and the statements
    left out, each with the changed answers that pointed at it."""

    practice: Practice
    candidate: Candidate
    verdict: Verdict
    erased: int
    held: dict[str, list[str]] = field(default_factory=dict)
    attempts: int = 1

    def report(self) -> dict:
        return {"trainings": self.attempts, "statements_learned": self.practice.result.statements(),
                "statements_deferred": [{"statement": s, "changed": c[:5]}
                                        for s, c in self.held.items()]}


Retrain = Callable[[Practice], tuple[Candidate, Verdict, int]]
"""Train a candidate on a practice set and gate it: (candidate, verdict, sessions erased)."""


def anchored_harder(practice: Practice) -> Practice | None:
    """The same practice with more general prompts, whose teacher is the model as it is (no
    context): at least as many again as it had, at least `MIN_EXTRA_GENERAL`, from the shipped
    set's prompts it did not use (None when none is left)."""
    used = {_asked(example.prompt) for example in practice.train}
    unused = [p for p in load_general_prompts() if _asked([{"role": "user", "content": p}])
              not in used]
    had = sum(1 for example in practice.train if not example.context and not example.checker)
    extra = unused[:max(had, MIN_EXTRA_GENERAL)]
    if not extra:
        return None
    return replace(practice, train=[*practice.train, *(
        PracticeExample([{"role": "user", "content": p}]) for p in extra)])


MIN_EXTRA_GENERAL = 8


def _asked(prompt: list[dict]) -> str:
    return " ".join(str(prompt[-1].get("content", "")).lower().split()) if prompt else ""


def learn_safely(run: LearningRun, first: Outcome, retrain: Retrain) -> Outcome:
    """Train again without the statements a refusal for damage points at, while retries last
    and something is left to learn; when the damage points at no statement, train again once
    anchored harder (`anchored_harder`)."""
    outcome = first
    anchored = reinforced = False
    for _ in range(run.config.gate.retries):
        verdict = outcome.verdict
        if verdict.passed or outcome.erased or not refused_for_damage(verdict.kinds):
            break
        statements = outcome.practice.result.statements()
        locality = verdict.details.get("locality", {})
        blame = culprits(locality, statements)
        strong = culprits(locality, statements, STRONG)
        weak = [s for s in blame if s not in strong]
        if weak and not reinforced:
            # A right answer lost beside a statement, nothing it taught in the new answer: train
            # again with it, anchored harder, leaving out only what leaked.
            reinforced = True
            result = without_statements(outcome.practice.result, set(strong)) if strong \
                else outcome.practice.result
            dream_config = run.config.dream
            result = more_anchors(result, weak, max(dream_config.anchors_per_statement,
                                                    dream_config.relation_anchors), dream_config)
            practice = practice_of(outcome.practice.sessions, result,
                                   outcome.practice.insight_ids, outcome.practice.from_base)
            if not practice.teaches() or not practice.heldout:
                break
            log.info("run %s: training again without %d statements, %d anchored harder",
                     run.run_id, len(strong), len(weak))
            run.progress("retrain", without=len(strong), anchored=len(weak))
            candidate, verdict, erased = retrain(practice)
            outcome = Outcome(practice, candidate, verdict, erased, {**outcome.held, **strong},
                              outcome.attempts + 1)
            continue
        if not blame and not anchored:
            harder = anchored_harder(outcome.practice)
            if harder is None:
                break
            anchored = True
            added = len(harder.train) - len(outcome.practice.train)
            log.info("run %s: the damage points at no statement; training again with %d more "
                     "general prompts", run.run_id, added)
            run.progress("retrain", general_added=added)
            candidate, verdict, erased = retrain(harder)
            outcome = Outcome(harder, candidate, verdict, erased, outcome.held,
                              outcome.attempts + 1)
            continue
        if not blame or set(blame) >= set(statements):
            break  # nothing to leave out, or nothing left to learn
        result = without_statements(outcome.practice.result, set(blame))
        practice = practice_of(outcome.practice.sessions, result, outcome.practice.insight_ids,
                               outcome.practice.from_base)
        if not practice.teaches() or not practice.heldout:
            break
        log.info("run %s: training again without %d statements: %s", run.run_id, len(blame),
                 list(blame))
        run.progress("retrain", without=len(blame))
        candidate, verdict, erased = retrain(practice)
        outcome = Outcome(practice, candidate, verdict, erased, {**outcome.held, **blame},
                          outcome.attempts + 1)
    return outcome


def record(run: LearningRun, tried: Practice, outcome: Outcome) -> None:
    """After a promoted run: the statements it left out wait as deferred insights, and the
    deferred insights it tried again are learned, or tried one night more."""
    nights = run.config.gate.deferral_nights
    for session_id, insight in tried.result.insights.items():
        row = tried.insight_ids.get(session_id)
        if row is None:
            continue
        left = [s for s in insight.statements if s in outcome.held]
        learned = [s for s in insight.statements if s not in outcome.held]
        reason = "; ".join(c for s in left for c in outcome.held[s])[:2000] or None
        if session_id.startswith(DEFERRED):
            run.store.settle_deferred(row, run.run_id, render(learned) if learned else None,
                                      render(left) if left else None, reason, nights)
        elif left:
            run.store.defer(row, render(left), render(learned) if learned else None,
                            reason or "changed answers it must keep")


def give_up(run: LearningRun, verdict: Verdict) -> list[str]:
    """After a refused run: the sessions that `refused_nights` refused runs have now taken are
    given up, their insights of this run rejected with the gate's reasons (an operator may
    release them). Their public ids."""
    nights = run.config.gate.refused_nights
    reason = (f"refused by the gate on {nights} night{'s' if nights > 1 else ''}: "
              + "; ".join(verdict.reasons))[:2000]
    given_up = run.store.give_up(run.run_id, nights, reason)
    if given_up:
        log.warning("run %s: gave up %d sessions after %d refused nights", run.run_id,
                    len(given_up), nights)
    return given_up
