"""The embedded PostgreSQL of `make run` with no DATABASE_URL: a real server starts in the folder
given, creates the database asked for, stops when its context ends, and what was written there is
still there when it starts again on the same folder (as after a restart of `make run`)."""

from __future__ import annotations

import psycopg
import pytest

from store.embedded import embedded_postgres


def test_a_real_server_starts_in_the_folder_and_keeps_its_data_across_restarts(tmp_path):
    folder = tmp_path / "pg"
    with embedded_postgres(folder, database="notes") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.execute("SELECT current_database()").fetchone() == ("notes",)
            conn.execute("CREATE TABLE kept (note text)")
            conn.execute("INSERT INTO kept VALUES ('written before the restart')")
    assert (folder / "PG_VERSION").exists(), "the data lives in the folder given"
    with pytest.raises(psycopg.OperationalError):  # stopped with the context: no server left
        psycopg.connect(url, connect_timeout=2).close()

    with embedded_postgres(folder, database="notes") as url, \
            psycopg.connect(url, autocommit=True) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [
            ("written before the restart",)]
