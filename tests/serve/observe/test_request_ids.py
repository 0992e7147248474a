"""`X-Request-Id`: a client's acceptable id is echoed, anything else replaced by a fresh one, the
routes and the log context see the same id the response carries, and every response has the
header (errors, 404s and streams included) exactly once. The middleware wraps a tiny Starlette
app driven with raw ASGI calls; test_logging.py checks the id in the app's log lines."""

from __future__ import annotations

import re

import orjson
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from serve.api.errors import ShuttingDown, send_error
from serve.observe.log_format import REQUEST_ID
from serve.observe.request_ids import RequestIdMiddleware
from tests.serve.asgi import http_scope, run

FRESH = re.compile(r"^req_[0-9a-f]{32}$")


class Refused:
    """An error sent the way the plain ASGI middlewares send theirs."""

    async def __call__(self, scope, receive, send) -> None:
        await send_error(send, ShuttingDown())


def make_app() -> Starlette:
    async def seen(request: Request) -> JSONResponse:
        return JSONResponse({"state": request.state.request_id, "context": REQUEST_ID.get()})

    async def stream(request: Request) -> StreamingResponse:
        async def parts():
            yield b"one "
            yield b"two"
        return StreamingResponse(parts(), media_type="text/plain")

    return Starlette(routes=[Route("/seen", seen), Route("/stream", stream),
                             Route("/refused", Refused())],
                     middleware=[Middleware(RequestIdMiddleware)])


def get(path: str = "/seen", request_id: bytes | None = None):
    headers = [] if request_id is None else [(b"x-request-id", request_id)]
    return run(make_app(), http_scope("GET", path, headers=headers))


@pytest.mark.parametrize("given", [b"abc-123", b"trace:7f/2.x_Y~!", b"x" * 200, b"A"])
def test_an_acceptable_id_is_echoed_and_seen_by_the_route_and_the_logs(given):
    answer = get(request_id=given)
    assert answer.status == 200
    assert answer.all("x-request-id") == [given.decode()], "echoed once, not added twice"
    assert orjson.loads(answer.body) == {"state": given.decode(), "context": given.decode()}


@pytest.mark.parametrize("given", [
    b"", b"has space", b"x" * 201, "caf\u00e9".encode(), b"tab\there", b"new\nline", b"\x7f",
])
def test_an_unacceptable_id_is_replaced_by_a_fresh_one(given):
    answer = get(request_id=given)
    [echoed] = answer.all("x-request-id")
    assert FRESH.match(echoed) and echoed != given.decode(errors="replace")
    assert orjson.loads(answer.body) == {"state": echoed, "context": echoed}


def test_each_request_without_an_id_gets_its_own():
    ids = {get().header("x-request-id") for _ in range(5)}
    assert len(ids) == 5 and all(FRESH.match(i) for i in ids)


@pytest.mark.parametrize(("path", "status"), [
    ("/stream", 200), ("/no-such-route", 404), ("/refused", 503),
])
def test_every_response_carries_the_id(path, status):
    answer = get(path, b"req-every-1")
    assert answer.status == status
    assert answer.all("x-request-id") == ["req-every-1"]
    if path == "/stream":
        assert answer.body == b"one two"
