"""Structured logs: every line is one JSON object, and what is logged while serving a request
carries that request's X-Request-Id (and its session once known). A fake engine and the real
PostgreSQL (fast); the real-vLLM sibling reads a real replica's log in test_metrics.py.
"""

from __future__ import annotations

import io
import logging
from datetime import datetime

import orjson
import pytest
from pydantic import ValidationError

from serve.config.settings import Settings
from serve.observe import log_format as logs
from tests.keys import ADMIN_KEY, app_client

CHAT = "/v1/chat/completions"
USER = [{"role": "user", "content": "hello there"}]


@pytest.fixture
def capture():
    """`logs.configure` into a buffer, for one test; the root logger is restored after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()

    def start(log_format: str = "json") -> io.StringIO:
        logs.configure(log_format, stream=buffer)
        return buffer

    yield start
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def http(database_url, engine, tmp_path):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model")
    with app_client(settings, engine, raise_server_exceptions=False) as client:
        yield client


def json_lines(buffer: io.StringIO) -> list[dict]:
    lines = buffer.getvalue().splitlines()
    assert lines
    return [orjson.loads(line) for line in lines]  # every line, not only ours, is JSON


def test_the_access_line_is_json_with_the_request_and_session_ids(http, capture):
    buffer = capture("json")
    for stream in (False, True):
        request_id = f"req-access-{stream}"
        response = http.post(CHAT, json={"model": "lucid", "messages": USER, "stream": stream},
                             headers={"X-Request-Id": request_id})
        assert response.status_code == 200
        [line] = [line for line in json_lines(buffer) if line.get("request_id") == request_id]
        assert line["logger"] == "lucid.access" and line["level"] == "INFO"
        assert line["message"] == f"POST {CHAT} 200"
        assert (line["method"], line["path"], line["status"]) == ("POST", CHAT, 200)
        assert line["latency_ms"] > 0
        assert line["tenant"] == "default" and line["key_id"] == ADMIN_KEY.split("-")[1]
        assert line["session_id"] == response.headers["x-session-id"]
        assert datetime.fromisoformat(line["timestamp"]).tzinfo is not None


def test_a_generated_request_id_is_the_one_logged(http, capture):
    buffer = capture("json")
    response = http.get("/v1/models")
    [line] = [line for line in json_lines(buffer) if line["logger"] == "lucid.access"]
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["status"] == 200 and "session_id" not in line


def test_an_error_inside_a_request_is_logged_with_its_id_and_traceback(http, engine, capture):
    async def broken(payload):
        raise RuntimeError("engine exploded")

    engine.chat = broken
    buffer = capture("json")
    response = http.post(CHAT, json={"model": "lucid", "messages": USER},
                         headers={"X-Request-Id": "req-broken"})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert response.headers["x-request-id"] == "req-broken"
    mine = [line for line in json_lines(buffer) if line.get("request_id") == "req-broken"]
    [error] = [line for line in mine if line["level"] == "ERROR"]
    assert error["logger"] == "serve.app.error_handlers"
    assert "RuntimeError: engine exploded" in error["exception"]
    assert [line["status"] for line in mine if line["logger"] == "lucid.access"] == [500]


def test_text_format_is_plain_lines_with_the_request_id(http, capture):
    buffer = capture("text")
    http.get("/v1/models", headers={"X-Request-Id": "req-plain"})
    [line] = [line for line in buffer.getvalue().splitlines() if "req-plain" in line]
    assert "INFO lucid.access [req-plain] GET /v1/models 200" in line
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(line)


def test_log_format_setting(monkeypatch):
    monkeypatch.delenv("LUCID_LOG_FORMAT", raising=False)
    assert Settings().log_format == "json"
    monkeypatch.setenv("LUCID_LOG_FORMAT", "text")
    assert Settings().log_format == "text"
    monkeypatch.setenv("LUCID_LOG_FORMAT", "yaml")
    with pytest.raises(ValidationError):
        Settings()
