"""Reading: does Lucid learn what users told it in chat, and only that? Labelled sessions written
the way people write (typos, fragments, corrections in a later session, role-play, pasted mail) go
through the reader; the statements it leaves active (after the poisoning guard) are scored for
recall, precision, old values kept after a correction, non-assertions learned and negations kept.

    .venv/bin/python bench/reading.py [--reader rules|model] [--show-failures] [--json PATH]

The rules reader is `dream.memory.remember` when that module exists, else `derive_insight` on each
session, concatenated. Values match whole words, ignoring case and punctuation. No engine needed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dream.config import DreamConfig  # noqa: E402
from dream.guard import screen  # noqa: E402
from dream.insights import derive_insight  # noqa: E402
from dream.textnorm import contains_phrase  # noqa: E402

DATA = Path(__file__).with_name("data") / "reading.jsonl"
CATEGORIES = ("fact", "embedded_fact", "correction_same_session", "correction_later_session",
              "preference", "negation", "non_assertion", "mixed")
CORRECTIONS = {"correction_same_session", "correction_later_session"}
# Typed without the apostrophe too ("dont", "wont"): that is how people write.
NEGATION = re.compile(r"n'?t\b|\b(?:not|no|never|nor|none|nothing|nobody|without|cannot|"
                      r"dont|doesnt|didnt|isnt|arent|wasnt|cant|wont|wouldnt|havent|hasnt)\b",
                      re.I)
ASSISTANT_REPLY = "Okay."

Reader = Callable[[list[list[dict[str, str]]]], tuple[list[str], list[str]]]


@dataclass
class Result:
    """One case read: the active statements, those the guard held back, and what they scored."""

    case: dict[str, Any]
    active: list[str]
    held: list[str]
    found: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    true_statements: int = 0
    negation_kept: bool = True

    @property
    def failed(self) -> bool:
        return (len(self.found) < len(self.case["expect"]) or bool(self.forbidden)
                or self.true_statements < len(self.active) or not self.negation_kept)


class NoGenerator:
    """The rules reader never calls the model (`DreamConfig.insight_summary` is off)."""

    def chat(self, conversations: list[Any], *, n: int = 1, temperature: float = 0.0,
             max_tokens: int = 128, seed: int | None = None) -> list[list[str]]:
        raise RuntimeError("the rules reader must not call a model")


def load_cases(path: Path) -> list[dict[str, Any]]:
    cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for case in cases:
        if case["category"] not in CATEGORIES:
            raise ValueError(f"{case['id']}: unknown category {case['category']!r}")
    return cases


def transcript(turns: list[str]) -> list[dict[str, str]]:
    """A session's user turns, each followed by the same short assistant reply."""
    messages = []
    for turn in turns:
        messages += [{"role": "user", "content": turn},
                     {"role": "assistant", "content": ASSISTANT_REPLY}]
    return messages


def rules_reader() -> tuple[Reader, str]:
    """The rules reader and a line saying which implementation it is."""
    try:
        from dream.memory import remember
    except ImportError:
        return _per_session, "derive_insight per session, concatenated (no dream.memory yet)"

    def read(sessions: list[list[dict[str, str]]]) -> tuple[list[str], list[str]]:
        statements = [statement for statement, _ in remember(sessions)]
        return ([s for s in statements if screen(s) is None],
                [s for s in statements if screen(s) is not None])
    return read, "dream.memory.remember (guarded by dream.guard.screen)"


def _per_session(sessions: list[list[dict[str, str]]]) -> tuple[list[str], list[str]]:
    active: list[str] = []
    held: list[dict[str, str]] = []
    for session in sessions:
        insight = derive_insight(session, NoGenerator(), DreamConfig(), held)
        active += insight.statements if insight else []
    return active, [h["text"] for h in held]


def model_reader() -> str:
    """Why this bench runs no model reader: it needs an engine, which a bench run lacks."""
    try:
        import dream.readers  # noqa: F401
    except ImportError:
        return "not available without an engine (no dream.readers module)"
    return "dream.readers exists but needs an engine; not run by this bench"


def score(case: dict[str, Any], active: list[str], held: list[str]) -> Result:
    values = [e["value"] for e in case["expect"]]
    result = Result(case, active, held)
    result.found = [v for v in values if any(contains_phrase(s, v) for s in active)]
    result.forbidden = [v for v in case["forbid"] if any(contains_phrase(s, v) for s in active)]
    result.true_statements = sum(any(contains_phrase(s, v) for v in values) for s in active)
    if case["negation"]:
        holding = [s for s in active if any(contains_phrase(s, v) for v in values)]
        result.negation_kept = bool(holding) and all(NEGATION.search(s) for s in holding)
    return result


def summarize(results: list[Result]) -> dict[str, Any]:
    """The five scores (None where a group has nothing to score) and the counts behind them."""
    expected = sum(len(r.case["expect"]) for r in results)
    statements = sum(len(r.active) for r in results)
    non_assertions = [r for r in results if r.case["category"] == "non_assertion"]
    negations = [r for r in results if r.case["negation"]]
    return {
        "cases": len(results),
        "turns": sum(len(s) for r in results for s in r.case["sessions"]),
        "statements": statements,
        "held": sum(len(r.held) for r in results),
        "recall": sum(len(r.found) for r in results) / expected if expected else None,
        "precision": sum(r.true_statements for r in results) / statements if statements else None,
        "old_values": sum(len(r.forbidden) for r in results
                          if r.case["category"] in CORRECTIONS),
        "forbid_hits": sum(len(r.forbidden) for r in results),
        "non_assertions_learned": (sum(bool(r.active) for r in non_assertions)
                                   / len(non_assertions) if non_assertions else None),
        "negations_kept": (sum(r.negation_kept for r in negations) / len(negations)
                           if negations else None),
    }


TARGETS = (("recall", ">=", 0.9), ("precision", ">=", 0.95), ("old_values", "<=", 0),
           ("non_assertions_learned", "<=", 0.02), ("negations_kept", ">=", 1.0))
COLUMNS = (("cases", 5), ("turns", 5), ("statements", 6), ("held", 4), ("recall", 6),
           ("precision", 9), ("old_values", 10), ("forbid_hits", 11),
           ("non_assertions_learned", 22), ("negations_kept", 14))


def _cell(value: Any, width: int) -> str:
    text = "-" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)
    return text.rjust(width)


def print_table(overall: dict[str, Any], categories: dict[str, dict[str, Any]]) -> None:
    print("category".ljust(26) + " ".join(name.rjust(width) for name, width in COLUMNS))
    for name, row in [*categories.items(), ("overall", overall)]:
        print(name.ljust(26) + " ".join(_cell(row[c], width) for c, width in COLUMNS))


def check_targets(overall: dict[str, Any]) -> dict[str, dict[str, Any]]:
    checks = {}
    for name, op, target in TARGETS:
        value = overall[name]
        passed = value is not None and (value >= target if op == ">=" else value <= target)
        checks[name] = {"value": value, "target": f"{op} {target}", "pass": passed}
    return checks


def print_failures(results: list[Result]) -> None:
    for r in (r for r in results if r.failed):
        missing = [e["value"] for e in r.case["expect"] if e["value"] not in r.found]
        print(f"\n[{r.case['category']}] {r.case['id']}")
        for i, session in enumerate(r.case["sessions"], 1):
            print(f"  session {i}: " + " | ".join(t.replace("\n", " ") for t in session))
        print(f"  missing: {missing}  forbidden kept: {r.forbidden}"
              + ("" if r.negation_kept else "  negation lost"))
        for statement in r.active:
            print(f"  active: {statement}")
        for statement in r.held:
            print(f"  held:   {statement}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reader", choices=("rules", "model"), default="rules")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--json", type=Path, help="save the numbers here")
    args = parser.parse_args()
    if args.reader == "model":
        print(f"reader model: {model_reader()}")
        return 2
    reader, source = rules_reader()
    cases = load_cases(args.data)
    results = [score(case, *reader([transcript(s) for s in case["sessions"]])) for case in cases]
    overall = summarize(results)
    categories = {c: summarize([r for r in results if r.case["category"] == c])
                  for c in CATEGORIES}
    print(f"reader rules: {source}\ndata: {args.data} ({len(cases)} cases)\n")
    print_table(overall, categories)
    checks = check_targets(overall)
    print("\ntargets:")
    for name, check in checks.items():
        print(f"  {name:<24}{_cell(check['value'], 6)}  {check['target']:<8}"
              f"{'PASS' if check['pass'] else 'FAIL'}")
    if args.show_failures:
        print_failures(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"reader": "rules", "source": source, "overall": overall,
                                         "categories": categories, "targets": checks}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
