"""Turns a client received survive the API process; a client that leaves mid-stream is logged."""

from __future__ import annotations

import signal
import time
import uuid

import httpx
import pytest
from openai import OpenAI

pytestmark = pytest.mark.slow


def test_turns_survive_an_api_crash_and_threading_continues_after_restart(start_api, db):
    api = start_api()
    opening = [{"role": "user", "content": f"Keep this: {uuid.uuid4()}"}]
    with OpenAI(base_url=f"{api.url}/v1", api_key="x", max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="lucid", messages=opening, max_tokens=10, temperature=0)
        answer = raw.parse().choices[0].message.content
        session = raw.headers["x-session-id"]
        with client.chat.completions.with_streaming_response.create(
            model="lucid", messages=[{"role": "user", "content": "Stream me"}], max_tokens=6,
            stream=True,
        ) as response:
            streamed_session = response.headers["x-session-id"]
            list(response.parse())
    api.kill(signal.SIGKILL)  # no graceful shutdown: nothing may be left in memory only

    rows = db.execute(
        "SELECT s.public_id, t.response FROM turns t JOIN sessions s ON s.id = t.session_id"
        " WHERE s.public_id = ANY(%s)", ([session, streamed_session],)).fetchall()
    assert {r["public_id"] for r in rows} == {session, streamed_session}
    assert answer in [r["response"] for r in rows]

    restarted = start_api()
    follow = [*opening, {"role": "assistant", "content": answer}, {"role": "user", "content": "?"}]
    with OpenAI(base_url=f"{restarted.url}/v1", api_key="x", max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="lucid", messages=follow, max_tokens=4)
    assert raw.headers["x-session-id"] == session


def test_a_client_leaving_mid_stream_is_logged_as_aborted(api, db):
    body = {"model": "lucid", "stream": True, "max_tokens": 400, "temperature": 1.0,
            "messages": [{"role": "user", "content": "Write a long story about a lighthouse."}]}
    with httpx.Client(timeout=60) as http, http.stream(
        "POST", f"{api.url}/v1/chat/completions", json=body
    ) as response:
        session = response.headers["x-session-id"]
        for n, _ in enumerate(response.iter_lines()):
            if n >= 6:
                break  # leave after a few events
    deadline = time.monotonic() + 20
    row = None
    while time.monotonic() < deadline and row is None:
        row = db.execute(
            "SELECT t.status, t.response, t.finish_reason FROM turns t"
            " JOIN sessions s ON s.id = t.session_id WHERE s.public_id = %s", (session,)
        ).fetchone()
        time.sleep(0.2)
    assert row is not None, "the abandoned stream was not logged"
    assert row["status"] == "aborted" and row["finish_reason"] is None
    assert row["response"]
