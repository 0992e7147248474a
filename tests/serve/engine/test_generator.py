"""The engine as dream's Generator: n choices per conversation in order, retries while the
engine is overloaded, no retry of client errors, base URL forms (a fake engine over MockTransport).
"""

import threading

import httpx
import orjson
import pytest

from serve.engine.generator import EngineGenerator


class FakeEngine:
    """An OpenAI-compatible chat endpoint: echoes the last message with the choice index."""

    def __init__(self, fail_first: int = 0, status: int = 503) -> None:
        self.fail_first, self.status = fail_first, status
        self.bodies: list[dict] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/chat/completions"
        body = orjson.loads(request.content)
        with self.lock:
            self.bodies.append(body)
            if self.fail_first > 0:
                self.fail_first -= 1
                return httpx.Response(self.status, text="busy")
        last = body["messages"][-1]["content"]
        # Out of index order on purpose: the client must sort choices.
        choices = [{"index": i, "message": {"role": "assistant", "content": f" {last}#{i} "}}
                   for i in reversed(range(body["n"]))]
        return httpx.Response(200, content=orjson.dumps({"choices": choices}))


def generator(engine: FakeEngine, **kwargs) -> EngineGenerator:
    return EngineGenerator("http://engine:8000/v1", "base", transport=httpx.MockTransport(engine),
                         backoff_s=0.0, **kwargs)


def test_n_completions_per_conversation_in_order():
    engine = FakeEngine()
    with generator(engine, concurrency=4) as g:
        conversations = [[{"role": "user", "content": f"q{k}"}] for k in range(10)]
        out = g.chat(conversations, n=3, temperature=0.7, max_tokens=16, seed=5)
    assert out == [[f"q{k}#{i}" for i in range(3)] for k in range(10)]
    assert len(engine.bodies) == 10
    body = next(b for b in engine.bodies if b["messages"][0]["content"] == "q2")
    assert body == {"model": "base", "messages": [{"role": "user", "content": "q2"}], "n": 3,
                    "temperature": 0.7, "max_tokens": 16, "seed": 7}


def test_greedy_sends_one_choice_and_repeats():
    engine = FakeEngine()
    with generator(engine) as g:
        assert g.chat([[{"role": "user", "content": "q"}]], n=3) == [["q#0"] * 3]
    assert engine.bodies[0]["n"] == 1 and "seed" not in engine.bodies[0]
    assert g.chat([]) == []


def test_retries_overload_then_gives_up():
    engine = FakeEngine(fail_first=1)
    with generator(engine, retries=1) as g:
        assert g.chat([[{"role": "user", "content": "q"}]]) == [["q#0"]]
    engine = FakeEngine(fail_first=5)
    with generator(engine, retries=1) as g, pytest.raises(httpx.HTTPStatusError):
        g.chat([[{"role": "user", "content": "q"}]])
    assert len(engine.bodies) == 2


def test_client_errors_are_not_retried():
    engine = FakeEngine(fail_first=5, status=400)
    with generator(engine, retries=3) as g, pytest.raises(httpx.HTTPStatusError):
        g.chat([[{"role": "user", "content": "q"}]])
    assert len(engine.bodies) == 1


def test_base_url_forms():
    for url in ["http://e:1", "http://e:1/", "http://e:1/v1", "http://e:1/v1/"]:
        assert EngineGenerator(url, "m").url == "http://e:1/v1/chat/completions"
    with pytest.raises(ValueError):
        EngineGenerator("http://e:1", "m", concurrency=0)


def test_structured_replies_ask_the_engine_for_the_schema_and_are_greedy():
    engine = FakeEngine()
    schema = {"type": "object", "properties": {"statements": {"type": "array"}}}
    with generator(engine, parameters=7) as g:
        out = g.structured([[{"role": "user", "content": "q"}]], schema, max_tokens=64, seed=1)
        assert g.parameters == 7
    assert out == ["q#0"]
    [body] = engine.bodies
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "reply", "schema": schema, "strict": True}}
    assert (body["temperature"], body["n"], body["max_tokens"], body["seed"]) == (0.0, 1, 64, 1)
