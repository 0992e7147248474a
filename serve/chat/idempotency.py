"""`Idempotency-Key` on chat requests: a retried POST gets the first response and logs no turn.

The first request with a key claims it in PostgreSQL before it reaches the engine; its turn and
its response are committed together (`SessionStore.record_turn`). A retry with the same key and
the same request gets that response back (a streamed one is replayed as a stream), marked
`Idempotent-Replayed: true`; the same key with a different request is a 400; a retry while the
first is still running is a 409 with `Retry-After`. A request that fails releases its claim
(`KeyClaims`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson

from serve.api import sse
from serve.api.errors import (
    IDEMPOTENCY_HEADER,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    InvalidRequest,
    SessionLogUnavailable,
)
from serve.api.schemas import ChatCompletionRequest
from serve.chat.turns import TurnContext
from serve.lifecycle.background import BackgroundTasks
from store.sessions import SessionStore

log = logging.getLogger(__name__)

KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_ACCEPTABLE = re.compile(KEY_PATTERN)


def check_key(value: str) -> str:
    if not _ACCEPTABLE.match(value):
        raise InvalidRequest(f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters.",
                             param=IDEMPOTENCY_HEADER, code="invalid_idempotency_key")
    return value


def fingerprint(req: ChatCompletionRequest, session_header: str | None) -> bytes:
    """What makes two requests the same request: every parameter, and the session named."""
    body = req.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(orjson.dumps([body, session_header],
                                       option=orjson.OPT_SORT_KEYS)).digest()


def completion_from_stream(first_chunk: dict[str, Any], text: str, finish: str | None,
                           usage: dict[str, Any]) -> dict[str, Any]:
    """The chat.completion a streamed response amounts to, kept to replay it."""
    return {"id": first_chunk.get("id"), "object": "chat.completion",
            "created": first_chunk.get("created"), "model": first_chunk.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": usage or None}


async def replay_stream(completion: dict[str, Any], include_usage: bool) -> AsyncIterator[bytes]:
    """A stored completion as the SSE stream a streaming client expects."""
    choice = (completion.get("choices") or [{}])[0]
    head = {"id": completion.get("id"), "object": "chat.completion.chunk",
            "created": completion.get("created"), "model": completion.get("model")}
    message = choice.get("message") or {}
    events = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant",
                                                     "content": message.get("content") or ""},
                              "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {},
                              "finish_reason": choice.get("finish_reason")}]},
    ]
    if include_usage and completion.get("usage"):
        events.append({**head, "choices": [], "usage": completion["usage"]})
    for event in events:
        yield sse.event(event)
    yield sse.DONE


class KeyClaims:
    """Claims on Idempotency-Keys in the session log: taken before a request reaches the
    engine, released when it fails before its answer (its turn's commit settles a success)."""

    def __init__(self, sessions: SessionStore, stale_s: float, db_timeout_s: float,
                 background: BackgroundTasks) -> None:
        self.sessions = sessions
        # A claim older than the longest request can take belongs to a process that died.
        self.stale_s = stale_s
        self.db_timeout_s = db_timeout_s
        self.background = background

    async def claim(self, req: ChatCompletionRequest, ctx: TurnContext) -> dict | None:
        """None: go on (no key, or this request now owns it). Else the earlier request's row,
        completed, to replay."""
        if ctx.idempotency_key is None:
            return None
        try:
            row = await self.sessions.for_tenant(ctx.tenant_id).claim_idempotency(
                ctx.idempotency_key, fingerprint(req, ctx.session_header), self.stale_s)
        except Exception as exc:
            log.exception("could not claim idempotency key")
            raise SessionLogUnavailable() from exc
        if row is None:
            return None
        if bytes(row["fingerprint"]) != fingerprint(req, ctx.session_header):
            raise IdempotencyKeyReused()
        if row["response"] is None:
            raise IdempotencyInProgress()
        return row

    async def release_before_answering(self, ctx: TurnContext) -> None:
        """Free the key of a request that failed before its answer, so that the client's retry
        runs afresh (not a 409 'in progress')."""
        if ctx.idempotency_key is not None:
            try:
                await asyncio.wait_for(self._release_now(ctx.idempotency_key, ctx.tenant_id),
                                       self.db_timeout_s)
            except TimeoutError:  # the database is slow: finish in the background
                self.release(ctx)

    def release(self, ctx: TurnContext) -> None:
        """Free the key in the background (where awaiting is not allowed: a cancelled request)."""
        if ctx.idempotency_key is not None:
            self.background.spawn(self._release_now(ctx.idempotency_key, ctx.tenant_id))

    async def _release_now(self, key: str, tenant_id: int) -> None:
        try:
            await self.sessions.for_tenant(tenant_id).release_idempotency(key)
        except Exception:  # stale claims are taken over later anyway
            log.exception("could not release idempotency key")
