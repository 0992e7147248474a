"""Plain-SQL migrations, applied in file-name order, each once, tracked in `schema_migrations`.

Safe to run from several processes at once (an advisory lock serialises them) and on every start.
Run by hand: `python -m store.migrate postgresql://...`.
"""

from __future__ import annotations

import sys
from importlib import resources

import psycopg

# Any constant will do; it only has to be the same in every process that migrates.
_MIGRATION_LOCK = 0x4C55_4349_44


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) for every migration shipped with the package, in order."""
    folder = resources.files("store") / "migrations"
    files = sorted(f for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in files]


def migrate(database_url: str) -> list[str]:
    """Apply the migrations this database lacks; return the versions applied now."""
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for version, sql in migration_files():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)  # type: ignore[arg-type]  # trusted, shipped SQL
                    conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
                applied_now.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied_now


if __name__ == "__main__":
    print("applied:", migrate(sys.argv[1]) or "nothing (up to date)")
