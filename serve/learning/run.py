"""One learning run: collect -> dream -> distill -> gate -> promote (`serve.learning.stages`);
when the gate refuses for damage, train again without the statements it points at
(`serve.learning.deferral`), which wait for later nights. A dry run stops after the dream.

Called by the Celery task `lucid.learn`. Every stage publishes its progress on the run row and is
safe to repeat: a re-delivered task re-derives what it had not stored. Nothing is promoted before
the gate passes, and a crash never leaves a half-written adapter serving.
"""

from __future__ import annotations

import logging
from typing import Any

from distill.config import LearningConfig
from distill.gate import Verdict
from dream.generator import Generator
from serve.config.settings import Settings
from serve.learning.deferral import Outcome, give_up, learn_safely, record
from serve.learning.stages import (
    Candidate,
    LearningRun,
    Practice,
    collect,
    distill,
    dream,
    gate,
    promote,
)
from store.runs import RunBusy, RunStore
from store.sessions import DEFAULT_TENANT_ID

log = logging.getLogger(__name__)


def run_learning(settings: Settings, run_id: int | None = None, trigger: str = "manual",
                 task_id: str | None = None, tenant_id: int = DEFAULT_TENANT_ID,
                 generator: Generator | None = None) -> dict[str, Any]:
    """Run `run_id` (its own tenant's), or a new run of `tenant_id`. `generator`: the model the
    dream asks, when not the one the settings name (the engine, else transformers)."""
    store = RunStore.connect(settings.database_url or "", tenant_id)
    try:
        if run_id is not None:
            store = store.for_tenant(store.tenant_of(run_id))
        else:
            run_id = store.create(trigger)
        try:
            row = store.claim(run_id, task_id)
        except RunBusy as exc:
            if store.get(run_id)["status"] == "queued":
                store.finish(run_id, "cancelled", error=str(exc))
            return {"run_id": run_id, "status": "skipped", "reason": str(exc)}
        try:
            run = LearningRun(settings, store, run_id, _config(settings, store, run_id),
                              row["dry_run"], generator)
            metrics = _stages(run)
        except Exception as exc:
            log.exception("learning run %s failed", run_id)
            store.finish(run_id, "failed", error=f"{type(exc).__name__}: {exc}")
            return {"run_id": run_id, "status": "failed", "error": str(exc)}
        finally:
            store.release()
        store.finish(run_id, "succeeded", metrics)
        return {"run_id": run_id, "status": "succeeded", **metrics}
    finally:
        store.close()


def _config(settings: Settings, store: RunStore, run_id: int) -> LearningConfig:
    """The run's config (the defaults with the settings' overrides), kept on its row."""
    config = LearningConfig.from_overrides(settings.learn_overrides)
    store.set_config(run_id, config.to_dict())
    return config


def _stages(run: LearningRun) -> dict[str, Any]:
    """The stages in order; the run's metrics. With no new sessions, or sessions that taught
    nothing, it stops early and the sessions count as consumed. A dry run stops after the dream
    and consumes nothing: the sessions are there for the next run."""
    collected = collect(run)
    if not collected:
        return {"sessions": 0, "sessions_consumed": not run.dry_run, "promoted": False,
                "note": "no new sessions to learn from"}
    practice = dream(run, collected)
    read = {"feedback": collected.feedback}  # down-rated answers read with their sessions
    if run.dry_run:
        return {**_dry_metrics(run, practice), **read}
    if not practice.teaches():
        return {"sessions": practice.sessions, "insights": 0, "sessions_consumed": True,
                "promoted": False, "note": "the sessions taught nothing to learn", **read}
    def train_and_gate(practice: Practice) -> tuple[Candidate, Verdict, int]:
        candidate = distill(run, practice)
        return candidate, *gate(run, candidate, practice)

    outcome = learn_safely(run, Outcome(practice, *train_and_gate(practice)), train_and_gate)
    promoted = promote(run, outcome.candidate, outcome.verdict, outcome.erased)
    if promoted:
        record(run, practice, outcome)
    given_up = [] if outcome.verdict.passed else give_up(run, outcome.verdict)
    return {**_metrics(run, outcome, promoted), "sessions_given_up": given_up, **read}


def _dry_metrics(run: LearningRun, practice: Practice) -> dict[str, Any]:
    """What the run row keeps of a dry run: what the dream derived, and that nothing was
    trained, promoted or consumed."""
    result = practice.result
    return {"sessions": practice.sessions,
            "insights": sum(1 for i in result.insights.values() if i),
            "train_examples": len(practice.train), "heldout": len(practice.heldout),
            "sessions_consumed": False, "promoted": False, "dream": result.stats(),
            "note": "dry run: insights and practice stored; nothing trained or promoted",
            "seconds": run.elapsed()}


def _metrics(run: LearningRun, outcome: Outcome, promoted: bool) -> dict[str, Any]:
    """What the run row keeps of a run that trained: each stage's counts, the gate's scores and
    reasons, the statements learned and deferred, and the outcome."""
    practice, candidate, verdict, erased = (outcome.practice, outcome.candidate,
                                            outcome.verdict, outcome.erased)
    result, report = practice.result, candidate.report
    return {**outcome.report(), "sessions": practice.sessions,
            "insights": sum(1 for i in result.insights.values() if i),
            "train_examples": len(practice.train), "heldout": len(practice.heldout),
            "version": candidate.version["name"], "from_base": practice.from_base,
            "gate_passed": verdict.passed, "sessions_consumed": verdict.passed,
            "gate_reasons": verdict.reasons, "locality": verdict.details.get("locality"),
            "earlier": verdict.details.get("earlier"),
            "candidate": verdict.candidate, "current": verdict.current, "promoted": promoted,
            "pinned": candidate.pinned, "dream": result.stats(), "erased_during_run": erased,
            "train_seconds": round(report.seconds, 1), "train_steps": report.steps,
            "train_step_limit": report.step_limit, "train_stopped": report.stopped,
            "train_answered": report.answered, "train_unanswered": report.unanswered,
            "teacher_passes": report.teacher_passes,
            "teacher_rows_checked": report.teacher_rows,
            "teacher_rows_rejected": report.teacher_rejected,
            "seconds": run.elapsed()}
