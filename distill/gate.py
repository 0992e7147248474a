"""The promotion gate: did the candidate adapter learn, and did it forget?

It measures the candidate and the adapter serving now (or the base model) on the same things:
accuracy on this run's held-out practice questions asked WITHOUT context (learning), accuracy on
the shipped general regression set, and perplexity on a shipped general text (forgetting).
It promotes only when learning improved by a margin and both forgetting measures stayed within
their bounds (the margins of `distill.config.GateConfig`). All numbers are stored on the
adapter version.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from distill.config import GateConfig
from distill.evaluate import answer, load_for_eval, perplexity
from dream.checkers import check
from dream.datasets import load_general_text, load_regression_set


@dataclass(frozen=True)
class Probe:
    """A question asked without context, and how to check the answer."""

    prompt: list[dict]
    checker: dict


@dataclass
class Verdict:
    passed: bool
    reasons: list[str]
    candidate: dict[str, float]
    current: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)

    def metrics(self) -> dict[str, Any]:
        return asdict(self)


def _accuracy(model, tokenizer, probes: list[Probe], max_new_tokens: int) -> tuple[float, list]:
    if not probes:
        return 0.0, []
    replies = answer(model, tokenizer, [p.prompt for p in probes], max_new_tokens)
    passed = [check(p.checker, r) for p, r in zip(probes, replies, strict=True)]
    return sum(passed) / len(probes), list(zip(replies, passed, strict=True))


def measure(base_model: str, adapter: Path | None, heldout: list[Probe],
            config: GateConfig) -> tuple[dict[str, float], dict[str, Any]]:
    """Held-out accuracy, regression accuracy and general perplexity of base (+ adapter)."""
    model, tokenizer = load_for_eval(base_model, adapter, config.dtype, config.device)
    regression = [Probe([{"role": "user", "content": q["question"]}], q["checker"])
                  for q in load_regression_set()]
    learned, learned_rows = _accuracy(model, tokenizer, heldout, config.max_new_tokens)
    general, _ = _accuracy(model, tokenizer, regression, config.max_new_tokens)
    ppl = perplexity(model, tokenizer, [load_general_text()])
    scores = {"heldout_accuracy": learned, "regression_accuracy": general, "perplexity": ppl}
    return scores, {"heldout_answers": [r for r, _ in learned_rows][:50]}


def decide(candidate: dict[str, float], current: dict[str, float], config: GateConfig,
           heldout_count: int) -> tuple[bool, list[str]]:
    reasons = []
    gain = candidate["heldout_accuracy"] - current["heldout_accuracy"]
    if heldout_count == 0:
        reasons.append("no held-out questions: nothing shows that it learned")
    elif gain < config.min_learning_gain:
        reasons.append(f"held-out accuracy gain {gain:+.2f} < {config.min_learning_gain:.2f}")
    drop = current["regression_accuracy"] - candidate["regression_accuracy"]
    if drop > config.max_regression_drop:
        reasons.append(f"regression accuracy fell {drop:.2f} > {config.max_regression_drop:.2f}")
    rise = candidate["perplexity"] / current["perplexity"] - 1
    if rise > config.max_perplexity_increase:
        limit = config.max_perplexity_increase
        reasons.append(f"general perplexity rose {rise:+.1%} > {limit:.0%}")
    return not reasons, reasons


def evaluate_candidate(base_model: str, candidate: Path, current: Path | None,
                       heldout: list[Probe], config: GateConfig) -> Verdict:
    cand_scores, cand_details = measure(base_model, candidate, heldout, config)
    cur_scores, cur_details = measure(base_model, current, heldout, config)
    passed, reasons = decide(cand_scores, cur_scores, config, len(heldout))
    return Verdict(passed, reasons, cand_scores, cur_scores,
                   {"heldout_count": len(heldout), "candidate": cand_details,
                    "current": cur_details})
