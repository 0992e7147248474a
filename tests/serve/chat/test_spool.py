"""A real PostgreSQL stopped under a real replica (real vLLM): chat keeps answering, the turns go
to the replica's spool and reach the database in order once it is back, none lost, none doubled;
a replica killed with turns still spooled leaves them to the next replica."""

from __future__ import annotations

import signal
import time
import uuid
import warnings

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.keys import AUTH

pytestmark = pytest.mark.slow


class Postgres:
    """A private PostgreSQL (pgserver) that can be stopped and started again on the same data."""

    def __init__(self, data_dir) -> None:
        self.data_dir = data_dir
        self.server = None

    def start(self) -> str:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
        self.server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        return self.server.get_uri()

    def stop(self) -> None:
        self.server.cleanup()


def _chat(url: str, text: str, session: str | None = None, stream: bool = False) -> str:
    body = {"model": "lucid", "max_tokens": 6, "temperature": 0, "stream": stream,
            "messages": [{"role": "user", "content": text}]}
    headers = {**AUTH, "X-Session-Id": session} if session else AUTH
    response = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
    assert response.status_code == 200, response.text
    if stream:
        assert response.text.rstrip().endswith("data: [DONE]"), response.text[-200:]
    return response.headers["x-session-id"]


def _turns(db_url: str, session: str) -> list[dict]:
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        return conn.execute("SELECT t.seq, t.messages FROM turns t JOIN sessions s"
                            " ON s.id = t.session_id WHERE s.public_id = %s ORDER BY t.seq",
                            (session,)).fetchall()


def _wait_for_turns(db_url: str, session: str, count: int, timeout_s: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            rows = _turns(db_url, session)
        except psycopg.OperationalError:
            rows = []
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def test_turns_survive_a_database_outage_in_order_and_a_replica_death(start_api, tmp_path):
    pg = Postgres(tmp_path / "pg")
    db_url = pg.start()
    var = str(tmp_path / "var")
    replica = start_api(DATABASE_URL=db_url, LUCID_VAR_DIR=var)
    try:
        session = f"outage-{uuid.uuid4().hex[:8]}"
        _chat(replica.url, "one", session)
        pg.stop()
        _chat(replica.url, "two", session)
        _chat(replica.url, "three", session, stream=True)
        other = _chat(replica.url, "a conversation of its own")
        assert httpx.get(f"{replica.url}/health").status_code == 200  # the engine is fine
        spooled = list((tmp_path / "var" / "spool").glob("*.jsonl"))
        assert spooled and sum(p.stat().st_size for p in spooled) > 0

        db_url = pg.start()
        rows = _wait_for_turns(db_url, session, 3)
        assert [r["seq"] for r in rows] == [1, 2, 3]
        assert [r["messages"][-1]["content"] for r in rows] == ["one", "two", "three"]
        assert len(_wait_for_turns(db_url, other, 1)) == 1
        # Once replayed, turns go straight to the database again.
        _chat(replica.url, "four", session)
        assert len(_turns(db_url, session)) == 4

        # A replica that dies with turns in its spool: the next one replays them.
        pg.stop()
        _chat(replica.url, "five", session)
        replica.kill(signal.SIGKILL)
        db_url = pg.start()
        successor = start_api(DATABASE_URL=db_url, LUCID_VAR_DIR=var)
        rows = _wait_for_turns(db_url, session, 5)
        assert [r["messages"][-1]["content"] for r in rows] == ["one", "two", "three", "four",
                                                                "five"]
        time.sleep(3)  # another replay round: nothing doubles
        assert len(_turns(db_url, session)) == 5
        successor.kill(signal.SIGTERM)
    finally:
        replica.kill(signal.SIGKILL)
        pg.stop()
