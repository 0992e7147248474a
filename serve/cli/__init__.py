"""The `lucid` command: start the system, and operate a running one through its admin API.

    lucid run                      # what `make run` calls: everything, on the embedded default
    lucid learn [--dry-run]        # start a learning run now and follow it
    lucid adapters list|promote V|rollback|pin|unpin
    lucid runs list|show ID|taught ID          lucid sessions list|show ID|forget ID|forget --user U
    lucid insights list|release ID|reject ID     (statements held for review)
    lucid feedback COMPLETION_ID --rating -1 [--text "..."]
    lucid keys list|create|revoke ID              lucid tenant show|set

Operator commands talk HTTP to LUCID_URL (default http://127.0.0.1:8000) with the admin key in
LUCID_API_KEY (default: the dev key `make run` keeps in var/admin-key). Exit codes: 0 done,
1 the server refused (its message is printed), 3 no server answered. One module per noun:
`processes`, `runs`, `adapters`, `sessions` (and insights), `keys` (and the tenant); `client`
makes the calls.
"""

from __future__ import annotations

import typer

from serve.cli import adapters, keys, processes, runs, sessions

app = typer.Typer(help=__doc__.split("\n")[0], no_args_is_help=True, add_completion=False)
app.command()(processes.run)
app.command()(processes.serve)
app.command()(processes.worker)
app.command()(runs.learn)
app.command()(sessions.feedback)
app.add_typer(adapters.app, name="adapters")
app.add_typer(runs.app, name="runs")
app.add_typer(sessions.sessions_app, name="sessions")
app.add_typer(sessions.insights_app, name="insights")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(keys.tenant_app, name="tenant")


def main() -> None:
    app()
