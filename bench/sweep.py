"""Train many OPSD (or SFT) configurations on one saved practice set and measure each as the gate
does: held-out facts asked without context, the general regression set, general-text perplexity;
beside the base model and the base model with each fact in context (the upper bound).

    .venv/bin/python bench/sweep.py --practice var/bench/practice.json --grid GRID.json
                                    [--jobs 1] [--device auto] [--out var/sweep]

The practice file is what `bench/learning.py --practice FILE` saves. GRID is a JSON list of
{"name": str, "method": "opsd" | "sft", "opsd": {OPSDConfig fields}, "replay": bool}; replay false
drops the general prompts (those without context). Configurations run in separate processes,
--jobs at a time (one GPU holds many). Each result is appended to sweep.jsonl as it finishes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from distill.config import GateConfig, OPSDConfig  # noqa: E402
from distill.gate import Probe, measure  # noqa: E402
from distill.trainer import PracticeExample, train_opsd, train_sft  # noqa: E402
from dream.teacher_view import teacher_chat  # noqa: E402

DEFAULT_MODEL = ROOT / "var" / "models" / "SmolLM2-135M-Instruct"
TRAINERS = {"opsd": train_opsd, "sft": train_sft}
REFERENCES = [{"name": "base", "method": "base"}, {"name": "in context", "method": "context"}]


def held_out(practice: dict, in_context: bool) -> list[Probe]:
    """The facts' probes, asked bare or with each fact's teacher context as the system prompt."""
    contexts = practice["contexts"] if in_context else [None] * len(practice["facts"])
    return [Probe(teacher_chat([{"role": "user", "content": q}], context),
                  {"type": "contains_any", "values": answers})
            for fact, context in zip(practice["facts"], contexts, strict=True)
            for q, answers in fact["probes"]]


def check_grid(grid: list[dict]) -> None:
    """Fail before any training on a bad entry: unknown method, bad OPSDConfig field, same name."""
    names = [e.get("name") for e in grid]
    if len(set(names)) != len(names) or not all(isinstance(n, str) and n for n in names):
        raise SystemExit("every grid entry needs a distinct non-empty name")
    for entry in grid:
        if entry.get("method", "opsd") not in TRAINERS:
            raise SystemExit(f"{entry['name']}: method must be one of {sorted(TRAINERS)}")
        try:
            OPSDConfig.from_dict(entry.get("opsd", {}))
        except (TypeError, ValueError) as e:
            raise SystemExit(f"{entry['name']}: {e}") from e


def run_entry(entry: dict, practice: dict, model: str, out: Path, device: str,
              threads: int) -> dict:
    """Train (unless a reference row) and measure one grid entry, in a worker process."""
    import torch

    torch.set_num_threads(threads)
    started = time.monotonic()
    method = entry.get("method", "opsd")
    cfg = OPSDConfig.from_dict({"device": device, **entry.get("opsd", {})})
    gate = GateConfig(dtype=cfg.dtype, device=device)
    cuda = cfg.torch_device().type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    row: dict = {"name": entry["name"], "method": method, "dtype": cfg.dtype}
    adapter = None
    if method in TRAINERS:
        train = [PracticeExample(e["prompt"], e["context"], e.get("checker"),
                                 tuple(e.get("answers", ())))
                 for e in practice["train"] if entry.get("replay", True) or e["context"]]
        adapter = out / entry["name"].replace(" ", "_").replace("/", "_")
        def on_step(step: int, total: int, loss: float) -> None:
            if step % 20 == 0 or step == total:
                print(f"  {entry['name']}: step {step}/{total} loss {loss:.4f} "
                      f"{time.monotonic() - started:.0f} s", flush=True)

        report = TRAINERS[method](model, train, cfg, adapter, on_step=on_step)
        row.update(steps=report.steps, examples=len(train), train_s=report.seconds,
                   s_per_step=round(report.seconds / report.steps, 3),
                   final_loss=round(sum(report.losses[-5:]) / len(report.losses[-5:]), 4),
                   opsd=entry.get("opsd", {}), replay=entry.get("replay", True))
    scores, details = measure(model, adapter, held_out(practice, method == "context"), gate)
    if method == "context":  # only held-out accuracy differs from the base row
        scores = {"heldout_accuracy": scores["heldout_accuracy"]}
    row.update({k: round(v, 4) for k, v in scores.items()}, answers=details["heldout_answers"],
               wall_s=round(time.monotonic() - started, 1))
    if cuda:
        row["peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20)
        row["gpu"] = torch.cuda.get_device_name()
    return row


def print_table(rows: list[dict]) -> None:
    base = next((r for r in rows if r["method"] == "base"), None)
    print(f"\n{'name':<28}{'held-out':>9}{'general':>9}{'ppl':>8}{'Δppl':>8}{'steps':>7}"
          f"{'s/step':>8}{'loss':>8}")
    for r in sorted(rows, key=lambda r: -r["heldout_accuracy"]):
        ppl = r.get("perplexity")
        rise = f"{ppl / base['perplexity'] - 1:+.1%}" if ppl and base else "-"
        print(f"{r['name']:<28}{r['heldout_accuracy']:>9.2f}"
              f"{r.get('regression_accuracy', float('nan')):>9.2f}"
              f"{ppl or float('nan'):>8.2f}{rise:>8}{r.get('steps', '-'):>7}"
              f"{r.get('s_per_step', '-'):>8}{r.get('final_loss', '-'):>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--practice", type=Path, required=True)
    parser.add_argument("--grid", type=Path, required=True)
    parser.add_argument("--model", default=os.environ.get("LUCID_MODEL", str(DEFAULT_MODEL)))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-references", action="store_true",
                        help="skip the base and in-context rows")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "sweep")
    args = parser.parse_args()
    practice = json.loads(args.practice.read_text())
    grid = json.loads(args.grid.read_text())
    check_grid(grid)
    entries = grid if args.no_references else REFERENCES + grid
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "sweep.jsonl"
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    print(f"{len(entries)} entries, {len(practice['train'])} practice prompts, "
          f"{args.jobs} at a time", flush=True)
    rows = []
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        futures = {pool.submit(run_entry, e, practice, args.model, args.out, args.device,
                               threads): e for e in entries}
        for future in as_completed(futures):
            try:
                row = future.result()
            except Exception as e:  # one broken configuration must not lose the others
                row = {"name": futures[future]["name"], "error": repr(e)}
                print(f"{row['name']}: FAILED {e!r}", flush=True)
            else:
                rows.append(row)
                print(f"{row['name']}: held-out {row['heldout_accuracy']:.2f} "
                      f"in {row['wall_s']} s", flush=True)
            with log.open("a") as f:
                f.write(json.dumps(row) + "\n")
    print_table(rows)


if __name__ == "__main__":
    main()
