"""`lucid keys list | create | revoke ID` and `lucid tenant show | set`: API keys (a new key is
printed once) and the tenant's settings.
"""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from serve.cli.client import call, console, print_json

keys_app = typer.Typer(help="API keys: list, create (shown once), revoke.",
                       no_args_is_help=True)
tenant_app = typer.Typer(help="Your tenant's settings: learning opt-out, redaction at rest.",
                         no_args_is_help=True)


@keys_app.command("list")
def keys_list(as_json: bool = typer.Option(False, "--json"),
              tenant: str = typer.Option(None, help="Another tenant's (operator keys only).")
              ) -> None:
    """Live keys of your tenant (never their secrets)."""
    data = call("GET", "/admin/keys", **({"tenant": tenant} if tenant else {}))["data"]
    if as_json:
        print_json(data)
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
    print_json(call("GET", "/admin/tenant"))


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
    print_json(call("PATCH", "/admin/tenant", json_body=changes))
