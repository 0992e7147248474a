"""Who is calling: API keys on every route that reads or changes data, checked before the route.

`Authorization: Bearer <key>` (what the `openai` client sends). `/v1/*` needs a key with the
`chat` scope, `/admin/*` one with `admin`; `/health`, `/metrics`, the API description and the
dashboard's page and assets are open (the page asks for a key, its data calls send it). No key or
an unknown one is a 401, the wrong scope a 403, both in OpenAI's error format; chat requests over
the key's rate limits get 429. The principal is left in `request.state.principal`.

Verified keys are cached for `CACHE_S` (a chat request costs no database round trip, and chat
keeps answering through a database outage); a revocation or tenant change is announced on
`lucid_keys` and drops the cache entries at once in every replica that listens.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from serve.api.errors import APIError, Forbidden, KeysUnavailable, Unauthorized, send_error
from store.keys import KeyStore, Principal

log = logging.getLogger(__name__)

CACHE_S = 60.0
OPEN_PATHS = {"/health", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc",
              "/admin", "/admin/"}
RATE_LIMITED_PATHS = {"/v1/chat/completions"}


def needed_scope(path: str) -> str | None:
    if path in OPEN_PATHS or path.startswith("/admin/assets/"):
        return None
    if path.startswith("/v1/"):
        return "chat"
    if path.startswith("/admin/"):
        return "admin"
    return None


def bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


@dataclass
class _Cached:
    principal: Principal
    at: float


class KeyCache:
    """`KeyStore.verify` with a short memory; stale entries serve while the database is down."""

    def __init__(self, keys: KeyStore, ttl_s: float = CACHE_S) -> None:
        self.keys, self.ttl_s = keys, ttl_s
        self._known: dict[str, _Cached] = {}

    async def principal(self, key: str) -> Principal | None:
        now = time.monotonic()
        cached = self._known.get(key)
        if cached is not None and now - cached.at < self.ttl_s:
            return cached.principal
        try:
            principal = await self.keys.verify(key)
        except Exception as exc:  # the database is down: a key seen before keeps working
            if cached is not None:
                log.warning("key check failed; using the cached principal", exc_info=True)
                return cached.principal
            raise KeysUnavailable() from exc
        if principal is None:
            self._known.pop(key, None)
            return None
        self._known[key] = _Cached(principal, now)
        return principal

    def forget(self, event: str) -> None:
        """A `lucid_keys` event: a revoked key's id, or `tenant:<id>` (its settings changed)."""
        if event.startswith("tenant:"):
            tenant = int(event.split(":", 1)[1])
            gone = [k for k, c in self._known.items() if c.principal.tenant_id == tenant]
        else:
            gone = [k for k, c in self._known.items() if c.principal.key_id == event]
        for key in gone:
            self._known.pop(key, None)


class AuthMiddleware:
    """Reads `state.key_cache` (a KeyCache, set in the app's lifespan) and `state.limiter`."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or \
                (needed := needed_scope(scope["path"])) is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._check(scope, needed)
        except APIError as exc:
            await send_error(send, exc)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, needed: str) -> Principal:
        key = bearer(scope["headers"])
        if key is None:
            raise Unauthorized("No API key given. Send it as 'Authorization: Bearer <key>' (the "
                               "openai client's api_key); `make run` prints a dev admin key.",
                               "missing_api_key")
        principal = await self.state.key_cache.principal(key)
        if principal is None:
            raise Unauthorized("Incorrect or revoked API key.", "invalid_api_key")
        if needed not in principal.scopes:
            raise Forbidden(f"This API key lacks the '{needed}' scope this route needs.")
        if scope["path"] in RATE_LIMITED_PATHS and scope["method"] == "POST":
            await self.state.limiter.check(principal.key_id, principal.rpm, principal.tpm)
        return principal
