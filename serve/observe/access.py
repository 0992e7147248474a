"""One access log line per request (method, path, status, latency_ms; the request and session ids
come from the log context), and the chat request counter, labelled when the response starts.

A plain ASGI middleware like the request-id one, so streams pass through untouched. The chat
route names the model asked and the stream flag in `request.state.chat`; only a body the route
never saw (it failed validation) is parsed here, to label that request too.
"""

from __future__ import annotations

import logging
import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.observe import metrics

CHAT_PATH = "/v1/chat/completions"

log = logging.getLogger("lucid.access")


def _labels(scope: Scope, body: list[bytes]) -> tuple[str, bool]:
    """(model label, stream) of a chat request: what the route saw, else the raw body's."""
    asked = scope.get("state", {}).get("chat")
    if asked is None:
        try:
            parsed = orjson.loads(b"".join(body))
        except orjson.JSONDecodeError:
            parsed = None
        parsed = parsed if isinstance(parsed, dict) else {}
        asked = (parsed.get("model"), parsed.get("stream") is True)
    model, stream = asked
    catalog = getattr(scope["app"].state, "catalog", None)
    known = isinstance(model, str) and catalog is not None and catalog.knows(model)
    return (model if known else metrics.UNKNOWN_MODEL), stream


class AccessLogMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        chat = scope["method"] == "POST" and scope["path"] == CHAT_PATH
        body: list[bytes] = []
        status: int | None = None

        def count(code: int) -> None:
            model, stream = _labels(scope, body)
            metrics.count_chat_request(model, code, stream)

        async def receive_body() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if chat:
                    count(status)
            await send(message)

        try:
            await self.app(scope, receive_body if chat else receive, send_status)
        finally:
            if status is None:  # an unhandled error: the outermost handler answers 500
                status = 500
                if chat:
                    count(status)
            latency_ms = round((time.perf_counter() - started) * 1000, 2)
            principal = scope.get("state", {}).get("principal")
            who = {"tenant": principal.tenant, "key_id": principal.key_id} if principal else {}
            log.info("%s %s %s", scope["method"], scope["path"], status, extra={
                "method": scope["method"], "path": scope["path"], "status": status,
                "latency_ms": latency_ms, **who})
