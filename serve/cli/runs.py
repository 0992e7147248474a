"""`lucid learn` and `lucid runs list | show ID`: learning runs.

`lucid learn` starts a run and follows it (stage, step, loss, ETA); a run that did not succeed
exits 1.
"""

from __future__ import annotations

import time

import typer
from rich.table import Table

from serve.cli.client import EXIT_REFUSED, call, console, print_json

app = typer.Typer(help="Learning runs: list and inspect.", no_args_is_help=True)
FINISHED = {"succeeded", "failed", "cancelled"}


def _progress_line(run: dict) -> str:
    progress = run.get("progress") or {}
    parts = [f"run {run['id']}", run["status"], run.get("stage") or "queued"]
    if "step" in progress and "total" in progress:
        parts.append(f"step {progress['step']}/{progress['total']}")
        if progress.get("step") and progress.get("elapsed_s"):
            left = progress["elapsed_s"] / progress["step"] * (progress["total"] - progress["step"])
            parts.append(f"ETA {left:.0f}s")
    if "loss" in progress:
        parts.append(f"loss {progress['loss']:.4f}")
    return "  ".join(parts)


def learn(follow: bool = typer.Option(True, help="Follow the run until it finishes.")) -> None:
    """Start a learning run now (what the nightly schedule does)."""
    run = call("POST", "/admin/runs")
    console.print(f"started run {run['id']}")
    if not follow:
        return
    with console.status(_progress_line(run)) as status:
        while run["status"] not in FINISHED:
            time.sleep(1)
            run = call("GET", f"/admin/runs/{run['id']}")
            status.update(_progress_line(run))
    _print_run(run)
    if run["status"] != "succeeded":
        raise typer.Exit(EXIT_REFUSED)


def _print_run(run: dict) -> None:
    metrics = run.get("metrics") or {}
    console.print(_progress_line(run))
    if run.get("error"):
        console.print(f"[red]error: {run['error']}[/red]")
    for key in ("version", "gate_passed", "promoted", "gate_reasons", "candidate", "current",
                "note"):
        if key in metrics:
            console.print(f"  {key}: {metrics[key]}")


@app.command("list")
def runs_list(limit: int = 20, as_json: bool = typer.Option(False, "--json")) -> None:
    """Recent learning runs, newest first."""
    data = call("GET", "/admin/runs", limit=limit)["data"]
    if as_json:
        return print_json(data)
    table = Table("id", "status", "stage", "trigger", "sessions", "version", "started", "error")
    for r in data:
        table.add_row(str(r["id"]), r["status"], r.get("stage") or "", r["trigger"],
                      str(r["session_count"]), str((r.get("metrics") or {}).get("version", "")),
                      str(r.get("started_at") or ""), (r.get("error") or "")[:60])
    console.print(table)


@app.command("show")
def runs_show(run_id: int) -> None:
    """One run: stage, progress, metrics, errors (JSON)."""
    print_json(call("GET", f"/admin/runs/{run_id}"))
