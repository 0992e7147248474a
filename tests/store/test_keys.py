"""API keys and tenants on a real PostgreSQL, below the API: only the key's SHA-256 is stored,
`verify` gives the principal with its scopes and the tenant's settings folded in, revocation is
scoped to the tenant (the operator may revoke any) and announced to the replicas, and a
deployment's bootstrap key is registered once. Each test works in tenants of its own. The key
routes (401/403, listing, revoking through the app) are tests/serve/trust/test_auth.py."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import psycopg
import pytest

from store.db import open_pool
from store.keys import KEYS_CHANNEL, KeyRequestError, KeyStore, Principal, new_key


@pytest.fixture
def keys(database_url):
    """`keys(go)` runs `go(KeyStore)` on a fresh pool and returns its result."""
    def run(go):
        async def main():
            pool = await open_pool(database_url, 2)
            try:
                return await go(KeyStore(pool))
            finally:
                await pool.close()
        return asyncio.run(main())
    return run


def name() -> str:
    return f"keys-{uuid.uuid4().hex[:8]}"


def test_a_new_key_is_returned_once_and_only_its_sha256_is_stored(keys, db):
    tenant = name()

    async def go(store):
        tid = await store.tenant_id(tenant, create=True)
        return await store.create(tid, ["chat"], name="ci"), await store.list(tid)

    created, listed = keys(go)
    key = created["key"]
    stored = db.execute("SELECT * FROM api_keys WHERE key_id = %s", (created["key_id"],)
                        ).fetchone()
    assert bytes(stored["digest"]) == hashlib.sha256(key.encode()).digest()
    secret = key.split("-", 2)[2]  # lucid-<key id>-<secret>; the secret may hold "-" itself
    assert key not in str(stored) and secret not in str(stored)
    assert (created["tenant"], created["scopes"], created["name"]) == (tenant, ["chat"], "ci")
    assert [k["key_id"] for k in listed] == [created["key_id"]] and "key" not in listed[0]


def test_verify_gives_the_principal_and_nothing_for_a_wrong_secret(keys):
    tenant = name()

    async def go(store):
        tid = await store.tenant_id(tenant, create=True)
        key = (await store.create(tid, ["admin", "chat", "chat"], rpm=5, tpm=100))["key"]
        key_id = key.split("-")[1]
        forged = f"lucid-{key_id}-{'A' * 43}"
        return tid, key_id, [await store.verify(k) for k in (key, forged, "lucid-x", "")]

    tid, key_id, (principal, forged, malformed, empty) = keys(go)
    assert principal == Principal(key_id=key_id, tenant_id=tid, tenant=tenant,
                                  scopes=("admin", "chat"), learn=True, redact_at_rest=False,
                                  rpm=5, tpm=100)
    assert forged is None and malformed is None and empty is None


def test_the_tenants_settings_fold_into_the_principal(keys):
    async def go(store):
        tid = await store.tenant_id(name(), create=True)
        learner = (await store.create(tid, ["chat"]))["key"]
        quiet = (await store.create(tid, ["chat"], learn=False))["key"]
        before = (await store.verify(learner)).learn, (await store.verify(quiet)).learn
        settings = await store.update_tenant(tid, {"learn": False, "redact_at_rest": True})
        after = await store.verify(learner)
        return before, settings, after

    before, settings, after = keys(go)
    assert before == (True, False)
    assert settings["settings"] == {"learn": False, "redact_at_rest": True}
    assert after.learn is False and after.redact_at_rest is True


@pytest.mark.parametrize("scopes", [[], ["root"], ["chat", "sudo"]])
def test_scopes_outside_chat_and_admin_are_refused(keys, scopes):
    async def go(store):
        tid = await store.tenant_id(name(), create=True)
        with pytest.raises(KeyRequestError, match="scopes must be"):
            await store.create(tid, scopes)
        return await store.list(tid, revoked=True)

    assert keys(go) == []


def test_revoking_is_scoped_to_the_tenant_and_announced_to_replicas(keys, database_url):
    listener = psycopg.connect(database_url, autocommit=True)
    listener.execute(f"LISTEN {KEYS_CHANNEL}")

    async def go(store):
        owner = await store.tenant_id(name(), create=True)
        stranger = await store.tenant_id(name(), create=True)
        key = (await store.create(owner, ["chat"]))["key"]
        key_id = key.split("-")[1]
        by_stranger = await store.revoke(stranger, key_id)
        still = await store.verify(key)
        revoked = await store.revoke(owner, key_id)
        return (key_id, by_stranger, still, revoked, await store.verify(key),
                await store.revoke(owner, key_id), await store.list(owner),
                await store.list(owner, revoked=True))

    try:
        key_id, by_stranger, still, revoked, after, twice, live, every = keys(go)
        notes = [n.payload for n in listener.notifies(timeout=2, stop_after=1)]
    finally:
        listener.close()
    assert by_stranger is None and still is not None, "another tenant cannot revoke it"
    assert revoked["key_id"] == key_id and revoked["revoked_at"] is not None
    assert after is None and twice is None
    assert live == [] and [k["key_id"] for k in every] == [key_id]
    assert notes == [key_id]


def test_the_operator_revokes_any_tenants_key(keys):
    async def go(store):
        tid = await store.tenant_id(name(), create=True)
        key = (await store.create(tid, ["chat"]))["key"]
        revoked = await store.revoke(None, key.split("-")[1])
        return revoked, await store.verify(key)

    revoked, after = keys(go)
    assert revoked is not None and after is None


def test_a_bootstrap_key_is_registered_once_and_a_clash_is_refused(keys):
    key_id, key = new_key()

    async def go(store):
        tid = await store.tenant_id(name(), create=True)
        added = await store.ensure(key, tid, ["chat", "admin"], "bootstrap")
        again = await store.ensure(key, tid, ["chat", "admin"], "bootstrap")
        with pytest.raises(KeyRequestError, match=f"Another key with id {key_id}"):
            await store.ensure(f"lucid-{key_id}-{'B' * 43}", tid, ["chat"], "clash")
        with pytest.raises(KeyRequestError, match="already registered"):
            await store.create(tid, ["chat"], key=key)
        with pytest.raises(KeyRequestError, match="A key must read"):
            await store.create(tid, ["chat"], key="lucid-short-secret")
        return added, again, await store.verify(key), await store.list(tid)

    added, again, principal, listed = keys(go)
    assert (added, again) == (True, False)
    assert principal.key_id == key_id and principal.scopes == ("admin", "chat")
    assert len(listed) == 1


def test_tenants_are_found_created_and_named_sensibly(keys):
    tenant = name()

    async def go(store):
        missing = await store.tenant_id(tenant)
        made = await store.tenant_id(tenant, create=True)
        found = await store.tenant_id(tenant)
        same = await store.tenant_id(tenant, create=True)
        for bad in ("Upper", "-dash-first", "has space", "x" * 64, ""):
            with pytest.raises(KeyRequestError, match="Tenant names"):
                await store.tenant_id(bad, create=True)
        with pytest.raises(KeyRequestError, match="Tenant settings"):
            await store.update_tenant(made, {"learn": "no"})
        with pytest.raises(KeyRequestError, match="Tenant settings"):
            await store.update_tenant(made, {"colour": True})
        return missing, made, found, same, await store.tenant(made)

    missing, made, found, same, row = keys(go)
    assert missing is None and made == found == same
    assert row["name"] == tenant and row["settings"] == {"learn": True, "redact_at_rest": False}
