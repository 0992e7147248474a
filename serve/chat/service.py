"""Chat completions: resolve the model and the session, run the engine, log the turn durably.

The turn is committed to PostgreSQL before the client gets the end of the response: before the
JSON body is returned, or before a stream's final `data: [DONE]`. A client that received a whole
response therefore has its turn in the database, whatever happens to the API process after.
The session lookup runs concurrently with the engine's prefill, off the time-to-first-token.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import psycopg
from psycopg_pool import PoolTimeout

from dream.redact import redact, redact_content, redact_transcript
from serve.adapters.catalog import ModelCatalog, Served
from serve.api.errors import (
    APIError,
    EngineUnavailable,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    SessionLogUnavailable,
    error_body,
)
from serve.api.schemas import ChatCompletionRequest
from serve.chat.conversations import check_session_id, new_session_id, prefix_digests, turn_digest
from serve.chat.idempotency import completion_from_stream, fingerprint, replay_stream
from serve.chat.spool import TurnSpool
from serve.engine.client import Engine, EngineStream
from serve.lifecycle.background import BackgroundTasks
from serve.observe.log_format import SESSION_ID
from serve.observe.metrics import count_error, observe_turn
from serve.trust.limits import check_chat_size, check_completion_cap
from serve.trust.ratelimit import RateLimiter
from store.keys import Principal
from store.sessions import SessionStore, TurnRecord

log = logging.getLogger(__name__)

_DONE = b"data: [DONE]\n\n"


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    session_header: str | None
    started: float  # perf_counter() at arrival
    started_at: datetime
    principal: Principal
    idempotency_key: str | None = None

    @classmethod
    def now(cls, request_id: str, session_header: str | None, principal: Principal,
            idempotency_key: str | None = None) -> RequestContext:
        return cls(request_id, session_header, time.perf_counter(), datetime.now(UTC),
                   principal, idempotency_key)

    @property
    def tenant_id(self) -> int:
        return self.principal.tenant_id

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def _sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(payload) + b"\n\n"


def _error_event(exc: APIError) -> bytes:
    """An error ending a stream that already started (its status was 200), counted."""
    count_error(exc.type, exc.code)
    return _sse(error_body(exc.message, exc.type, None, exc.code))


def _wants_learning(req: ChatCompletionRequest, principal: Principal) -> bool:
    """Unless the request, its key or its tenant opted out."""
    return principal.learn and \
        (req.metadata or {}).get("learn") not in (False, "false", "False", "0", 0)


def _redacted_at_rest(turn: TurnRecord, response: dict[str, Any] | None
                      ) -> tuple[TurnRecord, dict[str, Any] | None]:
    """The turn (and a kept response) with private values replaced, for tenants that store no
    original text."""
    kept = None
    if response is not None:
        kept = {**response, "choices": [
            {**c, "message": {**c["message"], "content": redact_content(c["message"].get(
                "content"))}} if isinstance(c.get("message"), dict) else c
            for c in response.get("choices") or []]}
    return dataclasses.replace(
        turn, messages=redact_transcript(turn.messages), response=redact(turn.response),
        user_id=redact(turn.user_id) if turn.user_id else turn.user_id), kept


class ChatService:
    def __init__(self, engine: Engine, sessions: SessionStore, catalog: ModelCatalog,
                 max_chars: int = 1_000_000, idempotency_stale_s: float = 660.0,
                 max_completion_tokens: int | None = None, spool: TurnSpool | None = None,
                 db_timeout_s: float = 5.0, limiter: RateLimiter | None = None) -> None:
        self.engine = engine
        self.limiter = limiter or RateLimiter()
        self.spool = spool
        self.db_timeout_s = db_timeout_s  # then the database counts as down for this turn
        self.max_completion_tokens = max_completion_tokens
        self.sessions = sessions
        self.catalog = catalog
        self.max_chars = max_chars
        # A claim older than the longest request can take belongs to a process that died.
        self.idempotency_stale_s = idempotency_stale_s
        self.background = BackgroundTasks()

    # -- sessions ---------------------------------------------------------------------------

    def _named_session(self, req: ChatCompletionRequest, ctx: RequestContext) -> str | None:
        if ctx.session_header is not None:
            return check_session_id(ctx.session_header, "X-Session-Id")
        hint = req.session_hint()
        return check_session_id(hint, "metadata.session_id") if hint is not None else None

    async def _continued_session(self, req: ChatCompletionRequest, tenant_id: int) -> str:
        digests = prefix_digests(req.user, req.messages)
        sessions = self.sessions.for_tenant(tenant_id)
        try:
            found = await asyncio.wait_for(sessions.session_by_digests(digests),
                                           self.db_timeout_s) if digests else None
        except Exception:  # the database is down: answer anyway, in a session of its own
            log.warning("session lookup failed; the turn starts a new session", exc_info=True)
            found = None
        return found[0] if found else new_session_id()

    def _session_lookup(self, req: ChatCompletionRequest, ctx: RequestContext) -> asyncio.Future:
        """The session id, named or looked up concurrently with the engine call."""
        named = self._named_session(req, ctx)
        if named is not None:
            done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            done.set_result(named)
            return done
        return asyncio.ensure_future(self._continued_session(req, ctx.tenant_id))

    # -- Idempotency-Key ------------------------------------------------------------------------

    async def _claim(self, req: ChatCompletionRequest, ctx: RequestContext) -> dict | None:
        """None: go on (no key, or this request now owns it). Else the earlier request's row,
        completed, to replay."""
        if ctx.idempotency_key is None:
            return None
        try:
            row = await self.sessions.for_tenant(ctx.tenant_id).claim_idempotency(
                ctx.idempotency_key, fingerprint(req, ctx.session_header),
                self.idempotency_stale_s)
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

    async def _release_before_answering(self, ctx: RequestContext) -> None:
        """Free the key of a request that failed before its answer, so that the client's retry
        runs afresh (not a 409 'in progress')."""
        if ctx.idempotency_key is not None:
            try:
                await asyncio.wait_for(self._release_now(ctx.idempotency_key, ctx.tenant_id),
                                       self.db_timeout_s)
            except TimeoutError:  # the database is slow: finish in the background
                self._release(ctx)

    def _release(self, ctx: RequestContext) -> None:
        if ctx.idempotency_key is not None:
            self.background.spawn(self._release_now(ctx.idempotency_key, ctx.tenant_id))

    async def _release_now(self, key: str, tenant_id: int) -> None:
        try:
            await self.sessions.for_tenant(tenant_id).release_idempotency(key)
        except Exception:  # stale claims are taken over later anyway
            log.exception("could not release idempotency key")

    # -- the two request shapes ---------------------------------------------------------------

    def _check(self, req: ChatCompletionRequest) -> None:
        check_chat_size([m.text() for m in req.messages], self.max_chars)
        check_completion_cap({"max_tokens": req.max_tokens,
                              "max_completion_tokens": req.max_completion_tokens},
                             self.max_completion_tokens)

    def _payload(self, req: ChatCompletionRequest, served: Served) -> dict[str, Any]:
        return req.engine_payload(served.engine_model, self.max_completion_tokens)

    async def complete(self, req: ChatCompletionRequest,
                       ctx: RequestContext) -> tuple[dict, str, bool]:
        """(the chat.completion, its session id, whether it is a replay of an earlier one)."""
        self._check(req)
        served = self.catalog.resolve(req.model, ctx.tenant_id)
        earlier = await self._claim(req, ctx)
        if earlier is not None:
            return earlier["response"], earlier["session_public_id"], True
        try:
            return (*await self._complete(req, ctx, served), False)
        except Exception:
            await self._release_before_answering(ctx)
            raise
        except BaseException:  # cancelled: no awaiting here
            self._release(ctx)
            raise

    async def _complete(self, req: ChatCompletionRequest, ctx: RequestContext,
                        served: Served) -> tuple[dict, str]:
        session = self._session_lookup(req, ctx)
        self.catalog.enter(served.engine_model)
        try:
            result = await self.engine.chat(self._payload(req, served))
        except BaseException:
            session.cancel()
            raise
        finally:
            self.catalog.leave(served.engine_model)
        session_id = await session
        SESSION_ID.set(session_id)
        choice = (result.get("choices") or [{}])[0]
        usage = result.get("usage") or {}
        text = (choice.get("message") or {}).get("content") or ""
        latency = ctx.elapsed_ms()
        turn = self._turn(req, ctx, served, session_id, text, choice.get("finish_reason"), usage,
                          "completed", latency, latency)
        self._observe(turn, ctx)
        await self._record(turn, result)
        return result, session_id

    async def stream(
        self, req: ChatCompletionRequest, ctx: RequestContext
    ) -> tuple[AsyncIterator[bytes], str, bool]:
        """(the SSE byte stream, its session id, whether it replays an earlier response)."""
        self._check(req)
        served = self.catalog.resolve(req.model, ctx.tenant_id)
        earlier = await self._claim(req, ctx)
        if earlier is not None:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            return (replay_stream(earlier["response"], include_usage),
                    earlier["session_public_id"], True)
        try:
            chunks, session_id = await self._open(req, ctx, served)
        except Exception:
            await self._release_before_answering(ctx)
            raise
        except BaseException:
            self._release(ctx)
            raise
        return chunks, session_id, False

    async def _open(self, req: ChatCompletionRequest, ctx: RequestContext,
                    served: Served) -> tuple[AsyncIterator[bytes], str]:
        session = self._session_lookup(req, ctx)
        self.catalog.enter(served.engine_model)  # left when the relay ends
        try:
            stream = await self.engine.open_stream(self._payload(req, served))
        except BaseException:
            self.catalog.leave(served.engine_model)
            session.cancel()
            raise
        try:
            session_id = await session
        except BaseException:
            self.catalog.leave(served.engine_model)
            self.background.spawn(stream.aclose())
            raise
        SESSION_ID.set(session_id)
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
        recorded = False
        first: dict[str, Any] | None = None
        try:
            async for data in stream.events():
                chunk = orjson.loads(data)
                first = first or chunk
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
                    error = chunk["error"] if isinstance(chunk["error"], dict) else {}
                    count_error(str(error.get("type") or "server_error"), error.get("code"))
                yield b"data: " + data + b"\n\n"
            status = "completed" if finish is not None and not failed else "aborted"
            turn = self._turn(req, ctx, served, session_id, "".join(parts), finish, usage, status,
                              ctx.elapsed_ms(), ttft)
            settled = True
            self._observe(turn, ctx)
            kept = completion_from_stream(first or {}, turn.response, finish, usage) \
                if ctx.idempotency_key is not None and status == "completed" else None
            try:
                await self._record(turn, kept)
                recorded = kept is not None
            except SessionLogUnavailable as exc:
                yield _error_event(exc)
                return
            yield _DONE
        except httpx.TransportError:
            failed = True
            yield _error_event(EngineUnavailable("The engine stopped while streaming."))
        finally:
            # Runs on completion, engine failure, or the client going away (then awaiting here is
            # not allowed: the response's cancel scope is cancelled), so finish in the background.
            self.catalog.leave(served.engine_model)
            if not recorded:
                self._release(ctx)
            aborted = None
            if not settled:
                aborted = self._turn(req, ctx, served, session_id, "".join(parts), finish, usage,
                                     "aborted", ctx.elapsed_ms(), ttft)
                self._observe(aborted, ctx)
            self.background.spawn(self._close(stream, aborted))

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
            learn=_wants_learning(req, ctx.principal),
            idempotency_key=ctx.idempotency_key if status == "completed" else None,
            tenant_id=ctx.tenant_id,
            redact_at_rest=ctx.principal.redact_at_rest,
        )

    def _observe(self, turn: TurnRecord, ctx: RequestContext) -> None:
        observe_turn(turn)
        self.limiter.spend(ctx.principal.key_id,
                           (turn.prompt_tokens or 0) + (turn.completion_tokens or 0))

    async def _record(self, turn: TurnRecord, response: dict[str, Any] | None = None) -> None:
        if turn.redact_at_rest:  # before it touches the database or the spool
            turn, response = _redacted_at_rest(turn, response)
        spoolable = self.spool is not None and turn.idempotency_key is None
        if spoolable and self.spool.busy():  # queue behind spooled turns: order is kept
            await self._spool(turn, response)
            return
        try:
            await self.sessions.record_turn(turn, response, timeout_s=self.db_timeout_s)
        except (psycopg.OperationalError, PoolTimeout, OSError) as exc:  # the database is down
            if not spoolable:
                log.exception("could not store turn %s", turn.request_id)
                raise SessionLogUnavailable() from exc
            log.warning("database unavailable: turn %s goes to the spool", turn.request_id)
            await self._spool(turn, response)
        except Exception as exc:  # the database refused the row
            log.exception("could not store turn %s", turn.request_id)
            raise SessionLogUnavailable() from exc

    async def _spool(self, turn: TurnRecord, response: dict[str, Any] | None) -> None:
        assert self.spool is not None
        try:
            await self.spool.append(turn, response)
        except OSError as exc:
            log.exception("could not spool turn %s", turn.request_id)
            raise SessionLogUnavailable() from exc

    async def replay_spool(self) -> int:
        """Move spooled turns into the database, in order; how many went."""
        if self.spool is None:
            return 0
        return await self.spool.replay(
            lambda turn, response: self.sessions.record_turn(
                turn, response, replayed=True, timeout_s=self.db_timeout_s))

    async def drain(self) -> None:
        """Wait for background work (closing streams, logging aborted turns) before shutdown."""
        await self.background.wait()
