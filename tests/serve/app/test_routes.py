"""Route behaviour with a fake engine and the real PostgreSQL (fast; no vLLM).

Siblings against the real engine: test_chat.py.
"""

from __future__ import annotations

import orjson

from serve.config.settings import Settings
from tests.keys import app_client

USER = [{"role": "user", "content": "hello there"}]


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


def test_a_token_cap_refuses_more_fills_in_none_and_shows_in_the_openapi_document(
        database_url, engine, tmp_path, db):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model",
                        max_completion_tokens=8)
    ask = {"model": "lucid", "messages": [{"role": "user", "content": "hi"}]}
    with app_client(settings, engine) as http:
        before = _count(db)
        for param in ("max_tokens", "max_completion_tokens"):
            refused = http.post("/v1/chat/completions", json={**ask, param: 9})
            assert refused.status_code == 400
            assert refused.json()["error"]["param"] == param
            assert refused.json()["error"]["code"] == "max_tokens_too_large"
        assert _count(db) == before
        assert http.post("/v1/chat/completions", json=ask).status_code == 200
        assert engine.payloads[-1]["max_tokens"] == 8
        assert http.post("/v1/chat/completions", json={**ask, "max_tokens": 5}).status_code == 200
        assert engine.payloads[-1]["max_tokens"] == 5
        document = http.get("/openapi.json").json()
        request = document["components"]["schemas"]["ChatCompletionRequest"]["properties"]
        assert {"type": "integer", "minimum": 1, "maximum": 8} in request["max_tokens"]["anyOf"]
        responses = document["paths"]["/v1/chat/completions"]["post"]["responses"]
        assert "422" not in responses and "default" in responses
