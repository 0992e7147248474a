"""A private PostgreSQL for the embedded default: real server binaries from the `pgserver` package.

Used when no DATABASE_URL is configured (`make run`, `make test`). Data lives under the folder given
(var/pg by default) and survives restarts; the server stops when the process that started it exits.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)


@contextmanager
def embedded_postgres(data_dir: Path, database: str = "lucid") -> Iterator[str]:
    """Start (or reuse) PostgreSQL on `data_dir`; yield a URL to `database` (made if missing)."""
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import pgserver  # imported here: only the embedded default needs it
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    try:
        admin_url = server.get_uri()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,))
            if exists.fetchone() is None:
                conn.execute(f'CREATE DATABASE "{database}"')  # type: ignore[arg-type]
        log.info("embedded PostgreSQL on %s", data_dir)
        yield server.get_uri(database)
    finally:
        server.cleanup()
