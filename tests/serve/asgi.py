"""Raw ASGI calls for the middleware tests: a request as a server delivers it (a scope, then the
body in the chunks given), and everything the app sent back, so a test sees exactly what a client
would get and how much of the body the app asked for."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import orjson


@dataclass
class Answer:
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    starts: int = 0  # how many `http.response.start` messages were sent
    received: int = 0  # how many body chunks the app read

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [v.decode() for k, v in self.headers if k.decode().lower() == name.lower()]

    def error(self) -> dict[str, Any]:
        return orjson.loads(self.body)["error"]


def http_scope(method: str = "GET", path: str = "/", query: bytes = b"",
               headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "headers": headers or [],
            "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}


async def call(app: Any, scope: dict[str, Any], chunks: list[bytes] | None = None) -> Answer:
    """Run one request through `app`; its body arrives as `chunks` (one empty chunk if none)."""
    answer = Answer()
    pending = list(chunks if chunks is not None else [b""])

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"}
        answer.received += 1
        body = pending.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.starts += 1
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    await app(scope, receive, send)
    return answer


def run(app: Any, scope: dict[str, Any], chunks: list[bytes] | None = None) -> Answer:
    return asyncio.run(call(app, scope, chunks))
