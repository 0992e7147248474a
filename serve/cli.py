"""The `lucid` command: start the system, and operate a running one through its admin API.

    lucid run                      # what `make run` calls: everything, on the embedded default
    lucid learn                    # start a learning run now and follow it
    lucid adapters list|promote V|rollback|pin|unpin
    lucid runs list|show ID        lucid sessions list|show ID

Operator commands talk HTTP to LUCID_URL (default http://127.0.0.1:8000). Exit codes: 0 done,
1 the server refused (its message is printed), 3 no server answered.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help=__doc__.split("\n")[0], no_args_is_help=True, add_completion=False)
adapters_app = typer.Typer(help="Adapter versions: list, promote, roll back, pin.",
                           no_args_is_help=True)
runs_app = typer.Typer(help="Learning runs: list and inspect.", no_args_is_help=True)
sessions_app = typer.Typer(help="Logged chat sessions.", no_args_is_help=True)
app.add_typer(adapters_app, name="adapters")
app.add_typer(runs_app, name="runs")
app.add_typer(sessions_app, name="sessions")

console = Console()
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3
FINISHED = {"succeeded", "failed", "cancelled"}


def _base_url() -> str:
    return os.environ.get("LUCID_URL", "http://127.0.0.1:8000").rstrip("/")


def call(method: str, path: str, **params: Any) -> Any:
    """One admin API call; on failure print why and exit with a code a script can test."""
    url = f"{_base_url()}{path}"
    try:
        response = httpx.request(method, url, params=params or None, timeout=60)
    except httpx.TransportError as exc:
        console.print(f"[red]No Lucid server at {_base_url()} ({exc}).[/red] Start one with "
                      "`make run`, or point LUCID_URL at it.")
        raise typer.Exit(EXIT_UNREACHABLE) from exc
    body = response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else {}
    if response.status_code >= 400:
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        console.print(f"[red]{response.status_code}: {message or response.text}[/red]")
        raise typer.Exit(EXIT_REFUSED)
    return body


def _json_out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# -- processes ----------------------------------------------------------------------------------

@app.command()
def run() -> None:
    """Start everything (PostgreSQL, vLLM, Redis, worker, API) on the embedded defaults."""
    from serve.launcher import configure_logging
    from serve.launcher import run as launch

    configure_logging()
    launch()


@app.command()
def serve() -> None:
    """Start one API replica against DATABASE_URL and LUCID_ENGINE_URL."""
    from serve.launcher import configure_logging, serve_api

    configure_logging()
    try:
        serve_api()
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def worker() -> None:
    """Start a Celery worker (with the nightly beat) for LUCID_BROKER_URL."""
    from serve.engine_process import worker_command
    from serve.settings import Settings

    command = worker_command(Settings())
    os.execv(command[0], command)


# -- learning runs ------------------------------------------------------------------------------

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


@app.command()
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


@runs_app.command("list")
def runs_list(limit: int = 20, as_json: bool = typer.Option(False, "--json")) -> None:
    """Recent learning runs, newest first."""
    data = call("GET", "/admin/runs", limit=limit)["data"]
    if as_json:
        return _json_out(data)
    table = Table("id", "status", "stage", "trigger", "sessions", "version", "started", "error")
    for r in data:
        table.add_row(str(r["id"]), r["status"], r.get("stage") or "", r["trigger"],
                      str(r["session_count"]), str((r.get("metrics") or {}).get("version", "")),
                      str(r.get("started_at") or ""), (r.get("error") or "")[:60])
    console.print(table)


@runs_app.command("show")
def runs_show(run_id: int) -> None:
    """One run: stage, progress, metrics, errors (JSON)."""
    _json_out(call("GET", f"/admin/runs/{run_id}"))


# -- adapters -----------------------------------------------------------------------------------

@adapters_app.command("list")
def adapters_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Adapter versions with status, lineage and gate metrics; which one serves."""
    data = call("GET", "/admin/adapters")
    if as_json:
        return _json_out(data)
    table = Table("", "version", "parent", "run", "status", "held-out", "regression", "created")
    for v in data["data"]:
        candidate = (v.get("metrics") or {}).get("candidate", {})
        table.add_row("*" if v["active"] else "", v["name"], v.get("parent") or "base",
                      str(v.get("run_id") or ""), v["status"],
                      _fmt(candidate.get("heldout_accuracy")),
                      _fmt(candidate.get("regression_accuracy")), str(v["created_at"])[:19])
    console.print(table)
    console.print(f"serving: {data['serving']}   pinned: {data['pinned']}")


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _state_line(state: dict) -> None:
    active = (state.get("active") or {}).get("name", "base model")
    console.print(f"active: {active}   serving: {state['serving']}   pinned: {state['pinned']}")


@adapters_app.command("promote")
def adapters_promote(version: str) -> None:
    """Make VERSION (e.g. default-v3) what `lucid` serves, from the next request on."""
    _state_line(call("POST", f"/admin/adapters/{version}/promote"))


@adapters_app.command("rollback")
def adapters_rollback() -> None:
    """Back to the previously active version, or to the base model."""
    _state_line(call("POST", "/admin/rollback"))


@adapters_app.command("pin")
def adapters_pin() -> None:
    """Stop automatic promotion: runs still train and gate candidates."""
    _state_line(call("POST", "/admin/adapters/pin"))


@adapters_app.command("unpin")
def adapters_unpin() -> None:
    """Resume automatic promotion."""
    _state_line(call("POST", "/admin/adapters/unpin"))


# -- sessions -----------------------------------------------------------------------------------

@sessions_app.command("list")
def sessions_list(limit: int = 20, as_json: bool = typer.Option(False, "--json")) -> None:
    """Recent sessions, newest first."""
    data = call("GET", "/admin/sessions", limit=limit)["data"]
    if as_json:
        return _json_out(data)
    table = Table("id", "turns", "user", "created")
    for s in data:
        table.add_row(s["id"], str(s["turn_count"]), str(s.get("user") or ""),
                      str(s["created_at"])[:19])
    console.print(table)


@sessions_app.command("show")
def sessions_show(session_id: str) -> None:
    """A session's transcript in order."""
    data = call("GET", f"/admin/sessions/{session_id}")
    for message in data["transcript"]:
        console.print(f"[bold]{message['role']}[/bold]: {message['content']}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
