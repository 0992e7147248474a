"""The streaming half of a chat turn: the engine's chunks relayed to the client as they come,
then the turn logged before the stream's final `data: [DONE]`.

A stream can end four ways: complete (logged, then `[DONE]`), with the session log down (an
error event instead of `[DONE]`), with the engine gone (an error event; the turn is logged as
aborted), or with the client gone. Whichever way, the model's request count is left, an unused
Idempotency-Key claim is released and the engine stream is closed, in the background where
awaiting is no longer allowed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from serve.adapters.catalog import ModelCatalog
from serve.api import sse
from serve.api.errors import APIError, EngineUnavailable, SessionLogUnavailable, error_body
from serve.chat.idempotency import KeyClaims, completion_from_stream
from serve.chat.turn_log import TurnLog
from serve.chat.turns import PendingTurn, TurnContext
from serve.engine.client import EngineStream
from serve.lifecycle.background import BackgroundTasks
from serve.observe.metrics import count_error
from store.sessions import TurnRecord

log = logging.getLogger(__name__)


def error_event(exc: APIError) -> bytes:
    """An error ending a stream that already started (its status was 200), counted."""
    count_error(exc.type, exc.code)
    return sse.event(error_body(exc.message, exc.type, None, exc.code))


@dataclass
class StreamTally:
    """What a streamed answer amounts to so far, gathered from the engine's chunks."""

    include_usage: bool  # the client asked for the usage chunk
    parts: list[str] = field(default_factory=list)
    finish: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    ttft_ms: float | None = None
    failed: bool = False  # the engine sent an error chunk
    first: dict[str, Any] | None = None

    def take(self, chunk: dict[str, Any], ctx: TurnContext) -> bool:
        """Note one chunk; whether the client gets it."""
        self.first = self.first or chunk
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            content = (choice.get("delta") or {}).get("content")
            if content:
                if self.ttft_ms is None:
                    self.ttft_ms = ctx.elapsed_ms()
                self.parts.append(content)
            self.finish = choice.get("finish_reason") or self.finish
        elif chunk.get("usage"):
            self.usage = chunk["usage"]
            return self.include_usage
        elif "error" in chunk:
            self.failed = True
            error = chunk["error"] if isinstance(chunk["error"], dict) else {}
            count_error(str(error.get("type") or "server_error"), error.get("code"))
        return True

    @property
    def status(self) -> str:
        return "completed" if self.finish is not None and not self.failed else "aborted"

    def as_record(self, turn: PendingTurn, status: str) -> TurnRecord:
        return turn.as_record("".join(self.parts), self.finish, self.usage, status,
                              turn.ctx.elapsed_ms(), self.ttft_ms,
                              (self.first or {}).get("id"))


class StreamRelay:
    """One engine stream relayed to its client as server-sent events, then logged as a turn."""

    def __init__(self, stream: EngineStream, turn: PendingTurn, turn_log: TurnLog,
                 claims: KeyClaims, catalog: ModelCatalog, background: BackgroundTasks) -> None:
        self.stream = stream
        self.turn = turn
        self.turn_log = turn_log
        self.claims = claims
        self.catalog = catalog  # its request count for the model is left when the relay ends
        self.background = background
        req = turn.req
        self.tally = StreamTally(bool(req.stream_options and req.stream_options.include_usage))
        self.settled = False  # the turn is recorded (or handed to a background task)
        self.recorded = False  # with a response kept for replays: the key's claim is used

    async def events(self) -> AsyncIterator[bytes]:
        """The SSE bytes the client gets."""
        try:
            async for data in self.stream.events():
                if self.tally.take(orjson.loads(data), self.turn.ctx):
                    yield sse.frame(data)
            yield await self._settle()
        except httpx.TransportError:
            yield error_event(EngineUnavailable("The engine stopped while streaming."))
        finally:
            self._wind_up()

    async def _settle(self) -> bytes:
        """Log the turn the stream amounted to; the stream's last event: `[DONE]` once the turn
        is stored, else an error saying it is not."""
        ctx = self.turn.ctx
        turn = self.tally.as_record(self.turn, self.tally.status)
        self.settled = True
        self.turn_log.observe(turn, ctx.principal)
        kept = completion_from_stream(self.tally.first or {}, turn.response, self.tally.finish,
                                      self.tally.usage) \
            if ctx.idempotency_key is not None and turn.status == "completed" else None
        try:
            await self.turn_log.record(turn, kept)
        except SessionLogUnavailable as exc:
            return error_event(exc)
        self.recorded = kept is not None
        return sse.DONE

    def _wind_up(self) -> None:
        # Runs on completion, engine failure, or the client going away (then awaiting here is
        # not allowed: the response's cancel scope is cancelled), so finish in the background.
        ctx = self.turn.ctx
        self.catalog.leave(self.turn.served.engine_model)
        if not self.recorded:
            self.claims.release(ctx)
        aborted = None
        if not self.settled:
            aborted = self.tally.as_record(self.turn, "aborted")
            self.turn_log.observe(aborted, ctx.principal)
        self.background.spawn(self._close(aborted))

    async def _close(self, aborted: TurnRecord | None) -> None:
        await self.stream.aclose()
        if aborted is not None:
            try:
                await self.turn_log.record(aborted)
            except SessionLogUnavailable:
                log.error("lost aborted turn %s of session %s", aborted.request_id,
                          aborted.session_public_id)
