"""`Idempotency-Key`: a retried POST stores one turn and returns the same response, plain or
streamed. Fast tests use the fake engine and the real PostgreSQL; the last two run the real API,
vLLM and the official `openai` client."""

from __future__ import annotations

import uuid

import orjson
import pytest
from openai import OpenAI

from serve.api.schemas import ChatCompletionRequest
from serve.chat.idempotency import fingerprint
from tests.keys import ADMIN_KEY

ASK = {"model": "lucid", "messages": [{"role": "user", "content": "remember the blue door"}]}


def _key() -> str:
    return f"idem-{uuid.uuid4().hex}"


def _turns(db, key: str) -> int:
    return db.execute("SELECT count(*) AS n FROM turns WHERE idempotency_key = %s",
                      (key,)).fetchone()["n"]


def _events(response) -> list:
    lines = [line for line in response.text.split("\n\n") if line.startswith("data: ")]
    return [line[6:] if line == "data: [DONE]" else orjson.loads(line[6:]) for line in lines]


def test_a_retry_gets_the_same_response_and_logs_one_turn(http, engine, db):
    key = _key()
    first = http.post("/v1/chat/completions", json=ASK, headers={"Idempotency-Key": key})
    again = http.post("/v1/chat/completions", json=ASK, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["x-session-id"] == first.headers["x-session-id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert len(engine.payloads) == 1 and _turns(db, key) == 1
    # Without a key, the same request is a new request.
    http.post("/v1/chat/completions", json=ASK)
    assert len(engine.payloads) == 2


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(http, engine, db):
    key = _key()
    assert http.post("/v1/chat/completions", json=ASK,
                     headers={"Idempotency-Key": key}).status_code == 200
    other = {**ASK, "temperature": 0.5}
    response = http.post("/v1/chat/completions", json=other, headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["param"] == "Idempotency-Key"
    assert len(engine.payloads) == 1 and _turns(db, key) == 1


def test_a_retry_while_the_first_runs_is_409_and_a_dead_claim_is_taken_over(http, engine, db):
    key = _key()
    # The claim a first request holds while the engine works on it.
    db.execute("INSERT INTO idempotency_keys (tenant_id, key, fingerprint) VALUES (1, %s, %s)",
               (key, fingerprint(ChatCompletionRequest(**ASK), None)))
    running = http.post("/v1/chat/completions", json=ASK, headers={"Idempotency-Key": key})
    assert running.status_code == 409 and running.headers["retry-after"] == "1"
    assert running.json()["error"]["code"] == "idempotency_in_progress"
    assert engine.payloads == []
    # Its process died long ago: the claim is stale and the retry runs.
    db.execute("UPDATE idempotency_keys SET created_at = now() - interval '1 hour'"
               " WHERE key = %s", (key,))
    assert http.post("/v1/chat/completions", json=ASK,
                     headers={"Idempotency-Key": key}).status_code == 200
    assert _turns(db, key) == 1


def test_a_failed_request_releases_its_key_for_the_retry(http, engine, db):
    key = _key()
    engine.up = False
    assert http.post("/v1/chat/completions", json=ASK,
                     headers={"Idempotency-Key": key}).status_code == 503
    engine.up = True
    retry = http.post("/v1/chat/completions", json=ASK, headers={"Idempotency-Key": key})
    assert retry.status_code == 200 and "idempotent-replayed" not in retry.headers
    assert _turns(db, key) == 1


def test_a_streamed_response_is_replayed_as_a_stream(http, engine, db):
    key = _key()
    body = {**ASK, "stream": True, "stream_options": {"include_usage": True}}
    first = http.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": key})
    again = http.post("/v1/chat/completions", json=body, headers={"Idempotency-Key": key})
    assert again.headers["idempotent-replayed"] == "true"

    def text(events):
        return "".join(e["choices"][0]["delta"].get("content") or "" for e in events
                       if isinstance(e, dict) and e["choices"])

    one, two = _events(first), _events(again)
    assert text(two) == text(one) == "echo: remember the blue door"
    assert one[-1] == two[-1] == "[DONE]"
    assert two[-2]["usage"] == one[-2]["usage"]
    assert len(engine.payloads) == 1 and _turns(db, key) == 1


def test_bad_keys_are_400(http):
    for bad in ("has space", "x" * 256):
        response = http.post("/v1/chat/completions", json=ASK, headers={"Idempotency-Key": bad})
        assert response.status_code == 400
        assert response.json()["error"]["param"] == "Idempotency-Key"


@pytest.mark.slow
def test_real_engine_retries_through_the_openai_client(api, db):
    key = _key()
    with OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
        kwargs = {"model": "lucid", "max_tokens": 12, "temperature": 0.9, "seed": 3,
                  "messages": [{"role": "user", "content": "Tell me a word."}],
                  "extra_headers": {"Idempotency-Key": key}}
        first = client.chat.completions.create(**kwargs)
        again = client.chat.completions.with_raw_response.create(**kwargs)
        stream_key = _key()
        texts = []
        for _ in range(2):  # each read to the end before the retry
            stream = client.chat.completions.create(
                **{**kwargs, "extra_headers": {"Idempotency-Key": stream_key}}, stream=True)
            texts.append("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.parse().model_dump() == first.model_dump()
    assert _turns(db, key) == 1
    assert texts[0] and texts[0] == texts[1] and _turns(db, stream_key) == 1
