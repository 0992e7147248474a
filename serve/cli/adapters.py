"""`lucid adapters list | promote V | rollback | pin | unpin`: the adapter registry."""

from __future__ import annotations

import typer
from rich.table import Table

from serve.cli.client import call, console, print_json

app = typer.Typer(help="Adapter versions: list, promote, roll back, pin.", no_args_is_help=True)


@app.command("list")
def adapters_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Adapter versions with status, lineage and gate metrics; which one serves."""
    data = call("GET", "/admin/adapters")
    if as_json:
        return print_json(data)
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


def print_state(state: dict) -> None:
    """The registry's state in one line: what is active and served, and the pin."""
    active = (state.get("active") or {}).get("name", "base model")
    console.print(f"active: {active}   serving: {state['serving']}   pinned: {state['pinned']}")


@app.command("promote")
def adapters_promote(version: str) -> None:
    """Make VERSION (e.g. default-v3) what `lucid` serves, from the next request on."""
    print_state(call("POST", f"/admin/adapters/{version}/promote"))


@app.command("rollback")
def adapters_rollback() -> None:
    """Back to the previously active version, or to the base model."""
    print_state(call("POST", "/admin/rollback"))


@app.command("pin")
def adapters_pin() -> None:
    """Stop automatic promotion: runs still train and gate candidates."""
    print_state(call("POST", "/admin/adapters/pin"))


@app.command("unpin")
def adapters_unpin() -> None:
    """Resume automatic promotion."""
    print_state(call("POST", "/admin/adapters/unpin"))
