"""`lucid learn [--dry-run]` and `lucid runs list | show ID | taught ID`: learning runs.

`lucid learn` starts a run and follows it (stage, step, loss, ETA); with --dry-run the run stops
after the dream, and what each session taught (its insights and their practice questions) is
printed at the end. A run that did not succeed exits 1.
"""

from __future__ import annotations

import time

import typer
from rich.markup import escape
from rich.table import Table

from serve.cli.client import EXIT_REFUSED, call, console, print_json

app = typer.Typer(help="Learning runs: list and inspect.", no_args_is_help=True)
FINISHED = {"succeeded", "failed", "cancelled"}
QUESTIONS_SHOWN = 3  # per insight; `lucid runs taught ID --json` has them all


def _progress_line(run: dict) -> str:
    progress = run.get("progress") or {}
    parts = [f"run {run['id']}", *(["dry run"] if run.get("dry_run") else []), run["status"],
             run.get("stage") or "queued"]
    if "step" in progress and "total" in progress:
        parts.append(f"step {progress['step']}/{progress['total']}")
        if progress.get("step") and progress.get("elapsed_s"):
            left = progress["elapsed_s"] / progress["step"] * (progress["total"] - progress["step"])
            parts.append(f"ETA {left:.0f}s")
    if "loss" in progress:
        parts.append(f"loss {progress['loss']:.4f}")
    return "  ".join(parts)


def learn(follow: bool = typer.Option(True, help="Follow the run until it finishes."),
          dry_run: bool = typer.Option(
              False, "--dry-run", help="Read the sessions and dream only: store the insights "
                                       "and practice, train, promote and consume nothing.")
          ) -> None:
    """Start a learning run now (what the nightly schedule does)."""
    run = call("POST", "/admin/runs", json_body={"dry_run": True} if dry_run else None)
    console.print(f"started {'dry ' if dry_run else ''}run {run['id']}")
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
    if run.get("dry_run"):
        _print_taught(call("GET", f"/admin/runs/{run['id']}/insights")["data"])


def _print_run(run: dict) -> None:
    metrics = run.get("metrics") or {}
    console.print(_progress_line(run))
    if run.get("error"):
        console.print(f"[red]error: {run['error']}[/red]")
    for key in ("insights", "version", "gate_passed", "promoted", "gate_reasons", "candidate",
                "current", "note"):
        if key in metrics:
            console.print(f"  {key}: {metrics[key]}")


def _print_taught(insights: list[dict]) -> None:
    """Each session's insights, with a few of the practice questions the run kept for each."""
    if not insights:
        console.print("no session taught anything")
    session = None
    for row in insights:
        if row["session_id"] != session:
            session = row["session_id"]
            console.print(f"[bold]session {escape(session)}[/bold]")
        status = "" if row["status"] == "active" else f" ({row['status']}: {row.get('reason')})"
        # An insight's statements, without the header the teacher's context gives them.
        lines = [line for line in row["text"].splitlines() if line.startswith("- ")]
        text = "\n".join(f"  {line}" for line in lines or [f"- {row['text']}"])
        console.print(escape(text + status), highlight=False)
        practice = row["practice"]
        for item in practice[:QUESTIONS_SHOWN]:
            answer = f" -> {item['reference']}" if item.get("reference") else ""
            console.print(f"    ? {escape(item['question'] + answer)}", highlight=False)
        if len(practice) > QUESTIONS_SHOWN:
            console.print(f"    ... {len(practice)} practice questions in all")


@app.command("list")
def runs_list(limit: int = 20, as_json: bool = typer.Option(False, "--json")) -> None:
    """Recent learning runs, newest first."""
    data = call("GET", "/admin/runs", limit=limit)["data"]
    if as_json:
        return print_json(data)
    table = Table("id", "status", "stage", "trigger", "sessions", "version", "started", "error")
    for r in data:
        trigger = f"{r['trigger']} (dry run)" if r.get("dry_run") else r["trigger"]
        table.add_row(str(r["id"]), r["status"], r.get("stage") or "", trigger,
                      str(r["session_count"]), str((r.get("metrics") or {}).get("version", "")),
                      str(r.get("started_at") or ""), (r.get("error") or "")[:60])
    console.print(table)


@app.command("show")
def runs_show(run_id: int) -> None:
    """One run: stage, progress, metrics, errors (JSON)."""
    print_json(call("GET", f"/admin/runs/{run_id}"))


@app.command("taught")
def runs_taught(run_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """What a run derived from each session: its insights and their practice questions."""
    data = call("GET", f"/admin/runs/{run_id}/insights")["data"]
    if as_json:
        return print_json(data)
    _print_taught(data)
