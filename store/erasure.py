"""Erasure: a session, or every session of a user, deleted with everything derived from it.

One transaction: the adapter versions whose training saw the sessions (their runs took them, or
replayed an insight cut from them) are marked `tainted`, and so are all versions trained on top
of those (their weights started from tainted ones); then the sessions are deleted, and with them
(by foreign keys) their turns, insights, run lineage and the practice items made from those
insights. An `erasures` row records the request and its counts, not the content.
"""

from __future__ import annotations

from typing import Any

from store.sessions import DEFAULT_TENANT_ID

_TAINT = """
WITH RECURSIVE seen AS (
    SELECT v.id FROM adapter_versions v
    WHERE v.tenant_id = %(tenant)s AND v.run_id IN (
        SELECT rs.run_id FROM run_sessions rs WHERE rs.session_id = ANY(%(ids)s)
        UNION
        SELECT p.run_id FROM practice_items p JOIN insights i ON i.id = p.insight_id
        WHERE i.session_id = ANY(%(ids)s))
    UNION
    SELECT c.id FROM adapter_versions c JOIN seen ON c.parent_id = seen.id
)
UPDATE adapter_versions SET status = 'tainted'
WHERE id IN (SELECT id FROM seen) AND tenant_id = %(tenant)s
RETURNING name
"""

_COUNTS = """
SELECT
  (SELECT count(*) FROM turns WHERE session_id = ANY(%(ids)s)) AS turns,
  (SELECT count(*) FROM insights WHERE session_id = ANY(%(ids)s)) AS insights,
  (SELECT count(*) FROM practice_items p JOIN insights i ON i.id = p.insight_id
   WHERE i.session_id = ANY(%(ids)s)) AS practice_items
"""


class SessionEraser:
    def __init__(self, pool, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.pool = pool
        self.tenant_id = tenant_id

    def for_tenant(self, tenant_id: int) -> SessionEraser:
        return SessionEraser(self.pool, tenant_id)

    async def erase(self, *, session: str | None = None, user: str | None = None,
                    actor: str = "admin") -> dict[str, Any] | None:
        """Erase one session (by public id) or all of a user's; None when nothing matched."""
        if (session is None) == (user is None):
            raise ValueError("name exactly one of session or user")
        scope, subject = ("session", session) if session is not None else ("user", user)
        column = "public_id" if scope == "session" else "user_id"
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"SELECT id FROM sessions WHERE tenant_id = %s AND {column} = %s FOR UPDATE",
                (self.tenant_id, subject))
            ids = [row["id"] for row in await cur.fetchall()]
            if not ids:
                return None
            args = {"tenant": self.tenant_id, "ids": ids}
            counts = await (await conn.execute(_COUNTS, args)).fetchone()
            tainted = sorted(row["name"] for row in
                             await (await conn.execute(_TAINT, args)).fetchall())
            await conn.execute("DELETE FROM sessions WHERE id = ANY(%s)", (ids,))
            await conn.execute(
                "INSERT INTO erasures (tenant_id, scope, subject, sessions, turns, insights,"
                " practice_items, tainted, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (self.tenant_id, scope, subject, len(ids), counts["turns"], counts["insights"],
                 counts["practice_items"], tainted, actor))
        return {"scope": scope, "subject": subject, "sessions": len(ids), **counts,
                "tainted": tainted}
