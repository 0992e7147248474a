"""Chat through the official `openai` client against the real API, vLLM, model and PostgreSQL."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from tests.keys import ADMIN_KEY, AUTH

pytestmark = pytest.mark.slow

ASK = [{"role": "user", "content": "What is the capital of France?"}]


def _turns(db, session_id: str) -> list[dict]:
    return db.execute(
        "SELECT t.* FROM turns t JOIN sessions s ON s.id = t.session_id"
        " WHERE s.public_id = %s ORDER BY t.seq", (session_id,)).fetchall()


def test_chat_answers_and_logs_a_complete_turn(client, db):
    raw = client.chat.completions.with_raw_response.create(
        model="lucid", messages=ASK, max_tokens=16, temperature=0, user="alice",
        metadata={"app": "tests"})
    completion = raw.parse()
    answer = completion.choices[0].message.content
    assert "Paris" in answer
    assert completion.choices[0].finish_reason in ("stop", "length")
    assert completion.usage.completion_tokens > 0

    session_id = raw.headers["x-session-id"]
    [turn] = _turns(db, session_id)
    assert turn["messages"] == ASK
    assert turn["response"] == answer
    assert turn["finish_reason"] == completion.choices[0].finish_reason
    assert turn["status"] == "completed"
    assert turn["model_requested"] == "lucid"
    assert turn["model_served"] == completion.model
    assert turn["adapter_version_id"] is None
    assert turn["prompt_tokens"] == completion.usage.prompt_tokens
    assert turn["completion_tokens"] == completion.usage.completion_tokens
    assert turn["latency_ms"] > 0
    assert turn["user_id"] == "alice"
    assert turn["metadata"] == {"app": "tests"}
    assert turn["params"] == {"max_tokens": 16, "temperature": 0.0, "stream": False}
    assert turn["request_id"] == raw.headers["x-request-id"]
    assert turn["started_at"] <= turn["completed_at"]


def test_stream_delivers_tokens_usage_and_logs_the_turn(client, db):
    with client.chat.completions.with_streaming_response.create(
        model="lucid", messages=ASK, max_tokens=16, temperature=0, stream=True,
        stream_options={"include_usage": True},
    ) as response:
        session_id = response.headers["x-session-id"]
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    usage = chunks[-1].usage
    assert "Paris" in text
    assert usage is not None and usage.completion_tokens > 0
    [turn] = _turns(db, session_id)
    assert turn["response"] == text
    assert turn["status"] == "completed"
    assert turn["completion_tokens"] == usage.completion_tokens
    assert turn["ttft_ms"] is not None and 0 < turn["ttft_ms"] <= turn["latency_ms"]


def test_stream_without_include_usage_sends_no_usage_chunk_but_logs_tokens(client, db):
    with client.chat.completions.with_streaming_response.create(
        model="lucid", messages=ASK, max_tokens=8, stream=True,
    ) as response:
        session_id = response.headers["x-session-id"]
        chunks = list(response.parse())
    assert all(c.choices for c in chunks)
    [turn] = _turns(db, session_id)
    assert turn["completion_tokens"] and turn["prompt_tokens"]


def test_models_lists_alias_base_and_retrieves(client):
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "lucid"
    base = ids[1]
    assert client.models.retrieve(base).id == base
    answer = client.chat.completions.create(model=base, messages=ASK, max_tokens=8)
    assert answer.choices[0].message.content
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")


@pytest.mark.parametrize(
    ("kwargs", "status", "param", "code"),
    [
        ({"model": "no-such-model"}, 404, "model", "model_not_found"),
        ({"messages": []}, 400, "messages", None),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role", None),
        ({"messages": [{"role": "user"}]}, 400, "messages[0]", None),
        ({"temperature": -1}, 400, "temperature", None),
        ({"top_p": 0}, 400, "top_p", None),
        ({"max_tokens": 0}, 400, "max_tokens", None),
        ({"n": 2}, 400, "n", None),
        ({"stop": ["a", "b", "c", "d", "e"]}, 400, "stop", None),
        ({"messages": [{"role": "user", "content": "lucid " * 3000}]}, 400, "messages",
         "context_length_exceeded"),
        ({"max_tokens": 100000}, 400, None, None),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_bad_requests_get_openai_errors(client, db, kwargs, status, param, code, stream):
    before = db.execute("SELECT count(*) AS n FROM turns").fetchone()["n"]
    request = {"model": "lucid", "messages": ASK, "max_tokens": 4, "stream": stream, **kwargs}
    with pytest.raises(openai.APIStatusError) as info:
        client.chat.completions.create(**request)
    err = info.value
    assert err.status_code == status
    body = err.body
    assert set(body) >= {"message", "type", "param", "code"}
    assert body["message"]
    if param is not None:
        assert body["param"] == param
    if code is not None:
        assert body["code"] == code
    after = db.execute("SELECT count(*) AS n FROM turns").fetchone()["n"]
    assert after == before, "a rejected request changed the session log"


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"{not json", b"", b"null"])
def test_non_object_bodies_are_400_in_openai_format(api, body):
    response = httpx.post(f"{api.url}/v1/chat/completions", content=body,
                          headers={**AUTH, "content-type": "application/json"})
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}


def test_request_id_is_echoed_or_generated(api):
    mine = httpx.get(f"{api.url}/v1/models", headers={**AUTH, "X-Request-Id": "my-trace-42"})
    assert mine.headers["x-request-id"] == "my-trace-42"
    fresh = [httpx.get(f"{api.url}/v1/models", headers=AUTH).headers["x-request-id"]
             for _ in range(2)]
    assert fresh[0] != fresh[1] and all(fresh)
    missing = httpx.get(f"{api.url}/no/such/route", headers=AUTH)
    assert missing.status_code == 404 and missing.headers["x-request-id"]
    assert "error" in missing.json()


def test_health_is_200_with_engine(api):
    assert httpx.get(f"{api.url}/health").status_code == 200


def _ask(client, messages, **kw):
    raw = client.chat.completions.with_raw_response.create(
        model="lucid", messages=messages, max_tokens=12, temperature=0, **kw)
    return raw.parse().choices[0].message.content, raw.headers["x-session-id"]


def test_threading_by_prefix_joins_the_earlier_session(client, db):
    first = [{"role": "system", "content": f"Conversation {uuid.uuid4()}"},
             {"role": "user", "content": "Name a colour."}]
    answer, session = _ask(client, first)
    second = [*first, {"role": "assistant", "content": answer},
              {"role": "user", "content": "And another?"}]
    answer2, session2 = _ask(client, second)
    assert session2 == session
    third = [*second, {"role": "assistant", "content": answer2},
             {"role": "user", "content": "One more."}]
    assert _ask(client, third)[1] == session
    assert [t["seq"] for t in _turns(db, session)] == [1, 2, 3]
    # The same opening without the earlier answer is a different conversation.
    assert _ask(client, first)[1] != session


def test_threading_by_header_and_by_metadata(client, db):
    named = f"my-chat-{uuid.uuid4().hex[:8]}"
    _, s1 = _ask(client, [{"role": "user", "content": "Hi"}], extra_headers={"X-Session-Id": named})
    _, s2 = _ask(client, [{"role": "user", "content": "Bye"}], metadata={"session_id": named})
    assert s1 == s2 == named
    assert len(_turns(db, named)) == 2
    with pytest.raises(openai.BadRequestError) as info:
        _ask(client, [{"role": "user", "content": "x"}], extra_headers={"X-Session-Id": "bad id!"})
    assert info.value.body["param"] == "X-Session-Id"


def test_other_users_with_the_same_history_get_their_own_session(client):
    opening = [{"role": "user", "content": f"Hello {uuid.uuid4()}"}]
    answer, alice = _ask(client, opening, user="alice")
    follow = [*opening, {"role": "assistant", "content": answer}, {"role": "user", "content": "?"}]
    assert _ask(client, follow, user="bob")[1] != alice
    assert _ask(client, follow, user="alice")[1] == alice


def test_admin_lists_sessions_newest_first_and_shows_transcript(client, api):
    opening = [{"role": "user", "content": f"Remember {uuid.uuid4()}"}]
    answer, session = _ask(client, opening)
    follow = [*opening, {"role": "assistant", "content": answer},
              {"role": "user", "content": "Thanks"}]
    answer2, _ = _ask(client, follow)
    _, newer = _ask(client, [{"role": "user", "content": f"Other {uuid.uuid4()}"}])

    page = httpx.get(f"{api.url}/admin/sessions", params={"limit": 2}, headers=AUTH).json()
    assert [s["id"] for s in page["data"]] == [newer, session]
    assert page["has_more"] is True
    nxt = httpx.get(f"{api.url}/admin/sessions", params={"limit": 2, "after": session},
                    headers=AUTH).json()
    assert session not in [s["id"] for s in nxt["data"]] and newer not in nxt["data"]

    shown = httpx.get(f"{api.url}/admin/sessions/{session}", headers=AUTH).json()
    assert shown["turn_count"] == 2
    assert [m["content"] for m in shown["transcript"]] == [
        opening[0]["content"], answer, "Thanks", answer2]
    assert [t["seq"] for t in shown["turns"]] == [1, 2]

    missing = httpx.get(f"{api.url}/admin/sessions/nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "session_id"
    bad_page = httpx.get(f"{api.url}/admin/sessions", params={"limit": 0}, headers=AUTH)
    assert bad_page.status_code == 400 and bad_page.json()["error"]["param"] == "limit"


def test_many_seeded_requests_at_once_leave_the_engine_alive(api):
    """vLLM's CPU runner dies when a request with a `seed` is prefilled in chunks; the launcher
    starts it with whole prefills. 24 seeded prompts of ~300 tokens overflow one step's budget."""
    import asyncio

    words = " ".join(["apple banana cherry grape"] * 70)

    async def burst() -> list[str]:
        async with openai.AsyncOpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY,
                                      max_retries=0, timeout=120) as client:
            replies = await asyncio.gather(*[client.chat.completions.create(
                model="lucid", messages=[{"role": "user", "content": f"{i} {words}"}], seed=i,
                temperature=0.9, max_tokens=4, metadata={"learn": "false"}) for i in range(24)])
        return [r.choices[0].finish_reason for r in replies]

    assert set(asyncio.run(burst())) <= {"stop", "length"}
    assert httpx.get(f"{api.url}/health").status_code == 200
