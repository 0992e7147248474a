"""The adapter registry's SQL: immutable versions, and the aliases saying which one serves.

Moving `active`/`previous` happens in one transaction that also records an `adapter_events`
row and NOTIFYs `lucid_adapters`, so every API replica swaps as soon as it commits (no polling).
The files themselves are written elsewhere (atomically) before a version row points at them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from store.sessions import DEFAULT_TENANT_ID

CHANNEL = "lucid_adapters"

_VERSION_COLUMNS = (
    "v.id, v.version, v.name, v.parent_id, p.name AS parent, v.run_id, v.base_model, v.path,"
    " v.sha256, v.config, v.metrics, v.status, v.created_at, v.promoted_at"
)


class RegistryError(Exception):
    """A registry operation that cannot be done in the current state (an HTTP 409)."""


class VersionNotFound(Exception):
    """No such adapter version for this tenant (an HTTP 404)."""


@dataclass(frozen=True)
class AdapterState:
    active: dict[str, Any] | None  # None: the base model serves
    previous: dict[str, Any] | None  # what a rollback returns to (None: the base model)
    pinned: bool
    tenant: str  # the tenant's name (label of its metrics)


class AdapterStore:
    def __init__(self, pool: AsyncConnectionPool, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        self.pool = pool
        self.tenant_id = tenant_id

    def for_tenant(self, tenant_id: int) -> AdapterStore:
        return AdapterStore(self.pool, tenant_id)

    async def tenant_ids(self) -> list[int]:
        """Every tenant's id (the replicas' adapter sync covers them all)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT id FROM tenants ORDER BY id")
            return [row["id"] for row in await cur.fetchall()]

    # -- reading ------------------------------------------------------------------------------

    async def _version(self, conn: AsyncConnection, where: str, arg: Any) -> dict | None:
        cur = await conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM adapter_versions v"  # noqa: S608 - fixed text
            f" LEFT JOIN adapter_versions p ON p.id = v.parent_id"
            f" WHERE v.tenant_id = %s AND {where}",
            (self.tenant_id, arg),
        )
        return await cur.fetchone()

    async def find(self, ref: str) -> dict:
        """A version by its name (`default-v3-1a2b3c4d`), `v3`, or `3`."""
        async with self.pool.connection() as conn:
            number = ref.removeprefix("v")
            row = await self._version(conn, "v.name = %s", ref)
            if row is None and number.isdigit():
                row = await self._version(conn, "v.version = %s", int(number))
        if row is None:
            raise VersionNotFound(f"No adapter version {ref!r}.")
        return row

    async def training_base(self) -> dict | None:
        """The version a new run trains on top of: the active one, or, when it is tainted (it
        learned from erased sessions), its nearest untainted ancestor; None: the base model."""
        async with self.pool.connection() as conn:
            row = (await self._state(conn)).active
            while row is not None and row["status"] == "tainted":
                row = await self._version(conn, "v.id = %s", row["parent_id"]) \
                    if row["parent_id"] else None
            return row

    async def stacked(self, version_id: int | None) -> int:
        """How many nights a version stacks: 1 for one trained from the base model, one more
        for each ancestor; 0 for none."""
        if version_id is None:
            return 0
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "WITH RECURSIVE up(id, parent_id) AS ("
                "  SELECT id, parent_id FROM adapter_versions WHERE tenant_id = %s AND id = %s"
                "  UNION ALL SELECT v.id, v.parent_id FROM adapter_versions v"
                "  JOIN up ON v.id = up.parent_id)"
                " SELECT count(*) AS n FROM up", (self.tenant_id, version_id))
            return (await cur.fetchone())["n"]

    async def list_versions(self) -> list[dict]:
        """Every version, newest first, with lineage (parent, run, how many sessions fed it)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT {_VERSION_COLUMNS}, (SELECT count(*) FROM run_sessions rs"
                "  WHERE rs.run_id = v.run_id) AS session_count"
                " FROM adapter_versions v LEFT JOIN adapter_versions p ON p.id = v.parent_id"
                " WHERE v.tenant_id = %s ORDER BY v.version DESC",
                (self.tenant_id,),
            )
            return await cur.fetchall()

    async def state(self) -> AdapterState:
        async with self.pool.connection() as conn:
            return await self._state(conn)

    async def _state(self, conn: AsyncConnection) -> AdapterState:
        cur = await conn.execute(
            "SELECT alias, adapter_version_id FROM adapter_aliases WHERE tenant_id = %s",
            (self.tenant_id,),
        )
        ids = {row["alias"]: row["adapter_version_id"] for row in await cur.fetchall()}
        cur = await conn.execute("SELECT name, pinned FROM tenants WHERE id = %s",
                                 (self.tenant_id,))
        tenant = await cur.fetchone()
        rows = {}
        for alias in ("active", "previous"):
            vid = ids.get(alias)
            rows[alias] = await self._version(conn, "v.id = %s", vid) if vid else None
        return AdapterState(rows["active"], rows["previous"], bool(tenant and tenant["pinned"]),
                            tenant["name"] if tenant else str(self.tenant_id))

    # -- writing --------------------------------------------------------------------------------

    async def create_version(
        self, *, run_id: int | None, parent_id: int | None, base_model: str, path: str,
        sha256: str, config: dict, metrics: dict, status: str = "candidate",
    ) -> dict:
        """A new immutable version row; its engine name is fresh (number and content digest)."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT name FROM tenants WHERE id = %s FOR UPDATE",
                                     (self.tenant_id,))
            tenant = (await cur.fetchone())["name"]
            cur = await conn.execute(
                "SELECT coalesce(max(version), 0) + 1 AS n FROM adapter_versions"
                " WHERE tenant_id = %s", (self.tenant_id,))
            number = (await cur.fetchone())["n"]
            cur = await conn.execute(
                "INSERT INTO adapter_versions (tenant_id, version, name, parent_id, run_id,"
                " base_model, path, sha256, config, metrics, status)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (self.tenant_id, number, f"{tenant}-v{number}-{sha256[:8]}", parent_id, run_id,
                 base_model, path, sha256, Jsonb(config), Jsonb(metrics), status),
            )
            vid = (await cur.fetchone())["id"]
            await conn.execute(
                "INSERT INTO adapter_aliases (tenant_id, alias, adapter_version_id)"
                " VALUES (%s, 'candidate', %s) ON CONFLICT (tenant_id, alias) DO UPDATE"
                " SET adapter_version_id = EXCLUDED.adapter_version_id, updated_at = now()",
                (self.tenant_id, vid))
            return await self._version(conn, "v.id = %s", vid)

    async def set_outcome(self, version_id: int, metrics: dict, status: str) -> None:
        """Record the gate's metrics and verdict ('candidate' kept, or 'rejected')."""
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE adapter_versions SET metrics = metrics || %s, status = CASE"
                " WHEN status = 'tainted' THEN status ELSE %s END"
                " WHERE id = %s AND tenant_id = %s",
                (Jsonb(metrics), status, version_id, self.tenant_id))

    async def promote(
        self, ref: str, actor: str = "admin", reason: str | None = None
    ) -> AdapterState:
        """Make version `ref` active; the one it replaces becomes `previous`."""
        target = await self.find(ref)
        if target["status"] == "tainted":
            raise RegistryError(f"{target['name']} is tainted and cannot be promoted.")
        async with self.pool.connection() as conn, conn.transaction():
            state = await self._lock(conn)
            current = state.active["id"] if state.active else None
            if current == target["id"]:
                raise RegistryError(f"{target['name']} is already active.")
            await self._move(conn, "promote", current, target["id"], previous=current,
                             actor=actor, reason=reason)
            return await self._state(conn)

    async def rollback(self, actor: str = "admin", reason: str | None = None) -> AdapterState:
        """Back to the version that was active before the current one (or the base model)."""
        async with self.pool.connection() as conn, conn.transaction():
            state = await self._lock(conn)
            if state.active is None:
                raise RegistryError("The base model is active: there is nothing to roll back.")
            current = state.active["id"]
            target = await self._untainted_before(conn, current)
            previous = await self._untainted_before(conn, target) if target else None
            await self._move(conn, "rollback", current, target, previous=previous, actor=actor,
                             reason=reason)
            return await self._state(conn)

    async def restore_untainted(self, actor: str = "admin",
                                reason: str | None = None) -> AdapterState:
        """If the active version is tainted, back to the newest untainted version that was active
        before it (or the base model); otherwise nothing changes."""
        async with self.pool.connection() as conn, conn.transaction():
            state = await self._lock(conn)
            if state.active is None or state.active["status"] != "tainted":
                return state
            current = state.active["id"]
            target = await self._untainted_before(conn, current)
            previous = await self._untainted_before(conn, target) if target else None
            await self._move(conn, "rollback", current, target, previous=previous, actor=actor,
                             reason=reason)
            return await self._state(conn)

    async def set_pinned(self, pinned: bool, actor: str = "admin") -> AdapterState:
        """Pinned: learning runs still train and gate candidates but never promote them."""
        async with self.pool.connection() as conn, conn.transaction():
            await self._lock(conn)
            await conn.execute("UPDATE tenants SET pinned = %s WHERE id = %s",
                               (pinned, self.tenant_id))
            await conn.execute(
                "INSERT INTO adapter_events (tenant_id, action, actor) VALUES (%s, %s, %s)",
                (self.tenant_id, "pin" if pinned else "unpin", actor))
            return await self._state(conn)

    async def events(self, limit: int = 50) -> list[dict]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT e.id, e.action, f.name AS from_version, t.name AS to_version, e.actor,"
                " e.reason, e.created_at FROM adapter_events e"
                " LEFT JOIN adapter_versions f ON f.id = e.from_version"
                " LEFT JOIN adapter_versions t ON t.id = e.to_version"
                " WHERE e.tenant_id = %s ORDER BY e.id DESC LIMIT %s", (self.tenant_id, limit))
            return await cur.fetchall()

    async def _lock(self, conn: AsyncConnection) -> AdapterState:
        # One registry change per tenant at a time: promotions and rollbacks serialise here.
        await conn.execute("SELECT 1 FROM tenants WHERE id = %s FOR UPDATE", (self.tenant_id,))
        return await self._state(conn)

    async def _promoted_from(self, conn: AsyncConnection, version_id: int) -> int | None:
        """The version that was active when `version_id` was last promoted (None: base)."""
        cur = await conn.execute(
            "SELECT from_version FROM adapter_events WHERE tenant_id = %s AND action = 'promote'"
            " AND to_version = %s ORDER BY id DESC LIMIT 1", (self.tenant_id, version_id))
        row = await cur.fetchone()
        return row["from_version"] if row else None

    async def _untainted_before(self, conn: AsyncConnection, version_id: int) -> int | None:
        """The newest version active before `version_id` that is not tainted (None: base)."""
        seen = {version_id}
        target = await self._promoted_from(conn, version_id)
        while target is not None and target not in seen:
            cur = await conn.execute("SELECT status FROM adapter_versions WHERE id = %s",
                                     (target,))
            if (await cur.fetchone())["status"] != "tainted":
                return target
            seen.add(target)
            target = await self._promoted_from(conn, target)
        return None

    async def _move(
        self, conn: AsyncConnection, action: str, current: int | None, target: int | None, *,
        previous: int | None, actor: str, reason: str | None,
    ) -> None:
        if current is not None:
            await conn.execute("UPDATE adapter_versions SET status = 'retired' WHERE id = %s"
                               " AND status <> 'tainted'", (current,))
        if target is not None:
            await conn.execute(
                "UPDATE adapter_versions SET status = 'active', promoted_at = now()"
                " WHERE id = %s", (target,))
        for alias, vid in (("active", target), ("previous", previous)):
            await conn.execute(
                "INSERT INTO adapter_aliases (tenant_id, alias, adapter_version_id)"
                " VALUES (%s, %s, %s) ON CONFLICT (tenant_id, alias) DO UPDATE"
                " SET adapter_version_id = EXCLUDED.adapter_version_id, updated_at = now()",
                (self.tenant_id, alias, vid))
        await conn.execute(
            "INSERT INTO adapter_events (tenant_id, action, from_version, to_version, actor,"
            " reason) VALUES (%s, %s, %s, %s, %s, %s)",
            (self.tenant_id, action, current, target, actor, reason))
        await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(self.tenant_id)))
