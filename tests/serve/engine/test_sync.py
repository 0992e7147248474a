"""The blocking engine client of the launcher and the learning worker: health, waiting for a
starting engine (giving up at once when its process died, or after the timeout), and LoRA
load/unload with typed errors. The fast tests put `httpx.MockTransport` in the engine's place (a
fake of the engine only); the slow ones at the end use the real vLLM and a real LoRA adapter."""

from __future__ import annotations

import time
import uuid

import httpx
import orjson
import pytest

from serve.api.errors import (
    AdapterAlreadyLoaded,
    AdapterNotLoaded,
    EngineError,
    EngineUnavailable,
    InvalidRequest,
)
from serve.engine.sync import SyncEngine


class Engine:
    """The engine's side of the wire: unhealthy for its first `starting` health checks."""

    def __init__(self, starting: int = 0, answer=None) -> None:
        self.starting = starting
        self.answer = answer
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer(request)
        if request.url.path == "/health":
            if self.starting > 0:
                self.starting -= 1
                return httpx.Response(503)
            return httpx.Response(200)
        return httpx.Response(200, text="Success")


def sync(engine: Engine, url: str = "http://engine:8100/v1") -> SyncEngine:
    return SyncEngine(url, transport=httpx.MockTransport(engine))


def refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def error(status: int, message: str):
    body = {"error": {"message": message, "type": "BadRequestError", "param": None,
                      "code": status}}
    return lambda request: httpx.Response(status, json=body)


@pytest.mark.parametrize(("answer", "healthy"), [
    (None, True), (lambda r: httpx.Response(500), False), (refuse_connection, False),
])
def test_health_is_a_200_from_the_engines_root(answer, healthy):
    engine = Engine(answer=answer)
    with sync(engine) as client:
        assert client.healthy() is healthy
    assert [str(r.url) for r in engine.requests] == ["http://engine:8100/health"]


def test_waiting_returns_once_a_starting_engine_is_healthy():
    engine = Engine(starting=3)
    with sync(engine) as client:
        client.wait_healthy(5, poll_s=0.01)
    assert len(engine.requests) == 4


def test_waiting_stops_at_once_when_the_engine_process_died():
    engine = Engine(starting=100)
    with sync(engine) as client, pytest.raises(RuntimeError, match="^vLLM exited with code 1$"):
        client.wait_healthy(60, gave_up=lambda: "vLLM exited with code 1", poll_s=0.01)
    assert engine.requests == []


def test_waiting_gives_up_after_the_timeout_and_says_where():
    engine = Engine(answer=refuse_connection)
    started = time.monotonic()
    with sync(engine) as client, pytest.raises(RuntimeError) as gave_up:
        client.wait_healthy(0.2, poll_s=0.02)
    assert time.monotonic() - started < 2
    assert str(gave_up.value) == "the engine at http://engine:8100 is not ready after 0 s"
    assert len(engine.requests) >= 2, "it kept asking until the deadline"


def test_load_and_unload_send_the_adapters_name_and_path():
    engine = Engine()
    with sync(engine) as client:
        client.load_adapter("t-v1-abcd", "/adapters/abcd")
        client.unload_adapter("t-v1-abcd")
    load, unload = engine.requests
    assert (load.method, str(load.url)) == ("POST", "http://engine:8100/v1/load_lora_adapter")
    assert orjson.loads(load.content) == {"lora_name": "t-v1-abcd", "lora_path": "/adapters/abcd"}
    assert str(unload.url) == "http://engine:8100/v1/unload_lora_adapter"
    assert orjson.loads(unload.content) == {"lora_name": "t-v1-abcd"}


@pytest.mark.parametrize(("call", "answer", "raised"), [
    ("load", error(400, "The lora adapter 't-v1' has already been loaded."),
     AdapterAlreadyLoaded),
    ("unload", error(404, "The lora adapter 't-v1' cannot be found."), AdapterNotLoaded),
    ("load", error(400, "Loading lora t-v1 failed: No adapter found for /x"), InvalidRequest),
    ("unload", lambda r: httpx.Response(500, text="boom"), EngineError),
    ("load", refuse_connection, EngineUnavailable),
    ("unload", refuse_connection, EngineUnavailable),
])
def test_adapter_errors_are_typed(call, answer, raised):
    with sync(Engine(answer=answer)) as client, pytest.raises(raised) as caught:
        if call == "load":
            client.load_adapter("t-v1", "/adapters/x")
        else:
            client.unload_adapter("t-v1")
    assert type(caught.value) is raised


# -- the real vLLM ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adapter(base_settings, tmp_path_factory) -> str:
    from tests.serve.real_adapters import make_adapter

    return str(make_adapter(base_settings.model_path,
                            tmp_path_factory.mktemp("sync-adapter") / "a", seed=4))


@pytest.mark.slow
def test_real_engine_is_healthy_at_once(engine_url):
    with SyncEngine(engine_url) as client:
        assert client.healthy() is True
        started = time.monotonic()
        client.wait_healthy(30, gave_up=lambda: None)
        assert time.monotonic() - started < 5


@pytest.mark.slow
def test_real_engine_loads_an_adapter_once_and_knows_what_it_lacks(engine_url, adapter):
    name = f"sync-test-{uuid.uuid4().hex[:8]}"
    with SyncEngine(engine_url) as client:
        client.load_adapter(name, adapter)
        try:
            with pytest.raises(AdapterAlreadyLoaded):
                client.load_adapter(name, adapter)
            models = httpx.get(f"{client.base_url}/v1/models", timeout=10).json()["data"]
            assert name in {m["id"] for m in models}
        finally:
            client.unload_adapter(name)
        with pytest.raises(AdapterNotLoaded):
            client.unload_adapter(name)
        with pytest.raises(AdapterNotLoaded):
            client.unload_adapter(f"never-loaded-{uuid.uuid4().hex[:8]}")
        with pytest.raises(InvalidRequest):  # a folder that holds no adapter
            client.load_adapter(f"bad-{uuid.uuid4().hex[:8]}", "/nonexistent/adapter")
