"""Chat sessions and their turns: the durable log every chat request lands in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

DEFAULT_TENANT_ID = 1  # the 'default' tenant row created by the first migration


def pg_text(value: Any) -> Any:
    """`value` with every NUL character replaced by U+FFFD: PostgreSQL's text and jsonb cannot
    hold NUL, and a turn is stored whatever a client sent (strings in lists and dicts too)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    if isinstance(value, list):
        return [pg_text(v) for v in value]
    if isinstance(value, dict):
        return {pg_text(k): pg_text(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class TurnRecord:
    """One chat request and the response the client received."""

    session_public_id: str
    request_id: str
    model_requested: str
    model_served: str
    adapter_version_id: int | None
    messages: list[dict[str, Any]]
    params: dict[str, Any]
    response: str
    finish_reason: str | None
    status: str  # 'completed' or 'aborted'
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float
    ttft_ms: float | None
    user_id: str | None
    metadata: dict[str, Any]
    thread_digest: bytes
    started_at: datetime
    learn: bool = True
    idempotency_key: str | None = None
    tenant_id: int = DEFAULT_TENANT_ID
    redact_at_rest: bool = False  # the tenant keeps no original text: store it redacted
    completion_id: str | None = None  # the chat completion's `id` the client received


# One statement, one round trip: create or bump the session, then add the turn with the next seq.
_RECORD_TURN = """
WITH s AS (
    INSERT INTO sessions (id, tenant_id, public_id, user_id, metadata, learn, turn_count)
    VALUES (gen_random_uuid(), %(tenant_id)s, %(public_id)s, %(user_id)s, %(metadata)s,
            %(learn)s, 1)
    ON CONFLICT (tenant_id, public_id) DO UPDATE
        SET turn_count = sessions.turn_count + 1,
            updated_at = now(),
            learn = sessions.learn AND EXCLUDED.learn
    RETURNING id, turn_count
)
INSERT INTO turns (session_id, seq, request_id, model_requested, model_served, adapter_version_id,
                   messages, params, response, finish_reason, status, prompt_tokens,
                   completion_tokens, latency_ms, ttft_ms, user_id, metadata, thread_digest,
                   idempotency_key, started_at, completion_id)
SELECT s.id, s.turn_count, %(request_id)s, %(model_requested)s, %(model_served)s,
       %(adapter_version_id)s, %(messages)s, %(params)s, %(response)s, %(finish_reason)s,
       %(status)s, %(prompt_tokens)s, %(completion_tokens)s, %(latency_ms)s, %(ttft_ms)s,
       %(user_id)s, %(metadata)s, %(thread_digest)s, %(idempotency_key)s, %(started_at)s,
       %(completion_id)s
FROM s
RETURNING id, seq
"""

_SESSION_COLUMNS = (
    "public_id AS id, user_id AS user, metadata, learn, turn_count, created_at, updated_at"
)


class SessionStore:
    def __init__(self, pool: AsyncConnectionPool, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.pool = pool
        self.tenant_id = tenant_id

    def for_tenant(self, tenant_id: int) -> SessionStore:
        return self if tenant_id == self.tenant_id else SessionStore(self.pool, tenant_id)

    async def record_turn(self, turn: TurnRecord, response: dict[str, Any] | None = None,
                          replayed: bool = False, timeout_s: float | None = None
                          ) -> tuple[int, int]:
        """Commit the turn (creating its session if new); return (turn id, seq in session).
        With `turn.idempotency_key`, `response` is stored under the key in the same
        transaction, completing the claim `claim_idempotency` made. The turn names its tenant.
        A `replayed` turn (from the
        spool) that the database already holds is not stored again. `timeout_s` bounds the
        wait for a connection (psycopg_pool.PoolTimeout after it)."""
        params = {
            "tenant_id": turn.tenant_id,
            "public_id": turn.session_public_id,
            "request_id": turn.request_id,
            "model_requested": turn.model_requested,
            "model_served": turn.model_served,
            "adapter_version_id": turn.adapter_version_id,
            "messages": Jsonb(pg_text(turn.messages)),
            "params": Jsonb(pg_text(turn.params)),
            "response": pg_text(turn.response),
            "finish_reason": turn.finish_reason,
            "status": turn.status,
            "prompt_tokens": turn.prompt_tokens,
            "completion_tokens": turn.completion_tokens,
            "latency_ms": turn.latency_ms,
            "ttft_ms": turn.ttft_ms,
            "user_id": pg_text(turn.user_id),
            "metadata": Jsonb(pg_text(turn.metadata)),
            "learn": turn.learn,
            "thread_digest": turn.thread_digest,
            "idempotency_key": turn.idempotency_key,
            "started_at": turn.started_at,
            "completion_id": turn.completion_id,
        }
        async with self.pool.connection(timeout=timeout_s) as conn, conn.transaction():
            if replayed:
                cur = await conn.execute(
                    "SELECT id, seq FROM turns WHERE request_id = %s AND started_at = %s",
                    (turn.request_id, turn.started_at))
                if (known := await cur.fetchone()) is not None:
                    return known["id"], known["seq"]
            row = await (await conn.execute(_RECORD_TURN, params)).fetchone()
            if turn.idempotency_key is not None:
                await conn.execute(
                    "UPDATE idempotency_keys SET response = %s, session_public_id = %s,"
                    " completed_at = now() WHERE tenant_id = %s AND key = %s",
                    (Jsonb(pg_text(response or {})), turn.session_public_id, turn.tenant_id,
                     turn.idempotency_key))
        assert row is not None
        return row["id"], row["seq"]

    # -- Idempotency-Key --------------------------------------------------------------------

    async def claim_idempotency(self, key: str, fingerprint: bytes,
                                stale_after_s: float) -> dict | None:
        """Claim `key` for a request; None when this request now owns it. Otherwise the row
        already there: `fingerprint`, `response` (None while its request runs) and
        `session_public_id`. A claim whose request never finished (its process died) is taken
        over after `stale_after_s`."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO idempotency_keys (tenant_id, key, fingerprint) VALUES (%s, %s, %s)"
                " ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint,"
                " created_at = now() WHERE idempotency_keys.response IS NULL"
                " AND idempotency_keys.created_at < now() - make_interval(secs => %s)"
                " RETURNING key", (self.tenant_id, key, fingerprint, stale_after_s))
            if await cur.fetchone() is not None:
                return None
            cur = await conn.execute(
                "SELECT fingerprint, response, session_public_id FROM idempotency_keys"
                " WHERE tenant_id = %s AND key = %s", (self.tenant_id, key))
            return await cur.fetchone()

    async def release_idempotency(self, key: str) -> None:
        """Give up an unfinished claim (the request failed): a retry runs afresh."""
        async with self.pool.connection() as conn:
            await conn.execute("DELETE FROM idempotency_keys WHERE tenant_id = %s AND key = %s"
                               " AND response IS NULL", (self.tenant_id, key))

    async def session_by_digests(self, digests: list[bytes]) -> tuple[str, bytes] | None:
        """The newest session holding a turn whose digest is one of `digests`, with that digest."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.public_id, t.thread_digest FROM turns t"
                " JOIN sessions s ON s.id = t.session_id"
                " WHERE t.thread_digest = ANY(%s) AND s.tenant_id = %s"
                " ORDER BY t.id DESC",
                (digests, self.tenant_id),
            )
            rows = await cur.fetchall()
        if not rows:
            return None
        # Prefer the longest matching prefix (digests are given shortest first), then the newest.
        rank = {d: i for i, d in enumerate(digests)}
        best = max(rows, key=lambda r: rank[bytes(r["thread_digest"])])
        return best["public_id"], bytes(best["thread_digest"])

    async def list_sessions(self, limit: int, after: str | None) -> tuple[list[dict], bool]:
        """Sessions newest first, `limit` of them, starting after the session `after`."""
        cursor = ""
        args: list[Any] = [self.tenant_id]
        if after is not None:
            cursor = (" AND (created_at, id) < (SELECT created_at, id FROM sessions"
                      " WHERE tenant_id = %s AND public_id = %s)")
            args += [self.tenant_id, after]
        args.append(limit + 1)
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE tenant_id = %s{cursor}"
                " ORDER BY created_at DESC, id DESC LIMIT %s",
                args,
            )
            rows = await cur.fetchall()
        return rows[:limit], len(rows) > limit

    async def session_exists(self, public_id: str) -> bool:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT 1 FROM sessions WHERE tenant_id = %s AND public_id = %s",
                (self.tenant_id, public_id),
            )
            return await cur.fetchone() is not None

    async def get_session(self, public_id: str) -> tuple[dict, list[dict]] | None:
        """The session and its turns in order, or None."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT id AS uuid, {_SESSION_COLUMNS} FROM sessions"
                " WHERE tenant_id = %s AND public_id = %s",
                (self.tenant_id, public_id),
            )
            session = await cur.fetchone()
            if session is None:
                return None
            cur = await conn.execute(
                "SELECT seq, request_id, model_requested, model_served, adapter_version_id,"
                " messages, params, response, finish_reason, status, prompt_tokens,"
                " completion_tokens, latency_ms, ttft_ms, user_id AS user, metadata,"
                " started_at, completed_at, completion_id,"
                " coalesce((SELECT json_agg(json_build_object('rating', f.rating, 'text',"
                "   f.comment, 'created_at', f.created_at) ORDER BY f.id) FROM feedback f"
                "   WHERE f.turn_id = turns.id), '[]'::json) AS feedback"
                " FROM turns WHERE session_id = %s ORDER BY seq",
                (session.pop("uuid"),),
            )
            turns = await cur.fetchall()
        return session, turns
