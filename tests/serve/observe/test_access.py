"""The access log and the chat request counter: one `lucid.access` line per request with its
method, path, status and latency (500 when the app raised), and `lucid_chat_requests_total`
labelled by the model asked (`unknown` for names that do not exist), the status and the stream
flag, from what the route saw or, when it never saw the body, from the raw body. The middleware
wraps a tiny Starlette app driven with raw ASGI calls; test_metrics.py and test_logging.py check
the same through the whole app."""

from __future__ import annotations

import asyncio
import logging

import orjson
import pytest
from prometheus_client import REGISTRY
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serve.adapters.catalog import AdapterEntry, ModelCatalog
from serve.observe.access import CHAT_PATH, AccessLogMiddleware
from tests.serve.asgi import http_scope, run

COUNTER = "lucid_chat_requests_total"


def make_app() -> Starlette:
    async def chat(request: Request) -> JSONResponse:
        """Like the chat route: a body it can parse is labelled in `request.state.chat`;
        anything else fails validation (400) before the route names a model."""
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "invalid json"}, status_code=400)
        if not isinstance(body, dict) or "messages" not in body:
            return JSONResponse({"error": "invalid"}, status_code=400)
        request.state.chat = (body["model"], body.get("stream") is True)
        if body.get("explode"):
            raise RuntimeError("the route failed")
        if body.get("slow"):
            await asyncio.sleep(0.03)
        known = request.app.state.catalog.knows(body["model"])
        return JSONResponse({"ok": True}, status_code=200 if known else 404)

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"data": []})

    app = Starlette(routes=[Route(CHAT_PATH, chat, methods=["POST", "GET"]),
                            Route("/v1/models", models)],
                    middleware=[Middleware(AccessLogMiddleware)])
    app.state.catalog = ModelCatalog("base-model")
    app.state.catalog.adapters["t-v1-abcd"] = AdapterEntry("t-v1-abcd", 1, "base-model", 0, 7)
    return app


def chat(body: bytes | dict, method: str = "POST"):
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return run(make_app(), http_scope(method, CHAT_PATH), [raw])


def counted(model: str, status: int, stream: bool) -> float:
    return REGISTRY.get_sample_value(COUNTER, {
        "model": model, "status": str(status), "stream": "true" if stream else "false"}) or 0.0


def all_counted() -> float:
    return sum(s.value for m in REGISTRY.collect() for s in m.samples if s.name == COUNTER)


@pytest.fixture
def access(caplog):
    """The `lucid.access` records written during the test."""
    caplog.set_level(logging.INFO, logger="lucid.access")
    return lambda: [r for r in caplog.records if r.name == "lucid.access"]


MESSAGES = [{"role": "user", "content": "hi"}]


def test_one_line_per_request_with_method_path_status_and_latency(access):
    assert chat({"model": "lucid", "messages": MESSAGES, "slow": True}).status == 200
    assert run(make_app(), http_scope("GET", "/nowhere")).status == 404
    first, second = access()
    assert (first.method, first.path, first.status) == ("POST", CHAT_PATH, 200)
    assert first.getMessage() == f"POST {CHAT_PATH} 200"
    assert first.latency_ms >= 30, "the latency covers the whole request"
    assert (second.method, second.path, second.status) == ("GET", "/nowhere", 404)
    assert 0 <= second.latency_ms < first.latency_ms


@pytest.mark.parametrize(("model", "stream", "status"), [
    ("lucid", False, 200), ("lucid", True, 200), ("base-model", True, 200),
    ("t-v1-abcd", False, 200),
])
def test_a_chat_request_is_counted_under_the_model_it_asked_for(model, stream, status):
    before = counted(model, status, stream)
    assert chat({"model": model, "messages": MESSAGES, "stream": stream}).status == status
    assert counted(model, status, stream) == before + 1


def test_a_model_that_does_not_exist_is_counted_as_unknown():
    before, total = counted("unknown", 404, False), all_counted()
    assert chat({"model": "gpt-4-made-up", "messages": MESSAGES}).status == 404
    assert counted("unknown", 404, False) == before + 1
    assert all_counted() == total + 1
    assert not any(s.labels.get("model") == "gpt-4-made-up"
                   for m in REGISTRY.collect() for s in m.samples if s.name == COUNTER)


@pytest.mark.parametrize(("body", "label"), [
    ({"model": "lucid", "stream": True}, ("lucid", True)),  # no messages: failed validation
    ({"model": "base-model"}, ("base-model", False)),
    ({"model": "lucid", "stream": "true"}, ("lucid", False)),  # only JSON true streams
    ({"model": ["lucid"]}, ("unknown", False)),
    ({"model": "no-such-model", "stream": True}, ("unknown", True)),
    (b"{not json", ("unknown", False)),
    (b"[1, 2]", ("unknown", False)),
])
def test_a_body_the_route_never_saw_is_labelled_from_its_raw_bytes(body, label):
    model, stream = label
    before = counted(model, 400, stream)
    assert chat(body).status == 400
    assert counted(model, 400, stream) == before + 1


def test_an_unhandled_error_is_logged_and_counted_as_500(access):
    before = counted("lucid", 500, True)
    with pytest.raises(RuntimeError, match="the route failed"):
        chat({"model": "lucid", "messages": MESSAGES, "stream": True, "explode": True})
    assert counted("lucid", 500, True) == before + 1
    [line] = access()
    assert (line.method, line.path, line.status) == ("POST", CHAT_PATH, 500)


def test_requests_other_than_a_chat_post_are_logged_but_not_counted(access):
    total = all_counted()
    assert run(make_app(), http_scope("GET", "/v1/models")).status == 200
    assert chat({"model": "lucid", "messages": MESSAGES}, method="GET").status == 200
    assert all_counted() == total
    assert [(r.method, r.path, r.status) for r in access()] == [
        ("GET", "/v1/models", 200), ("GET", CHAT_PATH, 200)]
