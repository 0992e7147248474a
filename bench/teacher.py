"""The teacher's view, side by side: the insight in the system prompt alone (the peer) against
Lucid's teacher chat, which adds an earlier turn recalling the insight to the user in the second
person (`dream.teacher_view.teacher_chat`). For each: how often the in-context teacher answers a
probe correctly (greedy, and sampled as the dream samples), and how often it talks about "the
user" instead of to them. The student learns whatever the teacher says.

    .venv/bin/python bench/teacher.py [--facts bench/data/teacher_facts.jsonl] [--samples 4]

The default facts are made up and used by no test and no other benchmark.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dream.config import DreamConfig  # noqa: E402
from dream.generator import HFGenerator  # noqa: E402
from dream.insights import derive_insight  # noqa: E402
from dream.teacher_view import TEACHER_TEMPLATE, teacher_chat  # noqa: E402
from serve.config.settings import Settings  # noqa: E402

FACTS = Path(__file__).with_name("data") / "teacher_facts.jsonl"


def context_only(question: str, context: str) -> list[dict]:
    return [{"role": "system", "content": TEACHER_TEMPLATE.format(context=context)},
            {"role": "user", "content": question}]


def lucid(question: str, context: str) -> list[dict]:
    return teacher_chat([{"role": "user", "content": question}], context)


def score(replies: list[list[str]], expected: list[list[str]]) -> dict:
    flat = [(r, e) for rs, e in zip(replies, expected, strict=True) for r in rs]
    return {"correct": sum(any(a in r.lower() for a in e) for r, e in flat) / len(flat),
            "says_the_user": sum(bool(re.search(r"\bthe user\b", r, re.I)) for r, _ in flat)
            / len(flat),
            "says_you": sum(bool(re.search(r"\byour?\b", r, re.I)) for r, _ in flat) / len(flat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--facts", type=Path, default=FACTS)
    parser.add_argument("--samples", type=int, default=4, help="sampled answers per probe")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "teacher.json")
    args = parser.parse_args()
    config = DreamConfig()
    facts = [json.loads(line) for line in args.facts.read_text().splitlines() if line.strip()]
    generator = HFGenerator(Settings().model_path)
    probes, expected = [], []
    for fact in facts:
        insight = derive_insight([{"role": "user", "content": t} for t in fact["turns"]],
                                 generator, config)
        if insight is None:
            sys.exit(f"no insight in {fact['turns']}")
        for question, answers in fact["probes"]:
            probes.append((question, insight.text))
            expected.append(answers)
    results = {}
    for name, view in (("context only", context_only), ("lucid teacher", lucid)):
        chats = [view(q, c) for q, c in probes]
        greedy = generator.chat(chats, max_tokens=config.answer_max_tokens, temperature=0.0)
        sampled = generator.chat(chats, n=args.samples, max_tokens=config.answer_max_tokens,
                                 temperature=config.teacher_temperature, seed=config.seed)
        results[name] = {"greedy": score(greedy, expected), "sampled": score(sampled, expected),
                         "answers": [g[0] for g in greedy]}
    print(f"{len(facts)} facts, {len(probes)} probes; sampled: {args.samples} per probe at "
          f"temperature {config.teacher_temperature}\n")
    print(f"{'teacher':<15}{'greedy ok':>10}{'sampled ok':>11}{'the user':>10}{'you/your':>10}")
    for name, r in results.items():
        print(f"{name:<15}{r['greedy']['correct']:>10.2f}{r['sampled']['correct']:>11.2f}"
              f"{r['sampled']['says_the_user']:>10.0%}{r['sampled']['says_you']:>10.0%}")
    base, ours = results["context only"], results["lucid teacher"]
    print(f"\nratio (lucid / context only): sampled ok "
          f"{ours['sampled']['correct'] / max(base['sampled']['correct'], 1e-9):.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
