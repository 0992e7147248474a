"""Request size limits: a body declared or found to be over the byte limit gets 413 before the
route sees it (a declared one before a byte is read, a chunked one as soon as the count passes
the limit), a URL holding NUL gets 400, and a chat request over the character limit or a token cap
over the server's is refused with OpenAI's error body. The middlewares run in a tiny Starlette app
driven with raw ASGI calls, so a test sees how much of the body was read."""

from __future__ import annotations

import orjson
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from serve.api.errors import InvalidRequest, RequestTooLarge, error_response
from serve.trust.limits import (
    BodyLimitMiddleware,
    NulInUrlMiddleware,
    check_chat_size,
    check_completion_cap,
)
from tests.serve.asgi import http_scope, run

LIMIT = 100


def make_app() -> Starlette:
    """An app whose route reads the whole body and says how long it was."""
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        request.app.state.seen.append(body)
        return JSONResponse({"length": len(body)})

    app = Starlette(routes=[Route("/echo", echo, methods=["POST", "GET"])], middleware=[
        Middleware(NulInUrlMiddleware), Middleware(BodyLimitMiddleware, max_bytes=LIMIT)])
    app.state.seen = []
    return app


def post(length: int | str | None = None, path: str = "/echo", query: bytes = b"") -> dict:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return http_scope("POST", path, query, headers)


def assert_413(answer) -> None:
    assert answer.status == 413 and answer.starts == 1
    assert answer.header("content-type") == "application/json"
    assert int(answer.header("content-length")) == len(answer.body)
    assert answer.error() == {"message": f"The request body is larger than {LIMIT} bytes.",
                              "type": "invalid_request_error", "param": None,
                              "code": "request_too_large"}


def test_a_body_within_the_limit_reaches_the_route_whole():
    app = make_app()
    answer = run(app, post(LIMIT), [b"x" * 60, b"x" * 40])
    assert answer.status == 200 and orjson.loads(answer.body) == {"length": LIMIT}
    assert app.state.seen == [b"x" * LIMIT]


def test_a_declared_length_over_the_limit_is_refused_before_reading():
    app = make_app()
    answer = run(app, post(LIMIT + 1), [b"x" * (LIMIT + 1)])
    assert_413(answer)
    assert answer.received == 0, "not a byte of the body was read"
    assert app.state.seen == []


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_limit():
    app = make_app()
    chunks = [b"x" * 40, b"x" * 40, b"x" * 40, b"x" * 40, b"x" * 40]
    answer = run(app, post(), chunks)  # no Content-Length: Transfer-Encoding chunked
    assert_413(answer)
    assert answer.received == 3, "reading stopped at the chunk that passed the limit"
    assert app.state.seen == []


def test_a_body_longer_than_its_declared_length_is_still_counted():
    app = make_app()
    answer = run(app, post(10), [b"x" * 60, b"x" * 60])
    assert_413(answer)
    assert app.state.seen == []


def test_a_malformed_content_length_falls_back_to_counting():
    app = make_app()
    assert run(app, post("ten"), [b"x" * 10]).status == 200
    assert_413(run(app, post("ten"), [b"x" * (LIMIT + 1)]))


@pytest.mark.parametrize(("path", "query"), [
    ("/echo\x00", b""), ("/ech\x00o", b""), ("/echo", b"id=%00"), ("/echo", b"id=a\x00b"),
])
def test_a_url_holding_nul_is_400_before_any_route(path, query):
    app = make_app()
    answer = run(app, post(2, path, query), [b"{}"])
    assert answer.status == 400 and answer.received == 0
    assert answer.error() == {
        "message": "The URL holds a NUL character (%00), which no path or parameter can contain.",
        "type": "invalid_request_error", "param": None, "code": "invalid_url"}
    assert app.state.seen == []


def test_a_url_naming_the_text_percent_zero_zero_is_served():
    app = make_app()  # %2500 is the three characters "%00", not a NUL
    assert run(app, post(2, "/echo", b"id=%2500"), [b"{}"]).status == 200


def test_messages_up_to_the_character_limit_pass():
    check_chat_size(["abc", "de", ""], 5)
    check_chat_size([], 0)


def test_messages_over_the_character_limit_are_400_with_the_counts():
    with pytest.raises(RequestTooLarge) as refused:
        check_chat_size(["abc", "def"], 5)
    response = error_response(refused.value)
    assert response.status_code == 400
    assert orjson.loads(response.body) == {"error": {
        "message": "The messages hold 6 characters; at most 5 are accepted.",
        "type": "invalid_request_error", "param": "messages", "code": "request_too_large"}}


def test_token_caps_up_to_the_servers_pass_and_no_cap_allows_any():
    check_completion_cap({"max_tokens": 256, "max_completion_tokens": None}, 256)
    check_completion_cap({"max_tokens": 10**9}, None)


@pytest.mark.parametrize("param", ["max_tokens", "max_completion_tokens"])
def test_a_token_cap_over_the_servers_is_400_naming_the_parameter(param):
    asked = {"max_tokens": None, "max_completion_tokens": None, param: 257}
    with pytest.raises(InvalidRequest) as refused:
        check_completion_cap(asked, 256)
    response = error_response(refused.value)
    assert response.status_code == 400
    assert orjson.loads(response.body) == {"error": {
        "message": f"{param} is 257; this server answers with at most 256 tokens.",
        "type": "invalid_request_error", "param": param, "code": "max_tokens_too_large"}}
