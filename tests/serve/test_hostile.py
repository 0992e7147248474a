"""Hostile input against the real API process (real vLLM, real PostgreSQL): each bad request gets
a clear OpenAI-format error naming what is wrong and changes nothing (no turn is logged); odd but
valid input (control characters, injection-looking strings) is served and logged verbatim; the
server is fine afterwards."""

from __future__ import annotations

import uuid

import httpx
import orjson
import pytest

from tests.keys import AUTH

pytestmark = pytest.mark.slow

OK = {"model": "lucid", "messages": [{"role": "user", "content": "Say hi."}], "max_tokens": 4}


def _with(**changes) -> bytes:
    return orjson.dumps({**OK, **changes})


# (name, raw body, status, param, code): param/code None means "not checked".
BAD: list[tuple[str, bytes, int, str | None, str | None]] = [
    ("array body", b"[1, 2]", 400, None, "invalid_body"),
    ("string body", b'"hello"', 400, None, "invalid_body"),
    ("null body", b"null", 400, None, "invalid_body"),
    ("number body", b"42", 400, None, "invalid_body"),
    ("empty body", b"", 400, None, None),
    ("truncated JSON", b'{"model": "lucid", "messages": [', 400, None, "invalid_json"),
    ("invalid UTF-8", b'{"model": "lucid", "messages": [{"role": "user", "content": "\xff\xfe"}]}',
     400, None, None),
    ("messages is a string", _with(messages="hi"), 400, "messages", None),
    ("message is a list", _with(messages=[["user", "hi"]]), 400, "messages[0]", None),
    ("model is a number", _with(model=5), 400, "model", None),
    ("temperature is text", _with(temperature="hot"), 400, "temperature", None),
    ("negative temperature", _with(temperature=-1), 400, "temperature", None),
    ("max_tokens is text", _with(max_tokens="many"), 400, "max_tokens", None),
    ("max_tokens zero", _with(max_tokens=0), 400, "max_tokens", None),
    ("huge max_tokens", _with(max_tokens=10**12), 400, None, None),
    ("n = 2", _with(n=2), 400, "n", None),
    ("unknown role", _with(messages=[{"role": "wizard", "content": "hi"}]), 400,
     "messages[0].role", None),
    ("missing content", _with(messages=[{"role": "user"}]), 400, "messages[0]", None),
    ("no messages", _with(messages=[]), 400, "messages", None),
    ("10k messages", _with(messages=[{"role": "user", "content": "hi"}] * 10_000), 400,
     "messages", None),
    ("too many characters", _with(messages=[{"role": "user", "content": "a" * 500_000}]), 400,
     "messages", "request_too_large"),
    ("body over the byte limit", _with(messages=[{"role": "user", "content": "a" * 5_000_000}]),
     413, None, "request_too_large"),
    ("user too long", _with(user="u" * 300), 400, "user", None),
    ("metadata nested", _with(metadata={"a": {"b": 1}}), 400, "metadata.a", None),
    ("metadata session id with a path", _with(metadata={"session_id": "../../etc/passwd"}), 400,
     "metadata.session_id", None),
    ("too many stop sequences", _with(stop=["a", "b", "c", "d", "e"]), 400, "stop", None),
    ("unknown model", _with(model="gpt-17"), 404, "model", "model_not_found"),
]


def _turn_count(db) -> int:
    return db.execute("SELECT count(*) AS n FROM turns").fetchone()["n"]


def test_each_hostile_request_is_a_clear_error_and_changes_nothing(api, db):
    before = _turn_count(db)
    failures = []
    with httpx.Client(base_url=api.url, timeout=60, headers=AUTH) as http:
        for name, body, status, param, code in BAD:
            response = http.post("/v1/chat/completions", content=body,
                                 headers={"content-type": "application/json"})
            error = response.json().get("error") if response.headers.get(
                "content-type", "").startswith("application/json") else None
            problems = []
            if response.status_code != status:
                problems.append(f"status {response.status_code}")
            if not error or not error.get("message") or "type" not in error:
                problems.append(f"body {response.text[:200]!r}")
            elif (param and error.get("param") != param) or (code and error.get("code") != code):
                problems.append(f"param/code {error.get('param')}/{error.get('code')}")
            if problems:
                failures.append((name, problems))
        assert failures == []
        assert _turn_count(db) == before, "a refused request left a turn behind"
        assert http.get("/health").status_code == 200
        assert http.post("/v1/chat/completions", json=OK).status_code == 200


def test_odd_but_valid_input_is_served_and_logged_verbatim(api, db):
    user = "'; DROP TABLE turns; --"
    content = "Control \x00\x07\x1b[31m characters \u202e and <script>alert(1)</script>"
    metadata = {"note": "Ignore all previous instructions {{7*7}} ${jndi:ldap://x}",
                "session_id": f"odd-{uuid.uuid4().hex[:8]}"}
    response = httpx.post(f"{api.url}/v1/chat/completions", timeout=60, headers=AUTH, json={
        **OK, "messages": [{"role": "user", "content": content}], "user": user,
        "metadata": metadata})
    assert response.status_code == 200, response.text
    [turn] = db.execute("SELECT t.* FROM turns t JOIN sessions s ON s.id = t.session_id"
                        " WHERE s.public_id = %s", (metadata["session_id"],)).fetchall()
    assert turn["user_id"] == user and turn["metadata"] == metadata
    # PostgreSQL text cannot hold NUL: it is stored as U+FFFD, everything else as sent.
    assert turn["messages"][0]["content"] == content.replace("\x00", "\ufffd")
    assert db.execute("SELECT to_regclass('turns') IS NOT NULL AS ok").fetchone()["ok"]
