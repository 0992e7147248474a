"""Client compatibility: the official `openai` client (sync and async, plain and streaming),
LangChain's `ChatOpenAI` and LiteLLM's OpenAI-compatible provider, each pointed at Lucid with no
change but the base URL, against the real API, vLLM and PostgreSQL. Each answer comes back in
the client's own types, each turn is logged, and errors arrive as the client's own exceptions."""

from __future__ import annotations

import asyncio
import os
import uuid

import openai
import pytest

from tests.keys import ADMIN_KEY

pytestmark = pytest.mark.slow

ASK = "What is the capital of France?"
# A fixed system message: the 135M model's greedy answer turns on every word of the prompt
# (measured on vLLM CPU: "Conversation <random hex>." gave French 2 times in 36), so the
# conversation is told apart by the unique `user`, never by random prompt text.
SYSTEM = "You are a helpful assistant."


def _user(client: str) -> str:
    return f"{client}-{uuid.uuid4().hex[:8]}"


def _logged(db, user: str) -> list[dict]:
    return db.execute("SELECT * FROM turns WHERE user_id = %s ORDER BY started_at, seq",
                      (user,)).fetchall()


def test_openai_sync_plain_and_streaming(api, db):
    user = _user("openai-sync")
    with openai.OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
        plain = client.chat.completions.create(
            model="lucid", messages=[{"role": "user", "content": ASK}], max_tokens=16,
            temperature=0, user=user)
        chunks = list(client.chat.completions.create(
            model="lucid", messages=[{"role": "user", "content": ASK}], max_tokens=16,
            temperature=0, user=user, stream=True, stream_options={"include_usage": True}))
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="no-such-model", max_tokens=4,
                                           messages=[{"role": "user", "content": ASK}])
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Paris" in plain.choices[0].message.content
    assert streamed == plain.choices[0].message.content  # greedy: the same text both ways
    assert chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert [t["response"] for t in _logged(db, user)] == [plain.choices[0].message.content] * 2


def test_openai_async_plain_streaming_and_concurrent(api, db):
    user = _user("openai-async")

    async def run() -> tuple[list[str], str]:
        async with openai.AsyncOpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY,
                                      max_retries=0) as client:
            replies = await asyncio.gather(*[client.chat.completions.create(
                model="lucid", messages=[{"role": "user", "content": f"{ASK} ({i})"}],
                max_tokens=16, temperature=0, user=user) for i in range(4)])
            stream = await client.chat.completions.create(
                model="lucid", messages=[{"role": "user", "content": ASK}], max_tokens=16,
                temperature=0, user=user, stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream
                            if c.choices])
            with pytest.raises(openai.BadRequestError):
                await client.chat.completions.create(model="lucid", messages=[], max_tokens=4)
            return [r.choices[0].message.content for r in replies], text

    answers, streamed = asyncio.run(run())
    assert all("Paris" in a for a in answers) and "Paris" in streamed
    assert len(_logged(db, user)) == 5


def test_langchain_chat_openai_invoke_stream_and_history(api, db):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    from langchain_openai import ChatOpenAI

    user = _user("langchain")
    llm = ChatOpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, model="lucid", temperature=0,
                     max_tokens=16, max_retries=0, model_kwargs={"user": user})
    first = llm.invoke([SystemMessage(SYSTEM), HumanMessage(ASK)])
    assert isinstance(first, AIMessage) and "Paris" in first.content
    assert first.response_metadata["model_name"]
    streamed = "".join(chunk.content for chunk in llm.stream(ASK))
    assert "Paris" in streamed
    # A follow-up carrying the earlier exchange continues the same logged session.
    follow = llm.invoke([SystemMessage(SYSTEM), HumanMessage(ASK), first,
                         HumanMessage("And of Italy?")])
    assert follow.content
    again = asyncio.run(llm.ainvoke(ASK))
    assert "Paris" in again.content
    with pytest.raises(openai.NotFoundError):
        ChatOpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, model="no-such-model",
                   max_retries=0).invoke(ASK)

    turns = _logged(db, user)
    assert len(turns) == 4
    assert turns[0]["session_id"] == turns[2]["session_id"]
    assert [t["seq"] for t in turns if t["session_id"] == turns[0]["session_id"]] == [1, 2]


def test_litellm_openai_compatible_provider(api, db, monkeypatch):
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch from the internet
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    import litellm

    # LiteLLM forwards `user` only for OpenAI's own models; a session named in Lucid's header
    # comes through (extra_headers) and threads the three calls into one logged session.
    session = _user("litellm")
    common = {"model": "openai/lucid", "api_base": f"{api.url}/v1", "api_key": ADMIN_KEY,
              "max_tokens": 16, "temperature": 0, "num_retries": 0,
              "extra_headers": {"X-Session-Id": session}}
    plain = litellm.completion(messages=[{"role": "user", "content": ASK}], **common)
    assert "Paris" in plain.choices[0].message.content
    assert plain.usage.completion_tokens > 0
    stream = litellm.completion(messages=[{"role": "user", "content": ASK}], stream=True,
                                **common)
    streamed = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert streamed == plain.choices[0].message.content
    later = asyncio.run(litellm.acompletion(messages=[{"role": "user", "content": ASK}],
                                            **common))
    assert "Paris" in later.choices[0].message.content
    with pytest.raises(litellm.NotFoundError):
        litellm.completion(messages=[{"role": "user", "content": ASK}],
                           **{**common, "model": "openai/no-such-model"})
    turns = db.execute("SELECT t.seq FROM turns t JOIN sessions s ON s.id = t.session_id"
                       " WHERE s.public_id = %s ORDER BY t.seq", (session,)).fetchall()
    assert [t["seq"] for t in turns] == [1, 2, 3]
