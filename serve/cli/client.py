"""The `lucid` command's side of the admin API: one call, its refusals as exit codes, and output.

Operator commands talk HTTP to LUCID_URL (default http://127.0.0.1:8000) with the admin key in
LUCID_API_KEY (default: the dev key `make run` keeps in var/admin-key). Exit codes: 0 done,
1 the server refused (its message is printed), 3 no server answered.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import httpx
import typer
from rich.console import Console

console = Console()
EXIT_REFUSED, EXIT_UNREACHABLE = 1, 3


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


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
