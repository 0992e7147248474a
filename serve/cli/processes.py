"""`lucid run | serve | worker`: start the whole system, one API replica, or a Celery worker.

Settings that make no sense exit 2, saying why; the worker replaces this process (exec).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import typer
from rich.markup import escape

from serve.cli.client import console


def _start(launch: Callable[[], None]) -> None:
    """Log as the settings say, then launch; settings that make no sense exit 2, saying why."""
    from serve.launch.launcher import configure_logging

    try:
        configure_logging()
        launch()
    except ValueError as exc:  # pydantic's ValidationError included
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


def run() -> None:
    """Start everything (PostgreSQL, vLLM, Redis, worker, API) on the embedded defaults."""
    from serve.launch.launcher import run as launch

    _start(launch)


def serve() -> None:
    """Start one API replica against DATABASE_URL and LUCID_ENGINE_URL."""
    from serve.launch.launcher import serve_api

    _start(serve_api)


def worker(beat: bool = typer.Option(
        True, "--beat/--no-beat",
        help="Embed the nightly beat. Run exactly one beat per deployment: scaled-out workers "
             "take --no-beat, beside one `celery -A serve.learning.tasks beat`.")) -> None:
    """Start a Celery worker (with the nightly beat unless --no-beat) for LUCID_BROKER_URL."""
    from serve.config.settings import Settings
    from serve.launch.processes import worker_command

    command = worker_command(Settings(), beat)
    os.execv(command[0], command)
