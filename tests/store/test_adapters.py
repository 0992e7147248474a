"""The adapter registry's SQL on a real PostgreSQL, below the admin API: versions are numbered per
tenant with fresh engine names, found by name or number in their tenant only, and `active` /
`previous` move by promote and rollback in one transaction that records an event and tells the
replicas; a tainted version is never promoted and a rollback skips it. Each test works in a tenant
of its own and removes its versions. The same through the API is
tests/serve/adapters/test_registry.py; tainting by erasure is tests/serve/test_erasure.py."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest

from store.adapters import CHANNEL, AdapterStore, RegistryError, VersionNotFound
from store.db import open_pool


def new_tenant(db) -> tuple[int, str]:
    name = f"adapters-{uuid.uuid4().hex[:8]}"
    tid = db.execute("INSERT INTO tenants (name) VALUES (%s) RETURNING id", (name,)
                     ).fetchone()["id"]
    return tid, name


def forget(db, tid: int) -> None:
    db.execute("DELETE FROM adapter_events WHERE tenant_id = %s", (tid,))
    db.execute("DELETE FROM adapter_aliases WHERE tenant_id = %s", (tid,))
    db.execute("DELETE FROM adapter_versions WHERE tenant_id = %s", (tid,))


@pytest.fixture
def tenants(db):
    made: list[int] = []

    def make() -> tuple[int, str]:
        tid, name = new_tenant(db)
        made.append(tid)
        return tid, name

    yield make
    for tid in made:
        forget(db, tid)


@pytest.fixture
def registry(database_url):
    """`registry(tenant_id, go)` runs `go(AdapterStore)` on a fresh pool, returning its result."""
    def run(tid: int, go):
        async def main():
            pool = await open_pool(database_url, 2)
            try:
                return await go(AdapterStore(pool, tid))
            finally:
                await pool.close()
        return asyncio.run(main())
    return run


async def add(store: AdapterStore, n: int, parent_id: int | None = None) -> dict:
    sha = f"{n:08x}" + uuid.uuid4().hex + uuid.uuid4().hex[:24]
    return await store.create_version(run_id=None, parent_id=parent_id, base_model="base-model",
                                      path=f"/adapters/{sha[:24]}", sha256=sha,
                                      config={"lora_r": 8}, metrics={"n": n})


def names(state) -> tuple[str | None, str | None]:
    return (state.active["name"] if state.active else None,
            state.previous["name"] if state.previous else None)


def test_versions_are_numbered_per_tenant_with_fresh_names(registry, tenants):
    (a, a_name), (b, b_name) = tenants(), tenants()

    async def in_a(store):
        one = await add(store, 1)
        two = await add(store, 2, parent_id=one["id"])
        return one, two, await store.list_versions()

    one, two, listed = registry(a, in_a)
    first_of_b = registry(b, lambda store: add(store, 1))
    assert (one["version"], two["version"], first_of_b["version"]) == (1, 2, 1)
    assert one["name"] == f"{a_name}-v1-{one['sha256'][:8]}"
    assert first_of_b["name"] == f"{b_name}-v1-{first_of_b['sha256'][:8]}"
    assert (two["parent"], two["status"], two["metrics"]) == (one["name"], "candidate", {"n": 2})
    assert [v["version"] for v in listed] == [2, 1] and listed[0]["session_count"] == 0


def test_a_version_is_found_by_name_or_number_in_its_tenant_only(registry, tenants):
    (a, _), (b, _) = tenants(), tenants()

    async def in_a(store):
        await add(store, 1)
        v2 = await add(store, 2)
        return v2, [await store.find(ref) for ref in (v2["name"], "v2", "2")]

    v2, found = registry(a, in_a)
    assert [row["id"] for row in found] == [v2["id"]] * 3

    async def in_b(store):
        for ref in (v2["name"], "v2", "2", "v", "latest"):
            with pytest.raises(VersionNotFound, match="No adapter version"):
                await store.find(ref)

    registry(b, in_b)


def test_promote_and_rollback_move_active_and_previous_and_record_events(registry, tenants):
    tid, _ = tenants()

    async def go(store):
        v1, v2, v3 = await add(store, 1), await add(store, 2), await add(store, 3)
        steps = [await store.promote(v1["name"], actor="ops", reason="first"),
                 await store.promote("v2"), await store.promote("3"),
                 await store.rollback(actor="ops", reason="worse"), await store.rollback(),
                 await store.rollback()]
        statuses = {v["version"]: v["status"] for v in await store.list_versions()}
        return (v1, v2, v3), steps, statuses, await store.events()

    (v1, v2, v3), steps, statuses, events = registry(tid, go)
    assert [names(s) for s in steps] == [
        (v1["name"], None), (v2["name"], v1["name"]), (v3["name"], v2["name"]),
        (v2["name"], v1["name"]), (v1["name"], None), (None, None)]
    assert statuses == {1: "retired", 2: "retired", 3: "retired"}
    assert [(e["action"], e["from_version"], e["to_version"]) for e in reversed(events)] == [
        ("promote", None, v1["name"]), ("promote", v1["name"], v2["name"]),
        ("promote", v2["name"], v3["name"]), ("rollback", v3["name"], v2["name"]),
        ("rollback", v2["name"], v1["name"]), ("rollback", v1["name"], None)]
    assert (events[-1]["actor"], events[-1]["reason"]) == ("ops", "first")


def test_registry_moves_that_make_no_sense_are_refused(registry, tenants):
    tid, _ = tenants()

    async def go(store):
        with pytest.raises(RegistryError, match="nothing to roll back"):
            await store.rollback()
        v1 = await add(store, 1)
        await store.promote(v1["name"])
        with pytest.raises(RegistryError, match="already active"):
            await store.promote(v1["name"])
        with pytest.raises(VersionNotFound):
            await store.promote("v99")
        tainted = await add(store, 2)
        async with store.pool.connection() as conn:
            await conn.execute("UPDATE adapter_versions SET status = 'tainted' WHERE id = %s",
                               (tainted["id"],))
        with pytest.raises(RegistryError, match="tainted and cannot be promoted"):
            await store.promote(tainted["name"])
        return v1, await store.state(), await store.events()

    v1, state, events = registry(tid, go)
    assert names(state) == (v1["name"], None)
    assert [e["action"] for e in events] == ["promote"], "a refusal records nothing"


def test_a_rollback_skips_tainted_versions_and_training_starts_below_them(registry, tenants):
    tid, _ = tenants()

    async def go(store):
        v1, v2, v3 = await add(store, 1), await add(store, 2), await add(store, 3)
        for v in (v1, v2):
            await store.promote(v["name"])
        async with store.pool.connection() as conn:
            await conn.execute("UPDATE adapter_versions SET parent_id = %s WHERE id = %s",
                               (v1["id"], v2["id"]))
        await store.promote(v3["name"])
        async with store.pool.connection() as conn:
            await conn.execute("UPDATE adapter_versions SET parent_id = %s WHERE id = %s",
                               (v2["id"], v3["id"]))
            await conn.execute("UPDATE adapter_versions SET status = 'tainted' WHERE id = ANY(%s)",
                               ([v2["id"], v3["id"]],))
        base = await store.training_base()
        # The gate's verdict never un-taints a version.
        await store.set_outcome(v3["id"], {"gate": 1}, "candidate")
        tainted = (await store.find(v3["name"]))["status"]
        back = await store.rollback()
        return (v1, v2, v3), base, tainted, back

    (v1, v2, v3), base, tainted, back = registry(tid, go)
    assert base["name"] == v1["name"], "a new run trains on the nearest untainted ancestor"
    assert tainted == "tainted"
    assert names(back) == (v1["name"], None), "the tainted v2 is skipped"


def test_restore_untainted_only_acts_when_the_active_version_is_tainted(registry, tenants):
    tid, _ = tenants()

    async def go(store):
        v1, v2 = await add(store, 1), await add(store, 2)
        await store.promote(v1["name"])
        await store.promote(v2["name"])
        unchanged = await store.restore_untainted()
        async with store.pool.connection() as conn:
            await conn.execute("UPDATE adapter_versions SET status = 'tainted' WHERE id = %s",
                               (v2["id"],))
        restored = await store.restore_untainted(actor="erasure")
        return v1, v2, unchanged, restored, await store.events(limit=1)

    v1, v2, unchanged, restored, [event] = registry(tid, go)
    assert names(unchanged) == (v2["name"], v1["name"])
    assert names(restored) == (v1["name"], None)
    assert (event["action"], event["actor"], event["from_version"]) == (
        "rollback", "erasure", v2["name"])


def test_pinning_is_per_tenant_and_every_move_notifies_the_replicas(registry, tenants,
                                                                    database_url):
    (a, a_name), (b, _) = tenants(), tenants()
    listener = psycopg.connect(database_url, autocommit=True)
    listener.execute(f"LISTEN {CHANNEL}")
    try:
        async def in_a(store):
            pinned = await store.set_pinned(True, actor="ops")
            v1 = await add(store, 1)
            await store.promote(v1["name"])
            return pinned, await store.events(limit=2)

        pinned, events = registry(a, in_a)
        other = registry(b, lambda store: store.state())
        notes = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    finally:
        listener.close()
    assert pinned.pinned is True and pinned.tenant == a_name
    assert [(e["action"], e["actor"]) for e in events] == [("promote", "admin"), ("pin", "ops")]
    assert other.pinned is False and other.active is None
    assert notes == [str(a)], "the promotion is announced with its tenant's id"


def test_a_version_counts_the_nights_stacked_in_it_back_to_the_base_model(registry, tenants):
    """A consolidation (a version with no parent) starts the count again; another tenant's
    version is none of this tenant's."""
    tid, _ = tenants()
    other, _ = tenants()

    async def go(store):
        v1 = await add(store, 1)
        v2 = await add(store, 2, v1["id"])
        v3 = await add(store, 3, v2["id"])
        fresh = await add(store, 4)
        return [await store.stacked(v["id"]) for v in (v1, v2, v3, fresh)] + [
            await store.stacked(None)], v3["id"]

    counts, v3 = registry(tid, go)
    assert counts == [1, 2, 3, 1, 0]
    assert registry(other, lambda store: store.stacked(v3)) == 0
