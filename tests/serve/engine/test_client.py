"""The async engine client the API uses: chat answers, stream events up to `[DONE]`, health, and
LoRA load/unload, with vLLM's error answers and a missing engine as typed errors. The fast tests
put `httpx.MockTransport` in the engine's place (a fake of the engine only); the slow ones at the
end run the same calls against the real vLLM with the real model and a real LoRA adapter."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import httpx
import orjson
import pytest

from serve.api.errors import (
    AdapterAlreadyLoaded,
    AdapterNotLoaded,
    ContextLengthExceeded,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
    ModelNotFound,
)
from serve.engine.client import VLLMEngine

Handler = Callable[[httpx.Request], httpx.Response]
PAYLOAD = {"model": "base-model", "messages": [{"role": "user", "content": "hi"}]}
ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "model": "base-model",
          "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"},
                       "finish_reason": "stop"}],
          "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}


class Recorder:
    """The engine's side of the wire: records each request and answers with `answer`."""

    def __init__(self, answer: Handler) -> None:
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def on_engine(answer: Handler, go, url: str = "http://engine:8100/v1/"):
    """Run `go(engine)` with a VLLMEngine whose HTTP client talks to `answer`."""
    recorder = Recorder(answer)

    async def main():
        engine = VLLMEngine(url)
        await engine._client.aclose()
        engine._client = httpx.AsyncClient(transport=httpx.MockTransport(recorder),
                                           base_url=engine.base_url)
        try:
            return await go(engine)
        finally:
            await engine.aclose()

    return asyncio.run(main()), recorder.requests


def refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def error(status: int, message: str) -> Handler:
    body = {"error": {"message": message, "type": "BadRequestError", "param": None,
                      "code": status}}
    return lambda request: httpx.Response(status, json=body)


def test_chat_posts_the_payload_to_the_chat_route_and_returns_the_answer():
    answer, [sent] = on_engine(lambda r: httpx.Response(200, json=ANSWER),
                               lambda e: e.chat(PAYLOAD))
    assert answer == ANSWER
    assert (sent.method, str(sent.url)) == ("POST", "http://engine:8100/v1/chat/completions")
    assert sent.headers["content-type"] == "application/json"
    assert orjson.loads(sent.content) == PAYLOAD


@pytest.mark.parametrize(("answer", "raised", "code"), [
    (error(400, "This model's maximum context length is 2048 tokens."), ContextLengthExceeded,
     "context_length_exceeded"),
    (error(404, "The model `base-model` does not exist."), ModelNotFound, "model_not_found"),
    (error(400, "temperature must be non-negative"), InvalidRequest, None),
    (lambda r: httpx.Response(500, text="Internal Server Error"), EngineError, None),
    (refuse_connection, EngineUnavailable, "engine_unavailable"),
])
def test_chat_errors_are_typed(answer, raised, code):
    async def go(engine):
        with pytest.raises(raised) as caught:
            await engine.chat(PAYLOAD)
        return caught.value

    caught, _ = on_engine(answer, go)
    assert type(caught) is raised and caught.code == code


def test_an_engine_that_is_away_is_503_with_retry_after():
    async def go(engine):
        with pytest.raises(EngineUnavailable) as caught:
            await engine.chat(PAYLOAD)
        return caught.value

    caught, _ = on_engine(refuse_connection, go)
    assert caught.status == 503 and caught.headers == {"Retry-After": "5"}


SSE = (b": keep-alive\n\n"
       b'data: {"choices":[{"delta":{"role":"assistant"}}]}\n\n'
       b'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n'
       b"event: ignored\n"
       b'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n'
       b'data: {"choices":[],"usage":{"total_tokens":4}}\n\n'
       b"data: [DONE]\n\n"
       b'data: {"after":"done"}\n\n')


def test_a_stream_yields_each_data_payload_until_done():
    async def go(engine):
        stream = await engine.open_stream({**PAYLOAD, "stream": True})
        events = [orjson.loads(e) async for e in stream.events()]
        await stream.aclose()
        return events

    events, [sent] = on_engine(lambda r: httpx.Response(
        200, content=SSE, headers={"content-type": "text/event-stream"}), go)
    assert events == [{"choices": [{"delta": {"role": "assistant"}}]},
                      {"choices": [{"delta": {"content": "Hel"}}]},
                      {"choices": [{"delta": {"content": "lo"}}]},
                      {"choices": [], "usage": {"total_tokens": 4}}]
    assert orjson.loads(sent.content)["stream"] is True


@pytest.mark.parametrize(("answer", "raised"), [
    (error(400, "This model's maximum context length is 2048 tokens."), ContextLengthExceeded),
    (error(404, "no such model"), ModelNotFound),
    (lambda r: httpx.Response(503, text="overloaded"), EngineError),
    (refuse_connection, EngineUnavailable),
])
def test_a_stream_refused_before_its_first_event_is_a_typed_error(answer, raised):
    async def go(engine):
        with pytest.raises(raised) as caught:
            await engine.open_stream({**PAYLOAD, "stream": True})
        return caught.value

    caught, _ = on_engine(answer, go)
    if raised is EngineError:
        assert caught.message == "The engine failed: overloaded"


@pytest.mark.parametrize(("answer", "healthy"), [
    (lambda r: httpx.Response(200), True),
    (lambda r: httpx.Response(503), False),
    (refuse_connection, False),
])
def test_health_is_a_200_from_the_health_route(answer, healthy):
    result, requests = on_engine(answer, lambda e: e.healthy())
    assert result is healthy
    assert [str(r.url) for r in requests] == ["http://engine:8100/health"]


def test_load_and_unload_send_the_adapters_name_and_path():
    async def go(engine):
        await engine.load_adapter("t-v1-abcd", "/adapters/abcd")
        await engine.unload_adapter("t-v1-abcd")

    _, (load, unload) = on_engine(lambda r: httpx.Response(200, text="Success"), go)
    assert str(load.url) == "http://engine:8100/v1/load_lora_adapter"
    assert orjson.loads(load.content) == {"lora_name": "t-v1-abcd", "lora_path": "/adapters/abcd"}
    assert str(unload.url) == "http://engine:8100/v1/unload_lora_adapter"
    assert orjson.loads(unload.content) == {"lora_name": "t-v1-abcd"}


@pytest.mark.parametrize(("call", "answer", "raised"), [
    ("load", error(400, "The lora adapter 't-v1' has already been loaded."),
     AdapterAlreadyLoaded),
    ("unload", error(404, "The lora adapter 't-v1' cannot be found."), AdapterNotLoaded),
    ("load", error(400, "Invalid LoRA adapter: rank 64 > max 16"), InvalidRequest),
    ("load", lambda r: httpx.Response(500, text="boom"), EngineError),
    ("load", refuse_connection, EngineUnavailable),
    ("unload", refuse_connection, EngineUnavailable),
])
def test_adapter_errors_are_typed(call, answer, raised):
    async def go(engine):
        with pytest.raises(raised) as caught:
            if call == "load":
                await engine.load_adapter("t-v1", "/adapters/x")
            else:
                await engine.unload_adapter("t-v1")
        return caught.value

    caught, _ = on_engine(answer, go)
    assert type(caught) is raised
    if raised in (AdapterAlreadyLoaded, AdapterNotLoaded):
        assert "t-v1" in caught.message


# -- the real vLLM ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter(base_settings, tmp_path_factory) -> str:
    from tests.serve.real_adapters import make_adapter

    return str(make_adapter(base_settings.model_path,
                            tmp_path_factory.mktemp("client-adapter") / "a", seed=3))


def real(engine_url: str, go):
    async def main():
        engine = VLLMEngine(engine_url)
        try:
            return await go(engine)
        finally:
            await engine.aclose()

    return asyncio.run(main())


@pytest.mark.slow
def test_real_engine_is_healthy_and_answers_a_tiny_chat_and_stream(engine_url, base_settings):
    ask = {"model": base_settings.base_model_id, "max_tokens": 5, "temperature": 0,
           "messages": [{"role": "user", "content": "Say hello."}]}

    async def go(engine):
        healthy = await engine.healthy()
        answer = await engine.chat(ask)
        stream = await engine.open_stream({**ask, "stream": True,
                                           "stream_options": {"include_usage": True}})
        events = [orjson.loads(e) async for e in stream.events()]
        await stream.aclose()
        return healthy, answer, events

    healthy, answer, events = real(engine_url, go)
    assert healthy is True
    assert answer["choices"][0]["message"]["content"]
    assert 1 <= answer["usage"]["completion_tokens"] <= 5
    text = "".join(c["delta"].get("content") or "" for e in events for c in e["choices"])
    assert text == answer["choices"][0]["message"]["content"]  # greedy: the same answer
    assert events[-1]["usage"]["completion_tokens"] == answer["usage"]["completion_tokens"]


@pytest.mark.slow
def test_real_engine_errors_are_typed(engine_url, base_settings):
    async def go(engine):
        with pytest.raises(ModelNotFound):
            await engine.chat({**PAYLOAD, "model": f"no-such-{uuid.uuid4().hex[:6]}"})
        with pytest.raises(ContextLengthExceeded):
            await engine.chat({"model": base_settings.base_model_id, "max_tokens": 5,
                               "messages": [{"role": "user", "content": "hello " * 3000}]})
        with pytest.raises(ContextLengthExceeded):
            await engine.open_stream({"model": base_settings.base_model_id, "max_tokens": 5,
                                      "stream": True,
                                      "messages": [{"role": "user", "content": "hi " * 3000}]})

    real(engine_url, go)


@pytest.mark.slow
def test_real_engine_loads_an_adapter_once_and_knows_what_it_lacks(engine_url, adapter):
    name = f"client-test-{uuid.uuid4().hex[:8]}"

    async def go(engine):
        await engine.load_adapter(name, adapter)
        try:
            with pytest.raises(AdapterAlreadyLoaded):
                await engine.load_adapter(name, adapter)
            answer = await engine.chat({"model": name, "max_tokens": 5, "messages": [
                {"role": "user", "content": "Say hello."}]})
            assert answer["model"] == name and answer["choices"]
        finally:
            await engine.unload_adapter(name)
        with pytest.raises(AdapterNotLoaded):
            await engine.unload_adapter(name)
        with pytest.raises(AdapterNotLoaded):
            await engine.unload_adapter(f"never-loaded-{uuid.uuid4().hex[:8]}")
        with pytest.raises(ModelNotFound):  # unloaded: no longer a model
            await engine.chat({"model": name, "max_tokens": 5, "messages": [
                {"role": "user", "content": "Say hello."}]})

    real(engine_url, go)
