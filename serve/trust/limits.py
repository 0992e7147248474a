"""Request size limits, checked before a body is parsed: bytes on the wire here (413), messages
and characters of a chat request in `check_chat_size` (400).

`BodyLimitMiddleware` is plain ASGI: it refuses a declared `Content-Length` over the limit
before reading anything, and counts the bytes of a chunked body as they arrive, answering 413
as soon as the count passes the limit. The route never sees such a request, so nothing of it is
logged as a turn.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.api.errors import (
    InvalidRequest,
    NulInUrl,
    RequestBodyTooLarge,
    RequestTooLarge,
    send_error,
)


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send_error(send, RequestBodyTooLarge(self.max_bytes))


class NulInUrlMiddleware:
    """400 for a path or query string with NUL in it: no id or parameter can hold one (and the
    database could not compare it), so such a request is refused before any route runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or
                                        b"%00" in scope.get("query_string", b"") or
                                        b"\x00" in scope.get("query_string", b"")):
            await send_error(send, NulInUrl())
            return
        await self.app(scope, receive, send)


def check_completion_cap(asked: dict[str, int | None], cap: int | None) -> None:
    """Refuse `max_tokens` / `max_completion_tokens` above the server's cap."""
    if cap is None:
        return
    for param, value in asked.items():
        if value is not None and value > cap:
            raise InvalidRequest(f"{param} is {value}; this server answers with at most {cap} "
                                 "tokens.", param=param, code="max_tokens_too_large")


def check_chat_size(texts: list[str], max_chars: int) -> None:
    """Refuse a chat request whose messages hold more than `max_chars` characters in all."""
    total = sum(len(t) for t in texts)
    if total > max_chars:
        raise RequestTooLarge(
            f"The messages hold {total} characters; at most {max_chars} are accepted.")
