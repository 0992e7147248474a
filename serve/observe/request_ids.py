"""`X-Request-Id` on every response: the client's own id echoed, or a fresh one.

A plain ASGI middleware (not BaseHTTPMiddleware), so streaming responses pass through untouched.
The id is in `request.state.request_id` for the routes and the session log, and in the
`serve.observe.log_format.REQUEST_ID` context variable for every log record written while serving
the request.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serve.observe.log_format import REQUEST_ID

REQUEST_ID_HEADER = b"x-request-id"
_ACCEPTABLE = re.compile(rb"^[\x21-\x7e]{1,200}$")  # printable ASCII, no spaces


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == REQUEST_ID_HEADER), None)
        if given is None or not _ACCEPTABLE.match(given):
            given = f"req_{uuid.uuid4().hex}".encode()
        request_id = given.decode()
        scope.setdefault("state", {})["request_id"] = request_id
        # Not reset afterwards: each request runs in its own task (its own context), and the
        # outermost 500 handler, which runs after this returns, still logs with the id.
        REQUEST_ID.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, given)]
            await send(message)

        await self.app(scope, receive, send_with_id)
