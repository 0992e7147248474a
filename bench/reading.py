"""Reading: does Lucid learn what users told it in chat, and only that? Labelled sessions written
the way people write (typos, fragments, corrections in a later session, role-play, pasted mail) go
through the reader; the statements it leaves active (after the poisoning guard) are scored for
recall, precision, old values kept after a correction, non-assertions learned and negations kept;
and what the night would practise (`dream.questions.derive` on the active statements): the share
of expected values some derived question asks (its checker accepts the value), and old values a
question would accept as right.

    .venv/bin/python bench/reading.py [--reader rules|model] [--engine-url URL] [--show-failures]
                                      [--json PATH]

The rules reader is `dream.memory.remember` (no engine needed; about a second). The model reader
(`dream.reading` with `reader = "model"`: the served model through structured outputs, checked
against the user's words, the rules where its output is unusable) reads each session on vLLM
(`--engine-url`, else one is started here with the default model); its sessions' statements then
update one memory in order, as the rules' do. Values match whole words, ignoring case and
punctuation.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dream.checkers import check, values_of  # noqa: E402
from dream.config import DreamConfig  # noqa: E402
from dream.guard import screen  # noqa: E402
from dream.memory import Memory, remember  # noqa: E402
from dream.questions import derive  # noqa: E402
from dream.reading import read_statements  # noqa: E402
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
    asked: list[str] = field(default_factory=list)
    """Expected values some question derived from the active statements asks."""
    old_asked: list[str] = field(default_factory=list)
    """Forbidden (old or never asserted) values some derived question accepts as its answer."""

    @property
    def failed(self) -> bool:
        return (len(self.found) < len(self.case["expect"]) or bool(self.forbidden)
                or self.true_statements < len(self.active) or not self.negation_kept)


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


def _guarded(statements: list[str]) -> tuple[list[str], list[str]]:
    """(active, held): the statements the poisoning guard lets through, and those it holds."""
    return ([s for s in statements if screen(s) is None],
            [s for s in statements if screen(s) is not None])


def rules_reader(sessions: list[list[dict[str, str]]]) -> tuple[list[str], list[str]]:
    return _guarded([statement for statement, _ in remember(sessions)])


def model_reader(generator: Any, sessions: list[list[dict[str, str]]]
                 ) -> tuple[list[str], list[str], Counter]:
    """The model reader over a case's sessions: (active, held) as the rules reader gives them,
    and how it read them (fallbacks, drops)."""
    config = DreamConfig(reader="model")
    counts: Counter = Counter()
    memory = Memory()
    for session in sessions:
        for statement, kind in read_statements(session, generator, config, counts).pairs:
            memory.learn(statement, kind)
    return *_guarded([statement for statement, _ in memory.pairs()]), counts


def score(case: dict[str, Any], active: list[str], held: list[str]) -> Result:
    values = [e["value"] for e in case["expect"]]
    result = Result(case, active, held)
    result.found = [v for v in values if any(contains_phrase(s, v) for s in active)]
    result.forbidden = [v for v in case["forbid"] if any(contains_phrase(s, v) for s in active)]
    result.true_statements = sum(any(contains_phrase(s, v) for v in values) for s in active)
    checkers = [d.checker for d in derive(active)]
    result.asked = [v for v in values if any(_asks(c, v) for c in checkers)]
    result.old_asked = [v for v in case["forbid"] if any(check(c, v) for c in checkers)]
    if case["negation"]:
        holding = [s for s in active if any(contains_phrase(s, v) for v in values)]
        result.negation_kept = bool(holding) and all(NEGATION.search(s) for s in holding)
    return result


def _asks(checker: dict[str, Any], value: str) -> bool:
    """Whether a question with `checker` asks for `value`: it accepts the value as the answer,
    or expects a phrase holding it ("Honda Civic" for "Civic")."""
    return check(checker, value) or any(contains_phrase(v, value) for v in values_of(checker))


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
        "asked": sum(len(r.asked) for r in results) / expected if expected else None,
        "old_asked": sum(len(r.old_asked) for r in results),
    }


TARGETS = (("recall", ">=", 0.9), ("precision", ">=", 0.95), ("old_values", "<=", 0),
           ("non_assertions_learned", "<=", 0.02), ("negations_kept", ">=", 1.0))
COLUMNS = (("cases", 5), ("turns", 5), ("statements", 6), ("held", 4), ("recall", 6),
           ("precision", 9), ("old_values", 10), ("forbid_hits", 11),
           ("non_assertions_learned", 22), ("negations_kept", 14), ("asked", 5),
           ("old_asked", 9))


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
    parser.add_argument("--engine-url", help="a running vLLM for --reader model "
                                             "(default: start one with the default model)")
    parser.add_argument("--concurrency", type=int, default=8,
                        help="cases read at once by the model reader")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--json", type=Path, help="save the numbers here")
    args = parser.parse_args()
    cases = load_cases(args.data)
    counts: Counter = Counter()
    if args.reader == "model":
        started = time.monotonic()
        with _engine(args.engine_url) as generator, ThreadPoolExecutor(args.concurrency) as pool:
            # Cases side by side: the engine batches their requests.
            read = list(pool.map(lambda case: model_reader(
                generator, [transcript(s) for s in case["sessions"]]), cases))
        results = [score(case, active, held)
                   for case, (active, held, _) in zip(cases, read, strict=True)]
        for _, _, case_counts in read:
            counts.update(case_counts)
        source = (f"dream.reading, reader model on {generator.model}, "
                  f"{time.monotonic() - started:.0f} s ({dict(counts)})")
    else:
        source = "dream.memory.remember (guarded by dream.guard.screen)"
        results = [score(case, *rules_reader([transcript(s) for s in case["sessions"]]))
                   for case in cases]
    overall = summarize(results)
    categories = {c: summarize([r for r in results if r.case["category"] == c])
                  for c in CATEGORIES}
    print(f"reader {args.reader}: {source}\ndata: {args.data} ({len(cases)} cases)\n")
    print_table(overall, categories)
    checks = check_targets(overall)
    print("\ntargets:")
    for name, target in checks.items():
        print(f"  {name:<24}{_cell(target['value'], 6)}  {target['target']:<8}"
              f"{'PASS' if target['pass'] else 'FAIL'}")
    if args.show_failures:
        print_failures(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"reader": args.reader, "source": source,
                                         "reading": dict(counts), "overall": overall,
                                         "categories": categories, "targets": checks}, indent=2))
    return 0


@contextmanager
def _engine(url: str | None) -> Iterator[Any]:
    """An EngineGenerator on `url`, or on a vLLM started here (stopped after)."""
    from serve.config.settings import Settings
    from serve.engine.generator import EngineGenerator
    from serve.engine.model_size import parameter_count
    from serve.launch.processes import EngineProcess

    settings = Settings()
    engine = None
    if not url:
        out = ROOT / "var" / "bench"
        out.mkdir(parents=True, exist_ok=True)
        engine = EngineProcess(settings, 8191, out / "vllm-reading.log")
        engine.start()
        engine.wait_ready(settings.engine_start_timeout_s)
        url = engine.url
    try:
        with EngineGenerator(url, settings.base_model_id,
                             parameters=parameter_count(settings.model_path)) as generator:
            yield generator
    finally:
        if engine is not None:
            engine.stop()


if __name__ == "__main__":
    sys.exit(main())
