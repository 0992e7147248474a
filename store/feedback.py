"""Feedback on answers: a rating (+1 or -1) and optional text on one chat completion, found by the
completion `id` the client received, within the caller's tenant.

A turn keeps its completion id (`turns.completion_id`), so feedback finds its turn and, through
it, its session: erasing the session erases the feedback with it (the foreign keys cascade).
A learning run reads feedback with its session (`store.runs.RunStore.take_feedback`).
"""

from __future__ import annotations

from typing import Any

from psycopg_pool import AsyncConnectionPool

from store.sessions import DEFAULT_TENANT_ID

_ADD = """
INSERT INTO feedback (turn_id, rating, comment)
SELECT t.id, %(rating)s, %(text)s FROM turns t JOIN sessions s ON s.id = t.session_id
WHERE t.completion_id = %(completion_id)s AND s.tenant_id = %(tenant_id)s
ORDER BY t.id DESC LIMIT 1
RETURNING id, turn_id, rating, comment AS text, created_at
"""


class FeedbackStore:
    def __init__(self, pool: AsyncConnectionPool, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.pool = pool
        self.tenant_id = tenant_id

    def for_tenant(self, tenant_id: int) -> FeedbackStore:
        return self if tenant_id == self.tenant_id else FeedbackStore(self.pool, tenant_id)

    async def add(self, completion_id: str, rating: int, text: str | None) -> dict[str, Any] | None:
        """Store feedback on this tenant's completion `completion_id`; the row with the session's
        public id and the turn's seq, or None when the tenant has no such completion."""
        async with self.pool.connection() as conn, conn.transaction():
            row = await (await conn.execute(_ADD, {
                "rating": rating, "text": text, "completion_id": completion_id,
                "tenant_id": self.tenant_id})).fetchone()
            if row is None:
                return None
            where = await (await conn.execute(
                "SELECT s.public_id, t.seq FROM turns t JOIN sessions s ON s.id = t.session_id"
                " WHERE t.id = %s", (row["turn_id"],))).fetchone()
        return {**row, "session_id": where["public_id"], "seq": where["seq"]}
