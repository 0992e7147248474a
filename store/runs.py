"""Learning runs' SQL: creation, single-flight claiming, progress, lineage, and what they derived.

A run is claimed under a session-level advisory lock per tenant, held on the worker's connection
for the whole run: if the worker dies, PostgreSQL drops the lock with the connection, and the
next claim marks the orphaned run failed instead of leaving it 'running' forever.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from store.sessions import DEFAULT_TENANT_ID

_RUN_LOCK_BASE = 0x4C55_0000  # + tenant id

# What /metrics shows of learning, in one round trip: runs by status, the durations of finished
# runs (one a night, so the list stays short), the stage timings of the last finished run, when a
# run that could learn (not a dry run) last succeeded, and the gate's numbers for the newest
# version that went through the gate.
_STATS = """
SELECT
  (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb) FROM
     (SELECT status, count(*) AS n FROM learning_runs WHERE tenant_id = %(tenant)s
      GROUP BY status) c) AS by_status,
  (SELECT coalesce(jsonb_object_agg(status, seconds), '{}'::jsonb) FROM
     (SELECT status, array_agg(extract(epoch FROM finished_at - started_at)::float8) AS seconds
      FROM learning_runs WHERE tenant_id = %(tenant)s AND started_at IS NOT NULL
      AND finished_at IS NOT NULL GROUP BY status) d) AS durations,
  (SELECT to_jsonb(r) FROM
     (SELECT id, status, extract(epoch FROM started_at - created_at)::float8 AS queued,
             (metrics->>'train_seconds')::float8 AS train,
             extract(epoch FROM finished_at - started_at)::float8 AS total
      FROM learning_runs WHERE tenant_id = %(tenant)s AND started_at IS NOT NULL
      AND finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1) r) AS last_run,
  (SELECT extract(epoch FROM max(finished_at))::float8 FROM learning_runs
   WHERE tenant_id = %(tenant)s AND status = 'succeeded' AND NOT dry_run) AS last_success,
  (SELECT to_jsonb(v) FROM
     (SELECT name, metrics->'candidate' AS candidate, metrics->'current' AS current,
             (metrics->>'passed')::boolean AS passed
      FROM adapter_versions WHERE tenant_id = %(tenant)s AND metrics ? 'candidate'
      ORDER BY version DESC LIMIT 1) v) AS last_gate
"""


def _refusals(session: str) -> str:
    """SQL: how many finished runs whose candidate the gate refused took the session whose id
    is the column `session`."""
    return ("(SELECT count(*) FROM run_sessions rr JOIN learning_runs r ON r.id = rr.run_id"
            f" WHERE rr.session_id = {session} AND r.status = 'succeeded' AND NOT r.dry_run"
            " AND r.metrics->>'gate_passed' = 'false')")


# A queued run's place in the one queue all tenants' runs wait in (1: next); NULL once started.
_QUEUE_POSITION = ("CASE WHEN r.status = 'queued' THEN (SELECT count(*) FROM learning_runs q"
                   " WHERE q.status = 'queued' AND q.id <= r.id) END AS queue_position")


class RunBusy(Exception):
    """Another run of this tenant holds the lock."""


class RunStore:
    """Synchronous: used by the Celery worker, one connection held for the run's duration."""

    def __init__(self, conn: psycopg.Connection, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.conn = conn
        self.tenant_id = tenant_id

    @classmethod
    def connect(cls, database_url: str, tenant_id: int = DEFAULT_TENANT_ID) -> RunStore:
        conn = psycopg.connect(database_url, autocommit=True, row_factory=dict_row)
        return cls(conn, tenant_id)

    def close(self) -> None:
        self.conn.close()

    def for_tenant(self, tenant_id: int) -> RunStore:
        """The same connection, acting for `tenant_id`."""
        return RunStore(self.conn, tenant_id)

    def tenant_of(self, run_id: int) -> int:
        row = self.conn.execute("SELECT tenant_id FROM learning_runs WHERE id = %s",
                                (run_id,)).fetchone()
        if row is None:
            raise LookupError(f"no learning run {run_id}")
        return row["tenant_id"]

    def tenants_to_learn(self) -> list[int]:
        """Tenants with sessions, or down-rated answers, no succeeded run consumed yet (the
        default tenant always: its nightly run is recorded even when there is nothing new)."""
        rows = self.conn.execute(
            "SELECT DISTINCT s.tenant_id FROM sessions s WHERE s.learn AND (NOT EXISTS"
            " (SELECT 1 FROM run_sessions rs JOIN learning_runs r ON r.id = rs.run_id"
            "  WHERE rs.session_id = s.id AND r.status = 'succeeded'"
            "  AND coalesce((r.metrics->>'sessions_consumed')::boolean, false))"
            " OR EXISTS (SELECT 1 FROM turns t JOIN feedback f ON f.turn_id = t.id"
            "  WHERE t.session_id = s.id AND f.rating < 0 AND NOT EXISTS"
            "  (SELECT 1 FROM run_feedback rf JOIN learning_runs r ON r.id = rf.run_id"
            "   WHERE rf.feedback_id = f.id AND r.status = 'succeeded'"
            "   AND coalesce((r.metrics->>'sessions_consumed')::boolean, false))))").fetchall()
        return sorted({DEFAULT_TENANT_ID, *(r["tenant_id"] for r in rows)})

    # -- lifecycle ------------------------------------------------------------------------------

    def create(self, trigger: str = "manual", config: dict | None = None,
               dry_run: bool = False) -> int:
        row = self.conn.execute(
            "INSERT INTO learning_runs (tenant_id, trigger, config, dry_run)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (self.tenant_id, trigger, Jsonb(config or {}), dry_run)).fetchone()
        return row["id"]

    def set_task(self, run_id: int, task_id: str) -> None:
        self.conn.execute("UPDATE learning_runs SET task_id = %s WHERE id = %s AND tenant_id = %s",
                          (task_id, run_id, self.tenant_id))

    def claim(self, run_id: int, task_id: str | None) -> dict:
        """Take the tenant's run lock and mark the run running. A run still marked running is
        resumed when its task is re-delivered; other orphaned runs (their worker died, so the lock
        is free) are failed. A finished or failed run is never run again."""
        got = self.conn.execute("SELECT pg_try_advisory_lock(%s) AS ok",
                                (_RUN_LOCK_BASE + self.tenant_id,)).fetchone()["ok"]
        if not got:
            raise RunBusy(f"another learning run of tenant {self.tenant_id} is running")
        self.conn.execute(
            "UPDATE learning_runs SET status = 'failed', finished_at = now(),"
            " error = coalesce(error, 'the worker stopped during stage ' || coalesce(stage, '?'))"
            " WHERE tenant_id = %s AND status = 'running' AND id <> %s",
            (self.tenant_id, run_id))
        row = self.conn.execute(
            "UPDATE learning_runs SET status = 'running', task_id = %s,"
            " started_at = coalesce(started_at, now()), heartbeat_at = now(), error = NULL"
            " WHERE id = %s AND tenant_id = %s AND status IN ('queued', 'running')"
            " RETURNING *", (task_id, run_id, self.tenant_id)).fetchone()
        if row is None:
            self.release()
            raise RunBusy(f"run {run_id} is not runnable (finished or unknown)")
        return row

    def release(self) -> None:
        self.conn.execute("SELECT pg_advisory_unlock(%s)", (_RUN_LOCK_BASE + self.tenant_id,))

    def progress(self, run_id: int, stage: str, **progress: Any) -> None:
        """Publish where the run is (stage, step, loss, ...): visible while it runs."""
        self.conn.execute(
            "UPDATE learning_runs SET stage = %s, progress = %s, heartbeat_at = now()"
            " WHERE id = %s", (stage, Jsonb(progress), run_id))

    def finish(self, run_id: int, status: str, metrics: dict | None = None,
               error: str | None = None) -> None:
        self.conn.execute(
            "UPDATE learning_runs SET status = %s, metrics = metrics || %s, error = %s,"
            " finished_at = now(), heartbeat_at = now() WHERE id = %s",
            (status, Jsonb(metrics or {}), error, run_id))

    def set_config(self, run_id: int, config: dict) -> None:
        self.conn.execute("UPDATE learning_runs SET config = %s WHERE id = %s",
                          (Jsonb(config), run_id))

    def get(self, run_id: int) -> dict | None:
        return self.conn.execute("SELECT * FROM learning_runs WHERE id = %s AND tenant_id = %s",
                                 (run_id, self.tenant_id)).fetchone()

    # -- inputs and lineage -----------------------------------------------------------------

    def take_sessions(self, run_id: int, limit: int, max_refusals: int | None = None
                      ) -> list[dict]:
        """Sessions to learn from, recorded as this run's lineage: not opted out, and not consumed
        by a succeeded run (learned into a gated adapter, or found to teach nothing; sessions of
        a run whose candidate the gate refused are tried again, until `max_refusals` refused
        runs have taken them: see `give_up`). Idempotent on resume."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO run_sessions (run_id, session_id)"
                " SELECT %s, s.id FROM sessions s WHERE s.tenant_id = %s AND s.learn"
                " AND NOT EXISTS (SELECT 1 FROM run_sessions rs JOIN learning_runs r"
                "   ON r.id = rs.run_id WHERE rs.session_id = s.id AND r.status = 'succeeded'"
                "   AND coalesce((r.metrics->>'sessions_consumed')::boolean, false))"
                f" AND {_refusals('s.id')} < %s"
                " AND NOT EXISTS (SELECT 1 FROM run_sessions rs WHERE rs.run_id = %s)"
                " ORDER BY s.created_at LIMIT %s ON CONFLICT DO NOTHING",
                (run_id, self.tenant_id, max_refusals or 2**31 - 1, run_id, limit))
        return self.taken_sessions(run_id)

    def taken_sessions(self, run_id: int) -> list[dict]:
        """The sessions run `run_id` took (its lineage), oldest first."""
        return self.conn.execute(
            "SELECT s.id, s.public_id FROM run_sessions rs JOIN sessions s"
            " ON s.id = rs.session_id WHERE rs.run_id = %s ORDER BY s.created_at",
            (run_id,)).fetchall()

    def take_feedback(self, run_id: int, limit: int = 200) -> list[dict]:
        """Down-rated answers in this tenant's sessions (not opted out) that no run which
        consumed its sessions has read, recorded as this run's lineage, with their sessions
        (erasing one taints what learnt from it), oldest first. Each row: the feedback's id and
        text, its session (`consumed`: an earlier run already learnt from the rest of it), and
        the turn's seq, request messages and answer. Call after `take_sessions`; idempotent on
        resume."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO run_feedback (run_id, feedback_id)"
                " SELECT %s, f.id FROM feedback f JOIN turns t ON t.id = f.turn_id"
                " JOIN sessions s ON s.id = t.session_id"
                " WHERE s.tenant_id = %s AND s.learn AND f.rating < 0"
                " AND NOT EXISTS (SELECT 1 FROM run_feedback rf JOIN learning_runs r"
                "   ON r.id = rf.run_id WHERE rf.feedback_id = f.id AND r.status = 'succeeded'"
                "   AND coalesce((r.metrics->>'sessions_consumed')::boolean, false))"
                " AND NOT EXISTS (SELECT 1 FROM run_feedback rf WHERE rf.run_id = %s)"
                " ORDER BY f.id LIMIT %s ON CONFLICT DO NOTHING",
                (run_id, self.tenant_id, run_id, limit))
            self.conn.execute(
                "INSERT INTO run_sessions (run_id, session_id) SELECT DISTINCT %s, t.session_id"
                " FROM run_feedback rf JOIN feedback f ON f.id = rf.feedback_id"
                " JOIN turns t ON t.id = f.turn_id WHERE rf.run_id = %s ON CONFLICT DO NOTHING",
                (run_id, run_id))
            return self.conn.execute(
                "SELECT f.id, f.comment AS text, t.session_id, t.seq, t.messages, t.response,"
                " EXISTS (SELECT 1 FROM run_sessions rs JOIN learning_runs r ON r.id = rs.run_id"
                "   WHERE rs.session_id = t.session_id AND rs.run_id <> %s"
                "   AND r.status = 'succeeded'"
                "   AND coalesce((r.metrics->>'sessions_consumed')::boolean, false)) AS consumed"
                " FROM run_feedback rf JOIN feedback f ON f.id = rf.feedback_id"
                " JOIN turns t ON t.id = f.turn_id WHERE rf.run_id = %s ORDER BY f.id",
                (run_id, run_id)).fetchall()

    def give_up(self, run_id: int, nights: int, reason: str) -> list[str]:
        """After run `run_id`'s candidate was refused: its sessions that `nights` refused runs
        (this one included) have now taken are not taken again, and their active insights (this
        run's, and earlier refused runs' that would be replayed) are rejected with `reason`, for
        an operator to review (and release). The public ids of the sessions given up."""
        with self.conn.transaction():
            given_up = self.conn.execute(
                "SELECT s.id, s.public_id FROM run_sessions rs JOIN sessions s"
                " ON s.id = rs.session_id WHERE rs.run_id = %s AND s.tenant_id = %s"
                f" AND {_refusals('rs.session_id')} + 1 >= %s ORDER BY s.public_id",
                (run_id, self.tenant_id, nights)).fetchall()
            self.conn.execute(
                "UPDATE insights i SET status = 'rejected', reason = %s FROM learning_runs r"
                " WHERE r.id = i.run_id AND NOT r.dry_run AND i.status = 'active'"
                " AND i.session_id = ANY(%s)", (reason, [g["id"] for g in given_up]))
        return [g["public_id"] for g in given_up]

    def erased_during(self, run_id: int, taken: int) -> int:
        """How many of the `taken` sessions this run took have been erased since (erasure
        deletes their lineage rows)."""
        row = self.conn.execute("SELECT count(*) AS n FROM run_sessions WHERE run_id = %s",
                                (run_id,)).fetchone()
        return max(0, taken - row["n"])

    def transcript(self, session_id: Any) -> list[dict]:
        """The session's turns in order: each turn's request messages and the response."""
        return self.conn.execute(
            "SELECT seq, messages, response FROM turns WHERE session_id = %s"
            " AND status = 'completed' ORDER BY seq", (session_id,)).fetchall()

    # -- what the run derived ---------------------------------------------------------------

    def replace_insights(self, run_id: int, session_id: Any, insights: list[dict]) -> list[int]:
        """Store a session's insights for this run (replacing a crashed attempt's)."""
        with self.conn.transaction():
            self.conn.execute("DELETE FROM insights WHERE run_id = %s AND session_id = %s",
                              (run_id, session_id))
            return [self.conn.execute(
                "INSERT INTO insights (session_id, run_id, kind, text, status, reason)"
                " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                (session_id, run_id, i["kind"], i["text"], i.get("status", "active"),
                 i.get("reason"))).fetchone()["id"] for i in insights]

    def replace_practice(self, run_id: int, items: list[dict]) -> None:
        with self.conn.transaction():
            self.conn.execute("DELETE FROM practice_items WHERE run_id = %s", (run_id,))
            with self.conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO practice_items (run_id, insight_id, kind, split, prompt,"
                    " reference, checker, teacher_answers, kept, drop_reason)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [(run_id, i.get("insight_id"), i["kind"], i["split"], i["prompt"],
                      i.get("reference"), Jsonb(i.get("checker")),
                      Jsonb(i.get("teacher_answers", [])), i.get("kept", True),
                      i.get("drop_reason")) for i in items])

    def earlier_insights(self, run_id: int, limit: int = 200) -> list[dict]:
        """Active insights of earlier succeeded runs (for replay), newest first; retired ones
        (superseded by a later session) and a dry run's (never learned) are never replayed."""
        return self.conn.execute(
            "SELECT i.id, i.text, i.kind, i.session_id, i.run_id FROM insights i"
            " JOIN learning_runs r ON r.id = i.run_id"
            " WHERE r.tenant_id = %s AND r.status = 'succeeded' AND NOT r.dry_run"
            " AND r.id <> %s"
            " AND i.status = 'active' ORDER BY i.id DESC LIMIT %s",
            (self.tenant_id, run_id, limit)).fetchall()

    def earlier_heldout(self, run_id: int, limit: int = 1000) -> list[dict]:
        """Held-out practice questions (never trained on in their night) of this tenant's active
        insights from earlier succeeded, non-dry runs, newest first, each with its insight's
        text: what the gate asks to see that a candidate keeps what earlier nights taught."""
        return self.conn.execute(
            "SELECT p.prompt, p.checker, p.insight_id, i.text AS insight FROM practice_items p"
            " JOIN insights i ON i.id = p.insight_id JOIN learning_runs r ON r.id = p.run_id"
            " WHERE r.tenant_id = %s AND r.status = 'succeeded' AND NOT r.dry_run"
            " AND r.id <> %s AND i.status = 'active' AND p.split = 'heldout' AND p.kept"
            " AND p.checker IS NOT NULL ORDER BY p.id DESC LIMIT %s",
            (self.tenant_id, run_id, limit)).fetchall()

    def retire_insights(self, ids: list[int], replaced_by: int | None) -> list[int]:
        """Retire this tenant's active (or deferred) insights `ids`, superseded by insight
        `replaced_by`: they are kept (lineage, review) but never replayed or tried again. The
        ids retired now."""
        rows = self.conn.execute(
            "UPDATE insights i SET status = 'retired', replaced_by = %s FROM sessions s"
            " WHERE i.id = ANY(%s) AND s.id = i.session_id AND s.tenant_id = %s"
            " AND i.status IN ('active', 'deferred') RETURNING i.id",
            (replaced_by, ids, self.tenant_id))
        return sorted(row["id"] for row in rows.fetchall())

    def narrow_insight(self, insight_id: int, text: str) -> int | None:
        """Keep what a later session left of an insight: a new active row with `text` (same
        session, run and kind; the run is the one that derived the statements, so the row is
        replayed even if tonight's run fails), and the old one retired, replaced by it. The new
        row's id; None when the insight is not active (anymore)."""
        with self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO insights (session_id, run_id, kind, text)"
                " SELECT i.session_id, i.run_id, i.kind, %s FROM insights i JOIN sessions s"
                " ON s.id = i.session_id WHERE i.id = %s AND s.tenant_id = %s"
                " AND i.status = 'active' RETURNING id",
                (text, insight_id, self.tenant_id)).fetchone()
            if row is None:
                return None
            self.retire_insights([insight_id], row["id"])
            return row["id"]

    def defer(self, insight_id: int, deferred: str, kept: str | None, reason: str) -> int | None:
        """Hold back statements of active insight `insight_id` that could not be learned without
        damage: `deferred` (their rendered text) becomes a 'deferred' row of the same session,
        tried one night so far; what the insight keeps (`kept`, or nothing) stays active. The
        deferred row's id; None when the insight is not active (anymore)."""
        with self.conn.transaction():
            if kept:
                if self.narrow_insight(insight_id, kept) is None:
                    return None
                source = "i.status = 'retired'"
            else:
                source = "i.status = 'active'"
            row = self.conn.execute(
                "INSERT INTO insights (session_id, run_id, kind, text, status, reason, attempts)"
                " SELECT i.session_id, i.run_id, i.kind, %s, 'deferred', %s, 1 FROM insights i"
                " JOIN sessions s ON s.id = i.session_id WHERE i.id = %s AND s.tenant_id = %s"
                f" AND {source} RETURNING id",
                (deferred, reason, insight_id, self.tenant_id)).fetchone()
            if row is not None and not kept:
                self.retire_insights([insight_id], row["id"])
            return row["id"] if row else None

    def deferred_insights(self, limit: int = 50) -> list[dict]:
        """This tenant's deferred insights, oldest first, with the nights that tried them."""
        return self.conn.execute(
            "SELECT i.id, i.text, i.kind, i.session_id, i.attempts FROM insights i"
            " JOIN sessions s ON s.id = i.session_id WHERE s.tenant_id = %s"
            " AND i.status = 'deferred' ORDER BY i.id LIMIT %s",
            (self.tenant_id, limit)).fetchall()

    def settle_deferred(self, insight_id: int, run_id: int, learned: str | None,
                        left: str | None, reason: str | None, max_attempts: int) -> None:
        """After run `run_id` (promoted) tried deferred insight `insight_id` again: what it
        `learned` becomes an active row of that run (replayed from now on); what is `left` stays
        deferred, one night more tried, or is rejected after `max_attempts` nights, `reason`
        kept."""
        with self.conn.transaction():
            if learned and not left:
                self.conn.execute(
                    "UPDATE insights i SET status = 'active', run_id = %s, text = %s,"
                    " reason = NULL FROM sessions s WHERE i.id = %s AND s.id = i.session_id"
                    " AND s.tenant_id = %s AND i.status = 'deferred'",
                    (run_id, learned, insight_id, self.tenant_id))
                return
            if learned:
                self.conn.execute(
                    "INSERT INTO insights (session_id, run_id, kind, text) SELECT i.session_id,"
                    " %s, i.kind, %s FROM insights i JOIN sessions s ON s.id = i.session_id"
                    " WHERE i.id = %s AND s.tenant_id = %s AND i.status = 'deferred'",
                    (run_id, learned, insight_id, self.tenant_id))
            self.conn.execute(
                "UPDATE insights i SET text = coalesce(%s, i.text), reason = %s,"
                " attempts = i.attempts + 1, status = CASE WHEN i.attempts + 1 >= %s"
                " THEN 'rejected' ELSE 'deferred' END FROM sessions s WHERE i.id = %s"
                " AND s.id = i.session_id AND s.tenant_id = %s AND i.status = 'deferred'",
                (left, reason, max_attempts, insight_id, self.tenant_id))


def _question(prompt: str) -> str:
    """A practice item's question: its prompt's last message (JSON text; plain text as is)."""
    try:
        return str(json.loads(prompt)[-1]["content"])
    except (ValueError, LookupError, TypeError):
        return prompt


class AsyncRunStore:
    """Asynchronous: the API's handle on learning runs (create, note the task, fail, read,
    review insights), beside the worker's synchronous `RunStore`."""

    def __init__(self, pool, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.pool = pool
        self.tenant_id = tenant_id

    async def create(self, trigger: str = "manual", dry_run: bool = False) -> int:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO learning_runs (tenant_id, trigger, dry_run) VALUES (%s, %s, %s)"
                " RETURNING id", (self.tenant_id, trigger, dry_run))
            return (await cur.fetchone())["id"]

    async def set_task(self, run_id: int, task_id: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("UPDATE learning_runs SET task_id = %s WHERE id = %s",
                               (task_id, run_id))

    async def fail(self, run_id: int, error: str) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("UPDATE learning_runs SET status = 'failed', error = %s,"
                               " finished_at = now() WHERE id = %s", (error, run_id))

    async def list(self, limit: int) -> list[dict]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT r.*, (SELECT count(*) FROM run_sessions rs WHERE rs.run_id = r.id)"
                f" AS session_count, {_QUEUE_POSITION} FROM learning_runs r"
                " WHERE r.tenant_id = %s ORDER BY r.id DESC LIMIT %s", (self.tenant_id, limit))
            return await cur.fetchall()

    async def stats(self) -> dict[str, Any]:
        """Learning at a glance, for metrics: keys `by_status` ({status: count}), `durations`
        ({status: [seconds of each finished run]}), `last_run` (id, status, queued, train,
        total seconds), `last_success` (epoch seconds) and `last_gate` (the newest gated
        version's name, candidate and current scores, passed); absent ones are None."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(_STATS, {"tenant": self.tenant_id})
            return await cur.fetchone()

    async def get(self, run_id: int) -> dict | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT r.*, (SELECT count(*) FROM run_sessions rs WHERE rs.run_id = r.id)"
                f" AS session_count, {_QUEUE_POSITION},"
                " (SELECT coalesce(array_agg(s.public_id ORDER BY"
                " s.created_at, s.id), '{}') FROM run_sessions rs JOIN sessions s"
                " ON s.id = rs.session_id WHERE rs.run_id = r.id) AS session_ids,"
                " (SELECT array_agg(v.name) FROM adapter_versions v"
                " WHERE v.run_id = r.id) AS adapters FROM learning_runs r"
                " WHERE r.id = %s AND r.tenant_id = %s", (run_id, self.tenant_id))
            return await cur.fetchone()

    # -- insights held for review -------------------------------------------------------------

    async def insights(self, status: str, limit: int) -> list[dict]:
        """Insights of this tenant's sessions with `status`, newest first; `replaced_by` is the
        insight a retired one gave way to (None otherwise, or once that one was erased);
        `dry_run` says a dry run derived it (never learned or replayed)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT i.id, i.kind, i.text, i.status, i.reason, i.run_id, i.replaced_by,"
                " i.attempts, s.public_id AS session_id, coalesce(r.dry_run, false) AS dry_run,"
                " i.created_at FROM insights i JOIN sessions s ON s.id = i.session_id"
                " LEFT JOIN learning_runs r ON r.id = i.run_id WHERE s.tenant_id = %s"
                " AND i.status = %s ORDER BY i.id DESC LIMIT %s",
                (self.tenant_id, status, limit))
            return await cur.fetchall()

    async def run_insights(self, run_id: int) -> list[dict]:
        """What run `run_id` derived from each session it read, in session order: its insights
        (any status) with the practice questions it kept for each (`question`, `reference`,
        `kind`, `split`)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT i.id, i.kind, i.text, i.status, i.reason, i.replaced_by,"
                " s.public_id AS session_id, coalesce((SELECT jsonb_agg(jsonb_build_object("
                "  'prompt', p.prompt, 'reference', p.reference, 'kind', p.kind,"
                "  'split', p.split) ORDER BY p.id) FROM practice_items p"
                "  WHERE p.insight_id = i.id AND p.run_id = i.run_id AND p.kept), '[]')"
                " AS practice FROM insights i JOIN sessions s ON s.id = i.session_id"
                " WHERE i.run_id = %s AND s.tenant_id = %s ORDER BY s.created_at, s.id, i.id",
                (run_id, self.tenant_id))
            rows = await cur.fetchall()
        for row in rows:
            row["practice"] = [{"question": _question(p.pop("prompt")), **p}
                               for p in row["practice"]]
        return rows

    async def review_insight(self, insight_id: int, status: str) -> dict | None:
        """Decide on a quarantined insight: 'active' (later runs replay it) or 'rejected'."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE insights i SET status = %s FROM sessions s WHERE i.id = %s"
                " AND s.id = i.session_id AND s.tenant_id = %s AND i.status = 'quarantined'"
                " RETURNING i.id, i.kind, i.text, i.status, i.reason, i.run_id,"
                " s.public_id AS session_id, i.created_at",
                (status, insight_id, self.tenant_id))
            return await cur.fetchone()

