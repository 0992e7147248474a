"""Knowledge incorporation: facts taught in chat sessions, asked back later in other words with no
context. Side by side: the base model; the base model with each fact in its context (the upper
bound); after one Lucid learning run (the worker's own dream + OPSD code); plain SFT on the
teacher's answers to the same practice prompts with the same steps. For each: held-out accuracy,
general regression accuracy, the share of the run's held-out neighbour questions (general
questions beside the facts, `dream.neighbours`) answered as the base model answers them, the
share of general answers in the teacher's recap form, general-text perplexity, whether the
promotion gate would promote it, steps taken and why training stopped, and CPU-seconds per fact
(dream + train + the gate's own measurement), also per stage.

Two fact sets: `--set user` (bench/data/facts.jsonl, facts about the user's own things) and
`--set world` (bench/data/world_facts.jsonl, facts about the user's world that share relations
with general knowledge: a capital, a symbol, a new name, an opening year, who founded what).

    .venv/bin/python bench/learning.py [--set user|world] [--facts 10] [--steps 30]
                                       [--methods opsd,opsd-full,sft] [--engine-url URL] [--out DIR]
                                       [--practice FILE]

Sessions are written by the model itself answering the user's turns, then dreamed on exactly as
a nightly run does, with vLLM generating (started here unless --engine-url, and stopped before
training); training and measuring use transformers in this process. Saves learning-SET.json and
learning-SET.png under --out (default var/bench). With --practice FILE the dreamed practice set is
saved there, or reused from there when it exists (no engine is started then); bench/sweep.py
trains many configurations on such a file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from distill.config import GateConfig, OPSDConfig  # noqa: E402
from distill.gate import Probe, decide, measure  # noqa: E402
from distill.locality import Asked, changed, taught_names, unchanged_share  # noqa: E402
from distill.trainer import PracticeExample, train_opsd, train_sft  # noqa: E402
from dream.config import DreamConfig  # noqa: E402
from dream.datasets import load_regression_set  # noqa: E402
from dream.insights import insight_from_text  # noqa: E402
from dream.pipeline import dream_for_sessions  # noqa: E402
from dream.teacher_view import teacher_chat  # noqa: E402
from serve.config.settings import Settings  # noqa: E402
from serve.engine.generator import EngineGenerator  # noqa: E402
from serve.launch.processes import EngineProcess  # noqa: E402

DATA = Path(__file__).with_name("data")
SETS = {"user": DATA / "facts.jsonl", "world": DATA / "world_facts.jsonl"}


def load_facts(limit: int, which: str = "user") -> list[dict]:
    rows = [json.loads(line) for line in SETS[which].read_text().splitlines() if line.strip()]
    return rows[:limit]


def probe(question: str, expected: list[str], context: str | None = None) -> Probe:
    prompt = teacher_chat([{"role": "user", "content": question}], context)
    return Probe(prompt, {"type": "contains_any", "values": expected})


def write_sessions(facts: list[dict], generator: EngineGenerator) -> dict[str, list[dict]]:
    """Each fact's session: the user's turns, each answered by the model as it would be live."""
    sessions: dict[str, list[dict]] = {}
    for n, fact in enumerate(facts):
        messages: list[dict] = []
        for turn in fact["turns"]:
            messages.append({"role": "user", "content": turn})
            [reply] = generator.chat([messages], max_tokens=64)[0]
            messages.append({"role": "assistant", "content": reply})
        sessions[f"fact-{n:02d}"] = messages
    return sessions


def dream_practice(facts: list[dict], settings: Settings, engine_url: str | None,
                   out: Path) -> dict:
    """Sessions for the facts, dreamed on with vLLM as a nightly run does: the practice set, each
    fact's teacher context and the dreaming's wall seconds (what --practice saves)."""
    engine = None
    if not engine_url:
        engine = EngineProcess(settings, 8190, out / "vllm.log")
        engine.start()
        engine.wait_ready(settings.engine_start_timeout_s)
    try:
        with EngineGenerator(engine_url or engine.url, settings.base_model_id) as generator:
            sessions = write_sessions(facts, generator)
            start = time.monotonic()
            dreamed = dream_for_sessions(sessions, generator, DreamConfig())
            dream_s = time.monotonic() - start
    finally:
        if engine is not None:
            engine.stop()
    # The upper bound sees what the teacher saw: the session's insight (or the user's own words
    # where no insight was found).
    contexts = [dreamed.insights[key].text if key in dreamed.insights else fact["turns"][0]
                for key, fact in zip(sessions, facts, strict=True)]
    train = [{"prompt": i.prompt, "context": i.context or "", "checker": i.checker,
              "answers": i.teacher_answers} for i in dreamed.train_items()]
    heldout = [{"prompt": i.prompt, "checker": i.checker} for i in dreamed.heldout_items()
               if i.checker]
    neighbours = [{"question": i.question, "accepted": i.checker["values"] if i.checker else [],
                   "beside": i.beside} for i in dreamed.neighbour_items()]
    return {"facts": facts, "contexts": contexts, "train": train, "heldout": heldout,
            "neighbours": neighbours, "dream": dreamed.stats(), "dream_seconds": round(dream_s, 1)}


def cpu_seconds() -> float:
    return time.process_time()  # all threads of this process


def row(name: str, scores: dict, cpu_s: float | None, facts: int,
        answers: list[str] | None = None, **more) -> dict:
    """One method's line of the table; `answers` are its replies to the probes, in order."""
    return {"method": name, **scores,
            "cpu_s_per_fact": None if cpu_s is None else round(cpu_s / facts, 1),
            **({"answers": answers} if answers is not None else {}), **more}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    names = [r["method"] for r in rows]
    x = range(len(rows))
    width = 0.4
    left.bar([i - width / 2 for i in x], [r["heldout_accuracy"] for r in rows], width,
             label="held-out facts (no context)")
    left.bar([i + width / 2 for i in x], [r["regression_accuracy"] for r in rows], width,
             label="general questions")
    left.set_xticks(list(x), names, rotation=15)
    left.set_ylim(0, 1)
    left.set_ylabel("accuracy")
    left.legend(loc="upper left", fontsize=8)
    right.bar(list(x), [r["perplexity"] for r in rows], color="gray")
    right.set_xticks(list(x), names, rotation=15)
    right.set_ylabel("general-text perplexity (lower is better)")
    fig.suptitle("Lucid: knowledge incorporation vs forgetting (SmolLM2-135M, CPU)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), default="user", dest="which",
                        help="which fact set to teach (default: user)")
    parser.add_argument("--facts", type=int, default=10)
    parser.add_argument("--methods", default="opsd,sft",
                        help="comma-separated trained methods to compare, of opsd, opsd-full "
                             "(the full-vocabulary loss) and sft (default: opsd,sft)")
    parser.add_argument("--steps", type=int, default=None, help="OPSD/SFT steps (default: config)")
    parser.add_argument("--engine-url", help="a running vLLM to dream with (default: start one)")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--practice", type=Path,
                        help="save the dreamed practice set here, or reuse it when it exists")
    return parser.parse_args()


def practice_set(args: argparse.Namespace, facts: list[dict], settings: Settings) -> dict:
    """The dreamed practice set: reused from --practice when it exists, else dreamed (and saved
    there when asked)."""
    if args.practice and args.practice.exists():
        saved = json.loads(args.practice.read_text())
        if saved["facts"] != facts:
            sys.exit(f"{args.practice} was dreamed from other facts: delete it or change --facts")
        print(f"reusing the practice set in {args.practice}", flush=True)
        return saved
    saved = dream_practice(facts, settings, args.engine_url, args.out)
    if args.practice:
        args.practice.parent.mkdir(parents=True, exist_ok=True)
        args.practice.write_text(json.dumps(saved, indent=1))
    return saved


def print_table(results: list[dict]) -> None:
    base, upper = results[0], results[1]
    print(f"{'method':<14}{'held-out':>10}{'of upper':>10}{'general':>9}{'Δgen':>7}"
          f"{'nbrs same':>10}{'recap':>7}{'ppl':>8}{'Δppl':>8}{'promoted':>10}{'CPU-s/fact':>12}")
    for r in results:
        share = r["heldout_accuracy"] / upper["heldout_accuracy"] if upper["heldout_accuracy"] \
            else 0.0
        promoted = "-" if r["promoted"] is None else "yes" if r["promoted"] else "no"
        print(f"{r['method']:<14}{r['heldout_accuracy']:>10.2f}{share:>10.0%}"
              f"{r['regression_accuracy']:>9.2f}"
              f"{r['regression_accuracy'] - base['regression_accuracy']:>+7.2f}"
              f"{r['neighbours_unchanged']:>10.0%}{r['recap_share']:>7.0%}"
              f"{r['perplexity']:>8.2f}{r['perplexity'] / base['perplexity'] - 1:>+8.1%}"
              f"{promoted:>10}"
              f"{r['cpu_s_per_fact'] if r['cpu_s_per_fact'] is not None else '-':>12}")
        if "steps" in r:
            print(f"{'':<14}{r['steps']} of {r['step_limit']} steps ({r['stopped']}), "
                  f"{r['s_per_step']} s/step; CPU-s per fact by stage: "
                  f"{r['cpu_s_per_fact_by_stage']}")
        for reason in r.get("gate_reasons") or []:
            print(f"{'':<14}gate: {reason}")
        for change in r.get("changed_general") or []:
            print(f"{'':<14}changed: {change['question']} {change['before'][:60]!r} -> "
                  f"{change['after'][:60]!r}")


def main() -> None:
    args = parse_args()
    settings = Settings()
    model = settings.model_path
    args.out.mkdir(parents=True, exist_ok=True)
    facts = load_facts(args.facts, args.which)
    n = len(facts)
    opsd = OPSDConfig() if args.steps is None else OPSDConfig(steps=args.steps, epochs=0)
    gate = GateConfig()
    saved = practice_set(args, facts, settings)
    dream_s = saved["dream_seconds"]
    held_out = [probe(q, a) for fact in facts for q, a in fact["probes"]]
    in_context = [probe(q, a, context) for fact, context in zip(facts, saved["contexts"],
                                                                strict=True)
                  for q, a in fact["probes"]]
    # vLLM's time is not this process's: dreaming is counted in wall seconds on the 2 cores.
    dream_cpu = dream_s * (os.cpu_count() or 1)
    train = [PracticeExample(e["prompt"], e["context"], e.get("checker"),
                             tuple(e.get("answers", ()))) for e in saved["train"]]
    print(f"dreamed {len(train)} training prompts from {n} sessions in {dream_s:.0f} s",
          flush=True)
    # The dream's rule-based rewordings can write a probe's exact words: say how many, since
    # those probes then test recall rather than recall in other words.
    practised = {e.prompt[-1]["content"].strip().lower() for e in train}
    verbatim = sum(q.strip().lower() in practised for fact in facts for q, _ in fact["probes"])
    print(f"{verbatim} of {len(held_out)} probes appear word for word among the practice prompts",
          flush=True)

    neighbours = [Asked(n["question"], {"type": "contains_any", "values": n["accepted"]}
                        if n["accepted"] else None, n["beside"])
                  for n in saved.get("neighbours", [])]
    taught = taught_names([s for c in saved["contexts"] for s in insight_from_text(c).statements])
    gate_probes = [Probe(h["prompt"], h["checker"]) for h in saved.get("heldout", [])]
    results = []
    scores, details = measure(model, None, held_out, gate, neighbours)
    base_near = details["neighbour_answers"]
    base_gate, _ = measure(model, None, gate_probes, gate)
    base_general = details["regression_answers"]
    general = [Asked(q["question"], q["checker"]) for q in load_regression_set()]
    results.append(row("base", scores, None, n, details["heldout_answers"],
                       neighbours_unchanged=1.0, promoted=None))
    context_scores, details = measure(model, None, in_context, gate)
    results.append(row("in context", {**scores, "heldout_accuracy":
                                      context_scores["heldout_accuracy"]}, None, n,
                       details["heldout_answers"], neighbours_unchanged=1.0, promoted=None))
    # opsd-full: the full-vocabulary loss, the teacher run on every row of every step, against
    # which the default's cached top-k targets are measured.
    methods = {"opsd": ("lucid (OPSD)", train_opsd, opsd),
               "opsd-full": ("OPSD full vocab", train_opsd, replace(opsd, top_k=None)),
               "sft": ("SFT", train_sft, opsd)}
    for key in args.methods.split(","):
        name, trainer, config = methods[key.strip()]
        out = args.out / args.which / key.strip()
        start = cpu_seconds()
        report = trainer(model, train, config, out)
        train_cpu = cpu_seconds() - start
        scores, details = measure(model, out, held_out, gate, neighbours)
        near = unchanged_share(neighbours, base_near, details["neighbour_answers"], taught)
        start = cpu_seconds()  # what the worker's gate measures: its held-out, general, ppl
        cand_gate, _ = measure(model, out, gate_probes, gate)
        gate_cpu = cpu_seconds() - start
        spent = dream_cpu + train_cpu + gate_cpu
        cost = {stage: round(cpu / n, 1) for stage, cpu in
                (("dream", dream_cpu), ("train", train_cpu), ("gate", gate_cpu))}
        # The gate's decision, on the run's own held-out questions as the worker would ask them.
        promoted, refusals = decide({**scores, "heldout_accuracy": cand_gate["heldout_accuracy"]},
                                   {**results[0], "heldout_accuracy":
                                    base_gate["heldout_accuracy"]}, gate, len(gate_probes), near)
        results.append(row(name, scores, spent, n, details["heldout_answers"],
                           neighbours_unchanged=round(near, 4), promoted=promoted,
                           gate_reasons=[r.text for r in refusals],
                           changed_general=changed(general, base_general,
                                                   details["regression_answers"], taught),
                           neighbour_answers=details["neighbour_answers"],
                           cpu_s_per_fact_by_stage=cost, steps=report.steps,
                           step_limit=report.step_limit, stopped=report.stopped,
                           s_per_step=round(report.seconds / report.steps, 2),
                           teacher_passes=report.teacher_passes))
        print(f"{name}: {report.steps} of {report.step_limit} steps ({report.stopped}), "
              f"{report.seconds:.0f} s wall, {report.seconds / report.steps:.2f} s/step; "
              f"CPU-s per fact: {cost}", flush=True)

    print(f"\n{args.which} set: {n} facts, {len(held_out)} held-out probes, {len(train)} "
          f"practice prompts, up to {opsd.total_steps(len(train))} steps, {len(neighbours)} "
          f"neighbour questions\n")
    print_table(results)
    (args.out / f"learning-{args.which}.json").write_text(json.dumps(
        {"set": args.which, "facts": n, "probes": [q for fact in facts for q, _ in fact["probes"]],
         "neighbours": [a.question for a in neighbours], "base_neighbour_answers": base_near,
         "practice": len(train), "probes_practised_verbatim": verbatim,
         "dream": saved["dream"], "opsd": opsd.to_dict(), "results": results}, indent=2))
    plot(results, args.out / f"learning-{args.which}.png")
    print(f"\nsaved learning-{args.which}.json and .png under {args.out}")


if __name__ == "__main__":
    main()
