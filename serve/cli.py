"""The `lucid` command: start the system, and operate a running one through its admin API.

    lucid run                      # what `make run` calls: everything, on the embedded default
    lucid learn                    # start a learning run now and follow it
    lucid adapters list|promote V|rollback|pin|unpin
    lucid runs list|show ID        lucid sessions list|show ID|forget ID|forget --user U
    lucid insights list|release ID|reject ID     (statements held for review)
    lucid keys list|create|revoke ID              lucid tenant show|set

Operator commands talk HTTP to LUCID_URL (default http://127.0.0.1:8000) with the admin key in
LUCID_API_KEY (default: the dev key `make run` keeps in var/admin-key). Exit codes: 0 done,
1 the server refused (its message is printed), 3 no server answered.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(help=__doc__.split("\n")[0], no_args_is_help=True, add_completion=False)
adapters_app = typer.Typer(help="Adapter versions: list, promote, roll back, pin.",
                           no_args_is_help=True)
runs_app = typer.Typer(help="Learning runs: list and inspect.", no_args_is_help=True)
sessions_app = typer.Typer(help="Logged chat sessions.", no_args_is_help=True)
app.add_typer(adapters_app, name="adapters")
app.add_typer(runs_app, name="runs")
insights_app = typer.Typer(help="Statements the poisoning guard held for review.",
                           no_args_is_help=True)
app.add_typer(sessions_app, name="sessions")
app.add_typer(insights_app, name="insights")
keys_app = typer.Typer(help="API keys: list, create (shown once), revoke.",
                       no_args_is_help=True)
tenant_app = typer.Typer(help="Your tenant's settings: learning opt-out, redaction at rest.",
                         no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(tenant_app, name="tenant")

console = Console()
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3
FINISHED = {"succeeded", "failed", "cancelled"}


def _base_url() -> str:
    return os.environ.get("LUCID_URL", "http://127.0.0.1:8000").rstrip("/")


def _api_key() -> str | None:
    if key := os.environ.get("LUCID_API_KEY"):
        return key
    from serve.config.settings import Settings
    from serve.launch.devkey import read_dev_key

    try:
        return read_dev_key(Settings())
    except ValueError:  # settings that do not validate: no local key to find
        return None


def call(method: str, path: str, json_body: Any = None, **params: Any) -> Any:
    """One admin API call; on failure print why and exit with a code a script can test."""
    url = f"{_base_url()}{path}"
    key = _api_key()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        response = httpx.request(method, url, params=params or None, json=json_body,
                                 headers=headers, timeout=60)
    except httpx.TransportError as exc:
        console.print(f"[red]No Lucid server at {_base_url()} ({exc}).[/red] Start one with "
                      "`make run`, or point LUCID_URL at it.")
        raise typer.Exit(EXIT_UNREACHABLE) from exc
    body = response.json() if response.headers.get("content-type", "").startswith(
        "application/json") else {}
    if response.status_code >= 400:
        message = body.get("error", {}).get("message") if isinstance(body, dict) else None
        console.print(f"[red]{response.status_code}: {message or response.text}[/red]")
        if response.status_code == 401:
            console.print("Set LUCID_API_KEY to an admin key (`make run` printed one and keeps "
                          "it in var/admin-key).")
        raise typer.Exit(EXIT_REFUSED)
    return body


def _json_out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


# -- processes ----------------------------------------------------------------------------------

def _start(launch: Callable[[], None]) -> None:
    """Log as the settings say, then launch; settings that make no sense exit 2, saying why."""
    from serve.launch.launcher import configure_logging

    try:
        configure_logging()
        launch()
    except ValueError as exc:  # pydantic's ValidationError included
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def run() -> None:
    """Start everything (PostgreSQL, vLLM, Redis, worker, API) on the embedded defaults."""
    from serve.launch.launcher import run as launch

    _start(launch)


@app.command()
def serve() -> None:
    """Start one API replica against DATABASE_URL and LUCID_ENGINE_URL."""
    from serve.launch.launcher import serve_api

    _start(serve_api)


@app.command()
def worker(beat: bool = typer.Option(
        True, "--beat/--no-beat",
        help="Embed the nightly beat. Run exactly one beat per deployment: scaled-out workers "
             "take --no-beat, beside one `celery -A serve.learning.tasks beat`.")) -> None:
    """Start a Celery worker (with the nightly beat unless --no-beat) for LUCID_BROKER_URL."""
    from serve.config.settings import Settings
    from serve.launch.processes import worker_command

    command = worker_command(Settings(), beat)
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


@sessions_app.command("forget")
def sessions_forget(
    session_id: str = typer.Argument(None, help="The session to erase."),
    user: str = typer.Option(None, help="Erase every session of this user instead."),
    rollback: bool = typer.Option(False, help="If the active version learned from it, serve "
                                              "the newest untainted version at once."),
) -> None:
    """Erase a session (or all of a user's) and everything derived; taint what learned from it."""
    if (session_id is None) == (user is None):
        console.print("[red]Name a session id, or --user, not both.[/red]")
        raise typer.Exit(2)
    params = {"rollback": str(rollback).lower()}
    if user is not None:
        done = call("DELETE", "/admin/sessions", user=user, **params)
    else:
        done = call("DELETE", f"/admin/sessions/{session_id}", **params)
    console.print(f"erased {done['sessions']} sessions, {done['turns']} turns, "
                  f"{done['insights']} insights, {done['practice_items']} practice items; "
                  f"tainted: {', '.join(done['tainted']) or 'none'}")
    if done.get("adapters"):
        _state_line(done["adapters"])


# -- insights held for review -------------------------------------------------------------------

@insights_app.command("list")
def insights_list(status: str = "quarantined", limit: int = 50,
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Insights by status (default: quarantined, waiting for review)."""
    data = call("GET", "/admin/insights", status=status, limit=limit)["data"]
    if as_json:
        return _json_out(data)
    table = Table("id", "statement", "why", "session")
    for row in data:
        table.add_row(str(row["id"]), row["text"], row.get("reason") or "", row["session_id"])
    console.print(table)


@insights_app.command("release")
def insights_release(insight_id: int) -> None:
    """Let later learning runs learn this statement."""
    row = call("POST", f"/admin/insights/{insight_id}/release")
    console.print(f"insight {row['id']}: {row['status']}")


@insights_app.command("reject")
def insights_reject(insight_id: int) -> None:
    """Never learn this statement."""
    row = call("POST", f"/admin/insights/{insight_id}/reject")
    console.print(f"insight {row['id']}: {row['status']}")


# -- keys and the tenant ------------------------------------------------------------------------

@keys_app.command("list")
def keys_list(as_json: bool = typer.Option(False, "--json"),
              tenant: str = typer.Option(None, help="Another tenant's (operator keys only).")
              ) -> None:
    """Live keys of your tenant (never their secrets)."""
    data = call("GET", "/admin/keys", **({"tenant": tenant} if tenant else {}))["data"]
    if as_json:
        _json_out(data)
        return
    table = Table("key id", "name", "tenant", "scopes", "learn", "rpm", "tpm", "created")
    for k in data:
        table.add_row(k["key_id"], k["name"], k["tenant"], ",".join(k["scopes"]),
                      "yes" if k["learn"] else "no", str(k["rpm"] or "-"), str(k["tpm"] or "-"),
                      str(k["created_at"])[:19])
    console.print(table)


@keys_app.command("create")
def keys_create(
    name: str = typer.Option("", help="A label for the key."),
    scope: list[str] = typer.Option(["chat"], help="chat and/or admin (repeat the option)."),  # noqa: B008
    tenant: str = typer.Option(None, help="Another tenant, made if new (operator keys only)."),
    learn: bool = typer.Option(True, help="--no-learn: this key's chats are never learned from."),
    rpm: int = typer.Option(None, help="Requests per minute (else the server default)."),
    tpm: int = typer.Option(None, help="Tokens per minute (else the server default)."),
) -> None:
    """Create a key; it is printed once and cannot be shown again."""
    body = {"name": name, "scopes": scope, "learn": learn, "rpm": rpm, "tpm": tpm,
            **({"tenant": tenant} if tenant else {})}
    row = call("POST", "/admin/keys", json_body=body)
    console.print(f"Key {row['key_id']} of tenant {row['tenant']} ({','.join(row['scopes'])}); "
                  "store it now, it is not shown again:")
    sys.stdout.write(row["key"] + "\n")


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id (the 12 hex digits after 'lucid-'); it stops working at once."""
    row = call("DELETE", f"/admin/keys/{key_id}")
    console.print(f"Revoked key {row['key_id']} ({row['name'] or 'unnamed'}).")


@tenant_app.command("show")
def tenant_show() -> None:
    _json_out(call("GET", "/admin/tenant"))


@tenant_app.command("set")
def tenant_set(
    learn: bool = typer.Option(None, help="--no-learn: no chat of the tenant is learned from."),
    redact_at_rest: bool = typer.Option(
        None, help="--redact-at-rest: store transcripts with private values redacted."),
) -> None:
    changes = {k: v for k, v in {"learn": learn, "redact_at_rest": redact_at_rest}.items()
               if v is not None}
    if not changes:
        console.print("[red]Name a setting: --learn/--no-learn, "
                      "--redact-at-rest/--no-redact-at-rest.[/red]")
        raise typer.Exit(2)
    _json_out(call("PATCH", "/admin/tenant", json_body=changes))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
