"""Learning runs' bookkeeping on a real PostgreSQL: single flight per tenant, orphaned runs failed
when their worker's connection is gone, lineage that respects opt-out and consumed sessions.
Each test works in its own tenant, so it cannot meet the learning-run tests' default tenant."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from store.runs import RunBusy, RunStore


@pytest.fixture
def tenant(db) -> int:
    return db.execute("INSERT INTO tenants (name) VALUES (%s) RETURNING id",
                      (f"runs-{uuid.uuid4().hex[:8]}",)).fetchone()["id"]


@pytest.fixture
def runs(database_url, tenant):
    store = RunStore.connect(database_url, tenant)
    yield store
    store.close()


def add_session(db, tenant: int, learn: bool = True) -> uuid.UUID:
    sid = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id, learn) VALUES (%s, %s, %s, %s)",
               (sid, tenant, str(sid), learn))
    return sid


def test_a_second_run_of_the_same_tenant_is_refused_while_one_runs(database_url, runs, tenant):
    first = runs.create()
    assert runs.claim(first, "task-1")["status"] == "running"
    other = RunStore.connect(database_url, tenant)
    try:
        second = other.create()
        with pytest.raises(RunBusy):
            other.claim(second, "task-2")
        assert other.get(second)["status"] == "queued"
    finally:
        other.close()


def test_a_dead_workers_run_is_failed_by_the_next_claim_and_never_rerun(database_url, tenant):
    dead = RunStore.connect(database_url, tenant)
    orphan = dead.create()
    dead.claim(orphan, "task-1")
    dead.progress(orphan, "distill", step=3, total=30)
    dead.close()  # what PostgreSQL sees when the worker is killed: the lock goes with it

    nxt = RunStore.connect(database_url, tenant)
    try:
        run = nxt.create()
        nxt.claim(run, "task-2")
        failed = nxt.get(orphan)
        assert failed["status"] == "failed" and "distill" in failed["error"]
        nxt.finish(run, "succeeded", {"sessions_consumed": True})
        nxt.release()
        with pytest.raises(RunBusy, match="not runnable"):
            nxt.claim(orphan, "task-1-redelivered")
        with pytest.raises(RunBusy, match="not runnable"):
            nxt.claim(run, "task-2-redelivered")
    finally:
        nxt.close()


def test_sessions_are_taken_once_opt_outs_never(db, runs, tenant):
    keep, opted_out = add_session(db, tenant), add_session(db, tenant, learn=False)
    first = runs.create()
    runs.claim(first, None)
    taken = runs.take_sessions(first, 100)
    assert [s["id"] for s in taken] == [keep]
    assert runs.take_sessions(first, 100) == taken  # a resumed run sees the same lineage
    runs.finish(first, "succeeded", {"sessions_consumed": True})
    runs.release()

    later = add_session(db, tenant)
    second = runs.create()
    runs.claim(second, None)
    assert [s["id"] for s in runs.take_sessions(second, 100)] == [later]
    assert opted_out not in {r["session_id"] for r in db.execute(
        "SELECT session_id FROM run_sessions")}


def test_sessions_of_a_rejected_candidate_are_tried_again(db, runs, tenant):
    sid = add_session(db, tenant)
    first = runs.create()
    runs.claim(first, None)
    runs.take_sessions(first, 100)
    runs.finish(first, "succeeded", {"sessions_consumed": False})  # the gate said no
    runs.release()
    second = runs.create()
    runs.claim(second, None)
    assert [s["id"] for s in runs.take_sessions(second, 100)] == [sid]


def test_progress_and_config_are_visible_to_readers(database_url, runs):
    run = runs.create()
    runs.claim(run, "t")
    runs.set_config(run, {"opsd": {"steps": 3}})
    runs.progress(run, "distill", step=2, total=3, loss=0.5)
    with psycopg.connect(database_url) as conn:
        stage, progress, config = conn.execute(
            "SELECT stage, progress, config FROM learning_runs WHERE id = %s", (run,)).fetchone()
    assert (stage, progress, config) == ("distill", {"step": 2, "total": 3, "loss": 0.5},
                                         {"opsd": {"steps": 3}})


def test_a_session_erased_while_its_run_trains_is_noticed_before_promotion(db, runs, tenant):
    kept, erased = add_session(db, tenant), add_session(db, tenant)
    run = runs.create()
    runs.claim(run, None)
    taken = runs.take_sessions(run, 100)
    assert runs.erased_during(run, len(taken)) == 0
    db.execute("DELETE FROM sessions WHERE id = %s", (erased,))  # what erasure does
    assert runs.erased_during(run, len(taken)) == 1
    assert kept in {s["id"] for s in taken}


def test_a_run_takes_only_its_own_tenants_sessions(db, database_url, runs, tenant):
    other = db.execute("INSERT INTO tenants (name) VALUES (%s) RETURNING id",
                       (f"runs-{uuid.uuid4().hex[:8]}",)).fetchone()["id"]
    mine, theirs = add_session(db, tenant), add_session(db, other)
    run = runs.create()
    assert [s["id"] for s in runs.take_sessions(run, 100)] == [mine]
    assert runs.tenant_of(run) == tenant
    # The schedule plans a run for each tenant with something new (and the default tenant).
    assert {1, tenant, other} <= set(runs.tenants_to_learn())
    theirs_run = runs.for_tenant(other).create()
    assert [s["id"] for s in runs.for_tenant(other).take_sessions(theirs_run, 100)] == [theirs]
    assert runs.tenant_of(theirs_run) == other
    assert runs.get(theirs_run) is None  # not this tenant's run
