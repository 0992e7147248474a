"""`lucid sessions list | show ID | forget ID`, `lucid feedback ID --rating -1 --text ...` and
`lucid insights list | release ID | reject ID`: the session log, feedback on its answers,
erasure, and the statements the poisoning guard held for review.
"""

from __future__ import annotations

import typer
from rich.table import Table

from serve.cli.adapters import print_state
from serve.cli.client import call, console, print_json

sessions_app = typer.Typer(help="Logged chat sessions.", no_args_is_help=True)
insights_app = typer.Typer(help="Statements the poisoning guard held for review.",
                           no_args_is_help=True)


@sessions_app.command("list")
def sessions_list(limit: int = 20, as_json: bool = typer.Option(False, "--json")) -> None:
    """Recent sessions, newest first."""
    data = call("GET", "/admin/sessions", limit=limit)["data"]
    if as_json:
        return print_json(data)
    table = Table("id", "turns", "user", "created")
    for s in data:
        table.add_row(s["id"], str(s["turn_count"]), str(s.get("user") or ""),
                      str(s["created_at"])[:19])
    console.print(table)


@sessions_app.command("show")
def sessions_show(session_id: str) -> None:
    """A session's transcript in order."""
    data = call("GET", f"/admin/sessions/{session_id}")
    rated = {t["seq"]: t.get("feedback") or [] for t in data.get("turns", [])}
    for message in data["transcript"]:
        console.print(f"[bold]{message['role']}[/bold]: {message['content']}", markup=False)
        for given in rated.get(message.get("turn"), []) if message["role"] == "assistant" else []:
            mark = "+1" if given["rating"] > 0 else "-1"
            console.print(f"  feedback {mark}" + (f": {given['text']}" if given["text"] else ""),
                          markup=False)


def feedback(
    completion_id: str = typer.Argument(..., help="The chat completion's `id`."),
    rating: int = typer.Option(..., help="+1 for a good answer, -1 for a bad one."),
    text: str = typer.Option(None, help="What was wrong, or the right answer."),
) -> None:
    """Rate an answer by its completion id; a down-rated answer's text is learnt next run."""
    done = call("POST", "/v1/feedback", {"id": completion_id, "rating": rating, "text": text})
    console.print(f"{done['id']}: {done['rating']:+d} on turn {done['turn']} of session "
                  f"{done['session_id']}", markup=False)


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
        print_state(done["adapters"])


@insights_app.command("list")
def insights_list(status: str = "quarantined", limit: int = 50,
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Insights by status (default: quarantined, waiting for review)."""
    data = call("GET", "/admin/insights", status=status, limit=limit)["data"]
    if as_json:
        return print_json(data)
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
