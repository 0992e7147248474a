"""The session log on a real PostgreSQL: each turn lands in its session in order and reads back as
it was served, a session is its tenant's only, one opted-out turn keeps the session out of
learning, a turn replayed from the spool is not stored twice, sessions page newest first, and a
continuation finds the session holding the longest prefix of its conversation. Each test works in
tenants of its own. The same through the API (and its real-engine siblings) is in
tests/serve/chat/test_service.py and tests/serve/test_tenants.py."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from store.db import open_pool
from store.sessions import SessionStore, TurnRecord
from tests.tenants import new_tenant


@pytest.fixture
def other(db) -> int:
    return new_tenant(db)


@pytest.fixture
def sessions(database_url):
    """`sessions(go)` runs `go(pool)` on a fresh pool and returns its result."""
    def run(go):
        async def main():
            pool = await open_pool(database_url, 2)
            try:
                return await go(pool)
            finally:
                await pool.close()
        return asyncio.run(main())
    return run


def turn(tenant: int, session: str, text: str = "hi", **changes) -> TurnRecord:
    fields = dict(
        session_public_id=session, request_id=f"req-{uuid.uuid4().hex}", model_requested="lucid",
        model_served="base-model", adapter_version_id=None,
        messages=[{"role": "user", "content": text}], params={"temperature": 0.2},
        response=f"echo: {text}", finish_reason="stop", status="completed", prompt_tokens=7,
        completion_tokens=2, latency_ms=12.5, ttft_ms=3.0, user_id="ann",
        metadata={"app": "notes"}, thread_digest=uuid.uuid4().bytes,
        started_at=datetime.now(UTC), tenant_id=tenant)
    fields.update(changes)
    return TurnRecord(**fields)


def test_turns_land_in_their_session_in_order_and_read_back_as_served(sessions, tenant):
    first = turn(tenant, "s-order", "one")
    second = turn(tenant, "s-order", "two", status="aborted", finish_reason=None,
                  completion_tokens=None, ttft_ms=None)

    async def go(pool):
        store = SessionStore(pool, tenant)
        return (await store.record_turn(first), await store.record_turn(second),
                await store.get_session("s-order"))

    (_, seq1), (_, seq2), (session, turns) = sessions(go)
    assert (seq1, seq2) == (1, 2)
    assert session["id"] == "s-order" and session["user"] == "ann"
    assert session["turn_count"] == 2 and session["learn"] is True
    assert session["metadata"] == {"app": "notes"}
    assert [t["seq"] for t in turns] == [1, 2]
    one, two = turns
    assert one["messages"] == [{"role": "user", "content": "one"}]
    assert (one["response"], one["status"], one["finish_reason"]) == ("echo: one", "completed",
                                                                      "stop")
    assert (one["prompt_tokens"], one["completion_tokens"], one["latency_ms"],
            one["ttft_ms"]) == (7, 2, 12.5, 3.0)
    assert (one["request_id"], one["params"]) == (first.request_id, {"temperature": 0.2})
    assert one["started_at"] == first.started_at
    assert (two["status"], two["finish_reason"], two["completion_tokens"]) == (
        "aborted", None, None)


def test_a_session_is_its_tenants_only(sessions, tenant, other):
    async def go(pool):
        mine, theirs = SessionStore(pool, tenant), SessionStore(pool, other)
        await mine.record_turn(turn(tenant, "s-shared-name", "secret"))
        before = (await theirs.get_session("s-shared-name"),
                  await theirs.session_exists("s-shared-name"),
                  await theirs.list_sessions(10, None))
        await theirs.record_turn(turn(other, "s-shared-name", "their own"))  # same public id
        return before, await mine.get_session("s-shared-name"), \
            await theirs.get_session("s-shared-name")

    (missing, exists, listed), (_, mine), (_, theirs) = sessions(go)
    assert missing is None and exists is False and listed == ([], False)
    assert [t["response"] for t in mine] == ["echo: secret"]
    assert [t["response"] for t in theirs] == ["echo: their own"]


def test_one_opted_out_turn_keeps_the_session_out_of_learning(sessions, tenant):
    async def go(pool):
        store = SessionStore(pool, tenant)
        await store.record_turn(turn(tenant, "s-learn"))
        learning = (await store.get_session("s-learn"))[0]["learn"]
        await store.record_turn(turn(tenant, "s-learn", learn=False))
        await store.record_turn(turn(tenant, "s-learn", learn=True))
        return learning, (await store.get_session("s-learn"))[0]

    learning, session = sessions(go)
    assert learning is True
    assert session["learn"] is False and session["turn_count"] == 3


def test_a_turn_replayed_from_the_spool_is_stored_once(sessions, tenant):
    spooled = turn(tenant, "s-replay")

    async def go(pool):
        store = SessionStore(pool, tenant)
        first = await store.record_turn(spooled)
        again = await store.record_turn(spooled, replayed=True)  # the write was not lost
        new = await store.record_turn(turn(tenant, "s-replay"), replayed=True)  # it was
        return first, again, new, await store.get_session("s-replay")

    first, again, new, (session, turns) = sessions(go)
    assert again == first
    assert new[1] == 2 and session["turn_count"] == 2 and len(turns) == 2


def test_sessions_page_newest_first(sessions, tenant):
    async def go(pool):
        store = SessionStore(pool, tenant)
        for name in ("s-1", "s-2", "s-3"):
            await store.record_turn(turn(tenant, name))
        page = await store.list_sessions(2, None)
        rest = await store.list_sessions(2, page[0][-1]["id"])
        return page, rest

    (page, more), (rest, more_after) = sessions(go)
    assert [s["id"] for s in page] == ["s-3", "s-2"] and more is True
    assert [s["id"] for s in rest] == ["s-1"] and more_after is False


def test_a_continuation_finds_the_session_with_its_longest_prefix(sessions, tenant, other):
    short, longer, unknown = b"d-short" + uuid.uuid4().bytes, b"d-long" + uuid.uuid4().bytes, \
        b"d-none" + uuid.uuid4().bytes

    async def go(pool):
        store = SessionStore(pool, tenant)
        await store.record_turn(turn(tenant, "s-long", thread_digest=longer))
        await store.record_turn(turn(tenant, "s-short", thread_digest=short))  # newer
        found = await store.session_by_digests([short, longer, unknown])  # shortest first
        none = await store.session_by_digests([unknown])
        elsewhere = await SessionStore(pool, other).session_by_digests([short, longer])
        return found, none, elsewhere

    found, none, elsewhere = sessions(go)
    assert found == ("s-long", longer), "the longest prefix wins over the newest"
    assert none is None
    assert elsewhere is None, "another tenant's conversation is never joined"


def test_nul_anywhere_in_a_turn_is_stored_as_a_replacement_character(sessions, tenant):
    odd = turn(tenant, "s-nul", "a\x00b", user_id="ann\x00", response="x\x00y",
               metadata={"k\x00": ["v\x00"]}, params={"stop": ["\x00"]})

    async def go(pool):
        store = SessionStore(pool, tenant)
        await store.record_turn(odd)
        return await store.get_session("s-nul")

    session, [stored] = sessions(go)
    assert stored["messages"] == [{"role": "user", "content": "a\ufffdb"}]
    assert (stored["user"], stored["response"]) == ("ann\ufffd", "x\ufffdy")
    assert stored["metadata"] == {"k\ufffd": ["v\ufffd"]}
    assert stored["params"] == {"stop": ["\ufffd"]}
    assert session["user"] == "ann\ufffd"
