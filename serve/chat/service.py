"""Chat completions: resolve the model and the session, run the engine, log the turn durably.

The turn is committed to PostgreSQL before the client gets the end of the response: before the
JSON body is returned, or before a stream's final `data: [DONE]`. A client that received a whole
response therefore has its turn in the database, whatever happens to the API process after.
The session lookup runs concurrently with the engine's prefill, off the time-to-first-token.
A stream is relayed by serve/chat/relay.py; every turn ends in serve/chat/turn_log.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from serve.adapters.catalog import ModelCatalog, Served
from serve.api.schemas import ChatCompletionRequest
from serve.chat.conversations import check_session_id, new_session_id, prefix_digests
from serve.chat.idempotency import KeyClaims, replay_stream
from serve.chat.relay import StreamRelay
from serve.chat.spool import TurnSpool
from serve.chat.turn_log import TurnLog
from serve.chat.turns import PendingTurn, TurnContext
from serve.engine.client import Engine
from serve.lifecycle.background import BackgroundTasks
from serve.observe.log_format import SESSION_ID
from serve.trust.limits import check_chat_size, check_completion_cap
from serve.trust.ratelimit import RateLimiter
from store.sessions import SessionStore

log = logging.getLogger(__name__)


class ChatService:
    """The two request shapes, complete and stream: checks, the session, the engine call and
    the turn's log, with a claimed Idempotency-Key replayed instead."""

    def __init__(self, engine: Engine, sessions: SessionStore, catalog: ModelCatalog,
                 max_chars: int = 1_000_000, idempotency_stale_s: float = 660.0,
                 max_completion_tokens: int | None = None, spool: TurnSpool | None = None,
                 db_timeout_s: float = 5.0, limiter: RateLimiter | None = None) -> None:
        self.engine = engine
        self.limiter = limiter or RateLimiter()
        self.db_timeout_s = db_timeout_s  # then the database counts as down for this turn
        self.max_completion_tokens = max_completion_tokens
        self.sessions = sessions
        self.catalog = catalog
        self.max_chars = max_chars
        self.background = BackgroundTasks()
        self.turn_log = TurnLog(sessions, spool, self.limiter, db_timeout_s)
        self.claims = KeyClaims(sessions, idempotency_stale_s, db_timeout_s, self.background)

    # -- sessions ---------------------------------------------------------------------------

    def _named_session(self, req: ChatCompletionRequest, ctx: TurnContext) -> str | None:
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

    def _session_lookup(self, req: ChatCompletionRequest, ctx: TurnContext) -> asyncio.Future:
        """The session id, named or looked up concurrently with the engine call."""
        named = self._named_session(req, ctx)
        if named is not None:
            done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            done.set_result(named)
            return done
        return asyncio.ensure_future(self._continued_session(req, ctx.tenant_id))

    # -- the two request shapes ---------------------------------------------------------------

    def _check(self, req: ChatCompletionRequest) -> None:
        check_chat_size([m.text() for m in req.messages], self.max_chars)
        check_completion_cap({"max_tokens": req.max_tokens,
                              "max_completion_tokens": req.max_completion_tokens},
                             self.max_completion_tokens)

    def _payload(self, req: ChatCompletionRequest, served: Served) -> dict[str, Any]:
        return req.engine_payload(served.engine_model, self.max_completion_tokens)

    async def complete(self, req: ChatCompletionRequest,
                       ctx: TurnContext) -> tuple[dict, str, bool]:
        """(the chat.completion, its session id, whether it is a replay of an earlier one)."""
        self._check(req)
        served = self.catalog.resolve(req.model, ctx.tenant_id)
        earlier = await self.claims.claim(req, ctx)
        if earlier is not None:
            return earlier["response"], earlier["session_public_id"], True
        try:
            return (*await self._complete(req, ctx, served), False)
        except Exception:
            await self.claims.release_before_answering(ctx)
            raise
        except BaseException:  # cancelled: no awaiting here
            self.claims.release(ctx)
            raise

    async def _complete(self, req: ChatCompletionRequest, ctx: TurnContext,
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
        turn = PendingTurn(req, ctx, served, session_id).as_record(
            text, choice.get("finish_reason"), usage, "completed", latency, latency,
            result.get("id"))
        self.turn_log.observe(turn, ctx.principal)
        await self.turn_log.record(turn, result)
        return result, session_id

    async def stream(
        self, req: ChatCompletionRequest, ctx: TurnContext
    ) -> tuple[AsyncIterator[bytes], str, bool]:
        """(the SSE byte stream, its session id, whether it replays an earlier response)."""
        self._check(req)
        served = self.catalog.resolve(req.model, ctx.tenant_id)
        earlier = await self.claims.claim(req, ctx)
        if earlier is not None:
            include_usage = bool(req.stream_options and req.stream_options.include_usage)
            return (replay_stream(earlier["response"], include_usage),
                    earlier["session_public_id"], True)
        try:
            chunks, session_id = await self._open(req, ctx, served)
        except Exception:
            await self.claims.release_before_answering(ctx)
            raise
        except BaseException:
            self.claims.release(ctx)
            raise
        return chunks, session_id, False

    async def _open(self, req: ChatCompletionRequest, ctx: TurnContext,
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
        relay = StreamRelay(stream, PendingTurn(req, ctx, served, session_id), self.turn_log,
                            self.claims, self.catalog, self.background)
        return relay.events(), session_id

    # -- the process's lifetime -----------------------------------------------------------------

    async def replay_spool(self) -> int:
        """Move spooled turns into the database, in order; how many went."""
        return await self.turn_log.replay_spool()

    async def drain(self) -> None:
        """Wait for background work (closing streams, logging aborted turns) before shutdown."""
        await self.background.wait()
