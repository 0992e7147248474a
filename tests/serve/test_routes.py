"""Route behaviour with a fake engine and the real PostgreSQL (fast; no vLLM).

Siblings against the real engine: test_chat.py.
"""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient

from serve.app import create_app
from serve.settings import Settings
from tests.serve.fake_engine import FakeEngine

USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def http(database_url, engine, tmp_path):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model_name="base-model",
                        model="base-model")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def _count(db) -> int:
    return db.execute("SELECT count(*) AS n FROM turns").fetchone()["n"]


def test_engine_gets_the_resolved_model_and_only_known_parameters(http, engine):
    response = http.post("/v1/chat/completions", json={
        "model": "lucid", "messages": USER, "temperature": 0.5, "seed": 3,
        "some_client_extra": {"x": 1}, "stream": False})
    assert response.status_code == 200
    [payload] = engine.payloads
    assert payload["model"] == "base-model"
    assert payload["temperature"] == 0.5 and payload["seed"] == 3
    assert "some_client_extra" not in payload


def test_stream_asks_engine_for_usage_and_commits_before_done(http, engine, db):
    with http.stream("POST", "/v1/chat/completions", json={
        "model": "lucid", "messages": USER, "stream": True}) as response:
        assert response.status_code == 200
        session = response.headers["x-session-id"]
        events = []
        for line in response.iter_lines():
            if not line.startswith("data: "):
                continue
            events.append(line[6:])
            if line == "data: [DONE]":
                row = db.execute(
                    "SELECT t.response, t.status FROM turns t JOIN sessions s"
                    " ON s.id = t.session_id WHERE s.public_id = %s", (session,)).fetchone()
                assert row == {"response": "echo: hello there", "status": "completed"}
    assert engine.payloads[0]["stream_options"] == {"include_usage": True}
    assert events[-1] == "[DONE]"
    assert all(orjson.loads(e)["choices"] for e in events[:-1]), "usage leaked to the client"
    assert engine.last_stream.closed


def test_engine_down_gives_503_retry_after_and_logs_nothing(http, engine, db):
    engine.up = False
    before = _count(db)
    for stream in (False, True):
        response = http.post("/v1/chat/completions",
                             json={"model": "lucid", "messages": USER, "stream": stream})
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert response.json()["error"]["code"] == "engine_unavailable"
    health = http.get("/health")
    assert health.status_code == 503 and health.headers["retry-after"]
    assert _count(db) == before


def test_unknown_route_and_method_use_openai_errors(http):
    for response in (http.get("/v1/nothing"), http.get("/v1/chat/completions")):
        assert response.status_code in (404, 405)
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_wrong_types_name_the_parameter(http):
    cases = {"temperature": "hot", "max_tokens": "many", "stream": "maybe", "messages": "hi",
             "metadata": {"k": ["nested"]}, "user": 5}
    for field, value in cases.items():
        body = {"model": "lucid", "messages": USER, field: value}
        response = http.post("/v1/chat/completions", json=body)
        assert response.status_code == 400, field
        assert response.json()["error"]["param"].startswith(field), field


def test_missing_model_is_named(http):
    response = http.post("/v1/chat/completions", json={"messages": USER})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "model"


def test_opt_out_metadata_marks_the_session_not_for_learning(http, db):
    response = http.post("/v1/chat/completions", json={
        "model": "lucid", "messages": USER, "metadata": {"learn": False}})
    session = response.headers["x-session-id"]
    row = db.execute("SELECT learn FROM sessions WHERE public_id = %s", (session,)).fetchone()
    assert row["learn"] is False
