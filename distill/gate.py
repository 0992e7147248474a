"""The promotion gate: did the candidate adapter learn, and did it forget?

It measures the candidate and the adapter serving now (or the base model) on the same things:
accuracy on this run's held-out practice questions asked WITHOUT context (learning), accuracy on
the shipped general regression set, perplexity on a shipped general text (forgetting), and the
share of general answers in the teacher's recap form. It compares their answers to the run's
held-out neighbour questions and the regression set (locality, `distill.locality`): most
neighbour answers must be unchanged, and the verdict names every answer that changed. It asks
both a sample of earlier nights' held-out questions (retention, `distill.retention`): the
candidate may lose only a bounded share of the earlier facts the serving adapter answers.
It promotes only when learning improved by a margin and every forgetting measure stayed within
its bound (the margins of `distill.config.GateConfig`). All numbers are stored on the
adapter version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from distill.config import GateConfig
from distill.evaluate import answer, load_for_eval, perplexity
from distill.locality import MAX_NAMED, Asked, changed, taught_names, unchanged_share
from distill.retention import Earlier, report
from dream.answer_form import in_recap_form
from dream.checkers import check
from dream.datasets import load_general_text, load_regression_set


@dataclass(frozen=True)
class Probe:
    """A question asked without context, and how to check the answer."""

    prompt: list[dict]
    checker: dict


@dataclass(frozen=True)
class Reason:
    """Why the gate refused, for code (`kind`) and for an operator (`text`)."""

    kind: str
    """One of KINDS."""
    text: str


KINDS = ("no_heldout", "learning", "regression", "perplexity", "neighbours", "recap", "earlier")
"""What a refusal is about: nothing held out, too little learned, general accuracy fell,
perplexity rose, neighbour answers changed, general answers took the recap form, facts of
earlier nights were lost."""


@dataclass
class Verdict:
    passed: bool
    reasons: list[str]
    """What the operator reads, one line per refusal."""
    candidate: dict[str, float]
    current: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    """The refusals' kinds (KINDS), in the order of `reasons`."""

    def metrics(self) -> dict[str, Any]:
        return asdict(self)


def _accuracy(model, tokenizer, probes: list[Probe], max_new_tokens: int) -> tuple[float, list]:
    if not probes:
        return 0.0, []
    replies = answer(model, tokenizer, [p.prompt for p in probes], max_new_tokens)
    passed = [check(p.checker, r) for p, r in zip(probes, replies, strict=True)]
    return sum(passed) / len(probes), list(zip(replies, passed, strict=True))


def measure(base_model: str, adapter: Path | None, heldout: list[Probe], config: GateConfig,
            neighbours: list[Asked] = (), earlier: list[Earlier] = ()
            ) -> tuple[dict[str, float], dict[str, Any]]:
    """Held-out accuracy, regression accuracy, general perplexity and the recap-form share of
    general answers of base (+ adapter); its answers to the held-out, regression, neighbour and
    earlier nights' questions in the details."""
    model, tokenizer = load_for_eval(base_model, adapter, config.dtype, config.device)
    regression = [Probe([{"role": "user", "content": q["question"]}], q["checker"])
                  for q in load_regression_set()]
    learned, learned_rows = _accuracy(model, tokenizer, heldout, config.max_new_tokens)
    general, general_rows = _accuracy(model, tokenizer, regression, config.max_new_tokens)
    near = answer(model, tokenizer, [[{"role": "user", "content": n.question}]
                                     for n in neighbours], config.max_new_tokens) \
        if neighbours else []
    _, earlier_rows = _accuracy(model, tokenizer, [Probe(e.prompt, e.checker) for e in earlier],
                                config.max_new_tokens)
    ppl = perplexity(model, tokenizer, [load_general_text()])
    general_answers = [r for r, _ in general_rows] + near
    recap = sum(map(in_recap_form, general_answers)) / max(1, len(general_answers))
    scores = {"heldout_accuracy": learned, "regression_accuracy": general, "perplexity": ppl,
              "recap_share": recap}
    return scores, {"heldout_answers": [r for r, _ in learned_rows][:50],
                    "regression_answers": [r for r, _ in general_rows],
                    "neighbour_answers": near, "earlier_rows": earlier_rows}


def decide(candidate: dict[str, float], current: dict[str, float], config: GateConfig,
           heldout_count: int, neighbours_unchanged: float = 1.0,
           earlier_lost: float = 0.0) -> tuple[bool, list[Reason]]:
    """Whether the candidate may be promoted, and why not. `earlier_lost` is the share of the
    earlier facts the serving adapter answers that the candidate does not."""
    reasons = []
    gain = candidate["heldout_accuracy"] - current["heldout_accuracy"]
    if heldout_count == 0:
        reasons.append(Reason("no_heldout", "no held-out questions: nothing shows that it "
                                            "learned"))
    elif gain < config.min_learning_gain:
        reasons.append(Reason("learning", f"held-out accuracy gain {gain:+.2f} < "
                                          f"{config.min_learning_gain:.2f}"))
    drop = current["regression_accuracy"] - candidate["regression_accuracy"]
    if drop > config.max_regression_drop:
        reasons.append(Reason("regression", f"regression accuracy fell {drop:.2f} > "
                                            f"{config.max_regression_drop:.2f}"))
    rise = candidate["perplexity"] / current["perplexity"] - 1
    if rise > config.max_perplexity_increase:
        limit = config.max_perplexity_increase
        reasons.append(Reason("perplexity", f"general perplexity rose {rise:+.1%} > {limit:.0%}"))
    if neighbours_unchanged < config.min_neighbours_unchanged:
        reasons.append(Reason("neighbours", f"neighbour answers unchanged "
                                            f"{neighbours_unchanged:.0%} < "
                                            f"{config.min_neighbours_unchanged:.0%}"))
    more_recaps = candidate.get("recap_share", 0.0) - current.get("recap_share", 0.0)
    if more_recaps > config.max_recap_increase:
        reasons.append(Reason("recap", f"general answers in recap form rose {more_recaps:+.0%} "
                                       f"> {config.max_recap_increase:.0%}"))
    if earlier_lost > config.max_earlier_lost:
        reasons.append(Reason("earlier", f"facts of earlier nights lost {earlier_lost:.0%} > "
                                         f"{config.max_earlier_lost:.0%}"))
    return not reasons, reasons


def locality(neighbours: list[Asked], cand_details: dict[str, Any],
             cur_details: dict[str, Any], statements: list[str] = ()) -> dict[str, Any]:
    """What the candidate changed (`distill.locality`): the unchanged shares, and the changed
    answers by name; `statements` are what the run taught."""
    taught = taught_names([*statements, *(n.beside for n in neighbours if n.beside)])
    general = [Asked(q["question"], q["checker"]) for q in load_regression_set()]
    before_n, after_n = cur_details["neighbour_answers"], cand_details["neighbour_answers"]
    before_g, after_g = cur_details["regression_answers"], cand_details["regression_answers"]
    return {"neighbours": len(neighbours),
            "neighbours_unchanged": round(unchanged_share(neighbours, before_n, after_n,
                                                          taught), 4),
            "general_unchanged": round(unchanged_share(general, before_g, after_g, taught), 4),
            "changed_neighbours": changed(neighbours, before_n, after_n, taught)[:MAX_NAMED],
            "changed_general": changed(general, before_g, after_g, taught)[:MAX_NAMED]}


def evaluate_candidate(base_model: str, candidate: Path, current: Path | None,
                       heldout: list[Probe], config: GateConfig,
                       neighbours: list[Asked] = (), statements: list[str] = (),
                       earlier: list[Earlier] = ()) -> Verdict:
    """Measure both, decide; `neighbours` are the run's held-out neighbour questions,
    `statements` what it taught (for the locality check) and `earlier` earlier nights' held-out
    questions (for the retention check)."""
    neighbours, earlier = list(neighbours), list(earlier)
    cand_scores, cand_details = measure(base_model, candidate, heldout, config, neighbours,
                                        earlier)
    cur_scores, cur_details = measure(base_model, current, heldout, config, neighbours, earlier)
    near = locality(neighbours, cand_details, cur_details, list(statements))
    kept = report(earlier, cur_details["earlier_rows"], cand_details["earlier_rows"])
    passed, reasons = decide(cand_scores, cur_scores, config, len(heldout),
                             near["neighbours_unchanged"], kept["lost_share"])
    return Verdict(passed, [r.text for r in reasons], cand_scores, cur_scores,
                   {"heldout_count": len(heldout), "locality": near, "earlier": kept,
                    "candidate": {"heldout_answers": cand_details["heldout_answers"]},
                    "current": {"heldout_answers": cur_details["heldout_answers"]}},
                   [r.kind for r in reasons])
