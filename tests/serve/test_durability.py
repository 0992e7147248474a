"""Turns a client received survive the API process; a client that leaves mid-stream is logged."""

from __future__ import annotations

import signal
import time
import uuid

import httpx
import pytest
from openai import OpenAI
from transformers import AutoTokenizer

from tests.keys import ADMIN_KEY, AUTH

pytestmark = pytest.mark.slow


def test_turns_survive_an_api_crash_and_threading_continues_after_restart(start_api, db):
    api = start_api()
    opening = [{"role": "user", "content": f"Keep this: {uuid.uuid4()}"}]
    with OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
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
    with OpenAI(base_url=f"{restarted.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="lucid", messages=follow, max_tokens=4)
    assert raw.headers["x-session-id"] == session


def test_a_client_leaving_mid_stream_is_logged_as_aborted(api, db):
    body = {"model": "lucid", "stream": True, "max_tokens": 400, "temperature": 1.0,
            "messages": [{"role": "user", "content": "Write a long story about a lighthouse."}]}
    with httpx.Client(timeout=60, headers=AUTH) as http, http.stream(
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


def test_sigterm_finishes_streams_in_flight_refuses_new_requests_and_exits(start_api, db,
                                                                         base_settings):
    replica = start_api(LUCID_DRAIN_TIMEOUT_S="60")
    session = f"drain-{uuid.uuid4().hex[:8]}"
    # The stream must still be generating when the signal lands, whatever the model answers and
    # however late this (busy, 2-core) process reads its first chunk: its end-of-turn tokens are
    # banned, so it runs its full 320 tokens (about 9 s here).
    tokenizer = AutoTokenizer.from_pretrained(base_settings.model_path)
    never_stop = {str(i): -100 for i in tokenizer.all_special_ids}
    body = {"model": "lucid", "stream": True, "max_tokens": 320, "temperature": 0,
            "logit_bias": never_stop,
            "messages": [{"role": "user", "content": "Count from 1 to 100, comma-separated."}]}
    with httpx.Client(timeout=120, headers=AUTH) as http, http.stream(
            "POST", f"{replica.url}/v1/chat/completions", json=body,
            headers={"X-Session-Id": session}) as stream:
        lines = stream.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        replica.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        refused = httpx.post(f"{replica.url}/v1/chat/completions", timeout=10, headers=AUTH, json={
            "model": "lucid", "max_tokens": 2, "messages": [{"role": "user", "content": "hi"}]})
        health = httpx.get(f"{replica.url}/health", timeout=10)
        rest = [line for line in lines if line.startswith("data: ")]
    assert refused.status_code == 503 and refused.headers["retry-after"] == "5"
    assert refused.json()["error"]["code"] == "shutting_down"
    assert health.status_code == 503
    # The stream went on for many chunks after the signal and ended normally.
    assert first and len(rest) > 10 and rest[-1] == "data: [DONE]", rest[-3:]
    replica.proc.wait(30)
    [turn] = db.execute("SELECT t.status, t.completion_tokens FROM turns t JOIN sessions s"
                        " ON s.id = t.session_id WHERE s.public_id = %s", (session,)).fetchall()
    assert turn["status"] == "completed" and turn["completion_tokens"] == 320
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{replica.url}/health", timeout=2)
