"""Where a finished chat turn goes: the metrics and its key's token budget at once, then the
session log in PostgreSQL, durably, before the client gets the end of its answer.

While the database does not answer, turns without an Idempotency-Key go to the on-disk spool
(serve/chat/spool.py) and are replayed into the database later, in order. Tenants that keep
no original text get their turns (and kept responses) redacted before either sees them.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import psycopg
from psycopg_pool import PoolTimeout

from dream.redact import redact, redact_content, redact_transcript
from serve.api.errors import SessionLogUnavailable
from serve.chat.spool import TurnSpool
from serve.observe.metrics import observe_turn
from serve.trust.ratelimit import RateLimiter
from serve.trust.shared_ratelimit import SharedRateLimiter
from store.keys import Principal
from store.sessions import SessionStore, TurnRecord

log = logging.getLogger(__name__)


def redacted_at_rest(turn: TurnRecord, response: dict[str, Any] | None
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


class TurnLog:
    """The end of every turn: observed, then recorded (or spooled), with the chat service's
    session store, spool and database timeout."""

    def __init__(self, sessions: SessionStore, spool: TurnSpool | None,
                 limiter: RateLimiter | SharedRateLimiter,
                 db_timeout_s: float) -> None:
        self.sessions = sessions
        self.spool = spool
        self.limiter = limiter
        self.db_timeout_s = db_timeout_s  # then the database counts as down for this turn

    def observe(self, turn: TurnRecord, principal: Principal) -> None:
        """Count the turn in the metrics and spend its tokens from its key's budget."""
        observe_turn(turn)
        self.limiter.spend(principal.key_id,
                           (turn.prompt_tokens or 0) + (turn.completion_tokens or 0),
                           principal.tpm)

    async def record(self, turn: TurnRecord, response: dict[str, Any] | None = None) -> None:
        """Commit the turn (and a response kept for idempotent replays), or spool it; raises
        SessionLogUnavailable when it could do neither."""
        if turn.redact_at_rest:  # before it touches the database or the spool
            turn, response = redacted_at_rest(turn, response)
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
