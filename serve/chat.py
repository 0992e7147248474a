"""Chat completions: resolve the model and the session, run the engine, log the turn durably.

The turn is committed to PostgreSQL before the client gets the end of the response: before the
JSON body is returned, or before a stream's final `data: [DONE]`. A client that received a whole
response therefore has its turn in the database, whatever happens to the API process after.
The session lookup runs concurrently with the engine's prefill, off the time-to-first-token.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from serve.catalog import ModelCatalog, Served
from serve.conversations import check_session_id, new_session_id, prefix_digests, turn_digest
from serve.engine import Engine, EngineStream
from serve.errors import APIError, EngineUnavailable, error_body
from serve.schemas import ChatCompletionRequest
from store.sessions import SessionStore, TurnRecord

log = logging.getLogger(__name__)

_DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    session_header: str | None
    started: float  # perf_counter() at arrival
    started_at: datetime

    @classmethod
    def now(cls, request_id: str, session_header: str | None) -> RequestContext:
        return cls(request_id, session_header, time.perf_counter(), datetime.now(UTC))

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class SessionLogUnavailable(APIError):
    status = 503
    type = "service_unavailable"

    def __init__(self) -> None:
        super().__init__("The session log is unavailable; the turn was not stored. Retry shortly.",
                         code="session_log_unavailable", headers={"Retry-After": "5"})


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _wants_learning(req: ChatCompletionRequest) -> bool:
    return (req.metadata or {}).get("learn") not in (False, "false", "False", "0", 0)


class ChatService:
    def __init__(self, engine: Engine, sessions: SessionStore, catalog: ModelCatalog) -> None:
        self.engine = engine
        self.sessions = sessions
        self.catalog = catalog
        self._background: set[asyncio.Task[Any]] = set()

    # -- sessions ---------------------------------------------------------------------------

    def _named_session(self, req: ChatCompletionRequest, ctx: RequestContext) -> str | None:
        if ctx.session_header is not None:
            return check_session_id(ctx.session_header, "X-Session-Id")
        hint = req.session_hint()
        return check_session_id(hint, "metadata.session_id") if hint is not None else None

    async def _continued_session(self, req: ChatCompletionRequest) -> str:
        digests = prefix_digests(req.user, req.messages)
        found = await self.sessions.session_by_digests(digests) if digests else None
        return found[0] if found else new_session_id()

    def _session_lookup(self, req: ChatCompletionRequest, ctx: RequestContext) -> asyncio.Future:
        """The session id, named or looked up concurrently with the engine call."""
        named = self._named_session(req, ctx)
        if named is not None:
            done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            done.set_result(named)
            return done
        return asyncio.ensure_future(self._continued_session(req))

    # -- the two request shapes ---------------------------------------------------------------

    async def complete(self, req: ChatCompletionRequest, ctx: RequestContext) -> tuple[dict, str]:
        served = self.catalog.resolve(req.model)
        session = self._session_lookup(req, ctx)
        self.catalog.enter(served.engine_model)
        try:
            result = await self.engine.chat(req.engine_payload(served.engine_model))
        except BaseException:
            session.cancel()
            raise
        finally:
            self.catalog.leave(served.engine_model)
        session_id = await session
        choice = (result.get("choices") or [{}])[0]
        usage = result.get("usage") or {}
        text = (choice.get("message") or {}).get("content") or ""
        latency = ctx.elapsed_ms()
        turn = self._turn(req, ctx, served, session_id, text, choice.get("finish_reason"), usage,
                          "completed", latency, latency)
        await self._record(turn)
        return result, session_id

    async def stream(
        self, req: ChatCompletionRequest, ctx: RequestContext
    ) -> tuple[AsyncIterator[bytes], str]:
        served = self.catalog.resolve(req.model)
        session = self._session_lookup(req, ctx)
        self.catalog.enter(served.engine_model)  # left when the relay ends
        try:
            stream = await self.engine.open_stream(req.engine_payload(served.engine_model))
        except BaseException:
            self.catalog.leave(served.engine_model)
            session.cancel()
            raise
        try:
            session_id = await session
        except BaseException:
            self.catalog.leave(served.engine_model)
            self._spawn(stream.aclose())
            raise
        return self._relay(stream, req, ctx, served, session_id), session_id

    async def _relay(
        self, stream: EngineStream, req: ChatCompletionRequest, ctx: RequestContext,
        served: Served, session_id: str,
    ) -> AsyncIterator[bytes]:
        include_usage = bool(req.stream_options and req.stream_options.include_usage)
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] = {}
        ttft: float | None = None
        failed = False
        settled = False  # the turn is recorded (or handed to a background task)
        try:
            async for data in stream.events():
                chunk = orjson.loads(data)
                choices = chunk.get("choices")
                if choices:
                    choice = choices[0]
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        if ttft is None:
                            ttft = ctx.elapsed_ms()
                        parts.append(content)
                    finish = choice.get("finish_reason") or finish
                elif chunk.get("usage"):
                    usage = chunk["usage"]
                    if not include_usage:
                        continue
                elif "error" in chunk:
                    failed = True
                yield b"data: " + data + b"\n\n"
            status = "completed" if finish is not None and not failed else "aborted"
            turn = self._turn(req, ctx, served, session_id, "".join(parts), finish, usage, status,
                              ctx.elapsed_ms(), ttft)
            settled = True
            try:
                await self._record(turn)
            except SessionLogUnavailable as exc:
                yield _sse(error_body(exc.message, exc.type, None, exc.code))
                return
            yield _DONE
        except httpx.TransportError:
            failed = True
            exc = EngineUnavailable("The engine stopped while streaming.")
            yield _sse(error_body(exc.message, exc.type, None, exc.code))
        finally:
            # Runs on completion, engine failure, or the client going away (then awaiting here is
            # not allowed: the response's cancel scope is cancelled), so finish in the background.
            self.catalog.leave(served.engine_model)
            aborted = None
            if not settled:
                aborted = self._turn(req, ctx, served, session_id, "".join(parts), finish, usage,
                                     "aborted", ctx.elapsed_ms(), ttft)
            self._spawn(self._close(stream, aborted))

    async def _close(self, stream: EngineStream, aborted: TurnRecord | None) -> None:
        await stream.aclose()
        if aborted is not None:
            try:
                await self._record(aborted)
            except SessionLogUnavailable:
                log.error("lost aborted turn %s of session %s", aborted.request_id,
                          aborted.session_public_id)

    # -- the log --------------------------------------------------------------------------------

    def _turn(
        self, req: ChatCompletionRequest, ctx: RequestContext, served: Served, session_id: str,
        text: str, finish: str | None, usage: dict[str, Any], status: str, latency_ms: float,
        ttft_ms: float | None,
    ) -> TurnRecord:
        return TurnRecord(
            session_public_id=session_id,
            request_id=ctx.request_id,
            model_requested=req.model,
            model_served=served.engine_model,
            adapter_version_id=served.adapter_version_id,
            messages=[m.model_dump(exclude_none=True) for m in req.messages],
            params=req.logged_params(),
            response=text,
            finish_reason=finish,
            status=status,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            user_id=req.user,
            metadata=dict(req.metadata or {}),
            thread_digest=turn_digest(req.user, req.messages, text),
            started_at=ctx.started_at,
            learn=_wants_learning(req),
        )

    async def _record(self, turn: TurnRecord) -> None:
        try:
            await self.sessions.record_turn(turn)
        except Exception as exc:  # the database is down or refused the row
            log.exception("could not store turn %s", turn.request_id)
            raise SessionLogUnavailable() from exc

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background work (closing streams, logging aborted turns) before shutdown."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
