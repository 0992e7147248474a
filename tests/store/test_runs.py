"""Learning runs' bookkeeping on a real PostgreSQL: single flight per tenant, orphaned runs failed
when their worker's connection is gone, lineage that respects opt-out and consumed sessions.
Each test works in its own tenant, so it cannot meet the learning-run tests' default tenant."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from store.runs import RunBusy, RunStore
from tests.tenants import new_tenant


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


def refused_run(runs: RunStore, max_refusals: int, dry_run: bool = False,
                insights: bool = False) -> tuple[int, list]:
    """A run that took what it may, stored an insight per session when asked, and whose
    candidate the gate refused; its id and the sessions it took."""
    run = runs.create(dry_run=dry_run)
    runs.claim(run, None)
    taken = [s["id"] for s in runs.take_sessions(run, 100, max_refusals)]
    for sid in taken if insights else []:
        runs.replace_insights(run, sid, [{"kind": "fact", "text": f"- The user said {sid}."}])
    return run, taken


def test_a_session_refused_on_as_many_nights_as_allowed_is_given_up(db, runs, tenant):
    old = add_session(db, tenant)
    refused = {"sessions_consumed": False, "gate_passed": False}
    for _ in range(2):  # two refused nights; a dry run in between does not count
        run, taken = refused_run(runs, 3, insights=True)
        assert taken == [old]
        assert runs.give_up(run, 3, "refused") == []
        runs.finish(run, "succeeded", refused)
        runs.release()
        dry, _ = refused_run(runs, 3, dry_run=True)
        runs.finish(dry, "succeeded", {"sessions_consumed": False})
        runs.release()
    new = add_session(db, tenant)
    third, taken = refused_run(runs, 3, insights=True)
    assert taken == [old, new]
    assert runs.give_up(third, 3, "refused by the gate on 3 nights: held-out gain") == [
        str(old)]
    rows = db.execute("SELECT session_id, status, reason FROM insights WHERE run_id = %s",
                      (third,)).fetchall()
    assert {r["session_id"]: (r["status"], r["reason"]) for r in rows} == {
        old: ("rejected", "refused by the gate on 3 nights: held-out gain"),
        new: ("active", None)}
    # What the earlier refused nights derived from it is not replayed either.
    assert {r["status"] for r in db.execute(
        "SELECT status FROM insights WHERE session_id = %s", (old,)).fetchall()} == {"rejected"}
    assert old not in {r["session_id"] for r in runs.earlier_insights(runs.create())}
    runs.finish(third, "succeeded", refused)
    runs.release()
    fourth, taken = refused_run(runs, 3)
    assert taken == [new]  # the given-up session is no longer taken


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
    other = new_tenant(db)
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


def succeeded_run_with_insights(db, runs, tenant, *texts: str) -> tuple[uuid.UUID, list[int]]:
    """A session and a succeeded run that derived an active insight per text from it."""
    sid, run = add_session(db, tenant), runs.create()
    ids = runs.replace_insights(run, sid, [{"kind": "fact", "text": t} for t in texts])
    runs.finish(run, "succeeded")
    return sid, ids


def test_a_retired_insight_keeps_what_replaced_it_and_is_never_replayed(db, runs, tenant):
    _, [old, other] = succeeded_run_with_insights(db, runs, tenant, "The user lives in Lyon.",
                                                  "The user has a cat.")
    _, [new] = succeeded_run_with_insights(db, runs, tenant, "The user moved to Nantes.")
    assert runs.retire_insights([old], new) == [old]
    assert runs.retire_insights([old], new) == []  # only active ones retire
    row = db.execute("SELECT status, replaced_by FROM insights WHERE id = %s", (old,)).fetchone()
    assert row == {"status": "retired", "replaced_by": new}
    assert {r["id"] for r in runs.earlier_insights(runs.create())} == {other, new}


def test_a_dry_runs_insights_are_never_replayed(db, runs, tenant):
    sid, [learned] = succeeded_run_with_insights(db, runs, tenant, "The user has a cat.")
    dry = runs.create(dry_run=True)
    runs.replace_insights(dry, sid, [{"kind": "fact", "text": "The user has a dog."}])
    runs.finish(dry, "succeeded", {"sessions_consumed": False})
    assert runs.get(dry)["dry_run"] is True and runs.get(runs.create())["dry_run"] is False
    assert [r["id"] for r in runs.earlier_insights(runs.create())] == [learned]


def test_narrowing_keeps_the_rest_of_an_insight_in_a_new_active_row(db, runs, tenant):
    sid, [old] = succeeded_run_with_insights(
        db, runs, tenant, "- The user lives in Lyon.\n- The user has a cat.")
    rest = runs.narrow_insight(old, "- The user has a cat.")
    rows = {r["id"]: r for r in db.execute(
        "SELECT id, session_id, run_id, status, replaced_by, text FROM insights"
        " WHERE id IN (%s, %s)", (old, rest)).fetchall()}
    assert rows[old]["status"] == "retired" and rows[old]["replaced_by"] == rest
    assert rows[rest]["status"] == "active" and rows[rest]["session_id"] == sid
    assert rows[rest]["run_id"] == db.execute("SELECT run_id FROM insights WHERE id = %s",
                                              (old,)).fetchone()["run_id"]
    assert [r["id"] for r in runs.earlier_insights(runs.create())] == [rest]
    assert runs.narrow_insight(old, "anything") is None  # retired: nothing left to narrow


def test_erasing_the_replacing_session_leaves_the_retired_insight_without_replaced_by(
        db, runs, tenant):
    _, [old] = succeeded_run_with_insights(db, runs, tenant, "The user lives in Lyon.")
    newer, [new] = succeeded_run_with_insights(db, runs, tenant, "The user moved to Nantes.")
    runs.retire_insights([old], new)
    db.execute("DELETE FROM sessions WHERE id = %s", (newer,))  # what erasure deletes
    row = db.execute("SELECT status, replaced_by FROM insights WHERE id = %s", (old,)).fetchone()
    assert row == {"status": "retired", "replaced_by": None}


def test_insights_of_another_tenant_are_not_retired(db, database_url, runs, tenant):
    _, [old] = succeeded_run_with_insights(db, runs, tenant, "The user lives in Lyon.")
    other = RunStore.connect(database_url)  # the default tenant
    try:
        assert other.retire_insights([old], None) == []
        assert other.narrow_insight(old, "x") is None
    finally:
        other.close()


def test_earlier_heldout_questions_are_of_active_insights_of_earlier_learning_runs(db, runs,
                                                                                   tenant):
    """The gate's retention sample: held-out, kept, checkable items of active insights from
    earlier succeeded runs that trained; not a dry run's, a retired insight's, a train item,
    a neighbour question (no insight) or another tenant's."""
    def practice(run: int, insight: int | None, prompt: str, split: str = "heldout",
                 kept: bool = True, checker: dict | None = None) -> None:
        db.execute("INSERT INTO practice_items (run_id, insight_id, kind, split, prompt,"
                   " checker, kept) VALUES (%s, %s, 'question', %s, %s, %s, %s)",
                   (run, insight, split, f'[{{"role": "user", "content": "{prompt}"}}]',
                    psycopg.types.json.Jsonb(checker or {"type": "contains_all",
                                                         "values": ["x"]}), kept))

    sid = add_session(db, tenant)
    learned = runs.create()
    [cat, city] = runs.replace_insights(learned, sid, [
        {"kind": "fact", "text": "The user has a cat named Miso."},
        {"kind": "fact", "text": "The user lives in Lyon."}])
    practice(learned, cat, "What is my cat called?")
    practice(learned, cat, "Name of my cat?", split="train")
    practice(learned, cat, "Is my cat named Miso?", kept=False)
    practice(learned, city, "Where do I live?")
    practice(learned, None, "What is the capital of Spain?")
    runs.finish(learned, "succeeded")
    dry = runs.create(dry_run=True)
    [dog] = runs.replace_insights(dry, sid, [{"kind": "fact", "text": "The user has a dog."}])
    practice(dry, dog, "Do I have a dog?")
    runs.finish(dry, "succeeded", {"sessions_consumed": False})
    other = runs.for_tenant(new_tenant(db))
    theirs = other.create()
    [their] = other.replace_insights(theirs, add_session(db, other.tenant_id),
                                     [{"kind": "fact", "text": "The user has a parrot."}])
    practice(theirs, their, "What bird do I have?")
    other.finish(theirs, "succeeded")

    tonight = runs.create()
    rows = runs.earlier_heldout(tonight)
    assert [(r["prompt"], r["insight"]) for r in rows] == [
        ('[{"role": "user", "content": "Where do I live?"}]', "The user lives in Lyon."),
        ('[{"role": "user", "content": "What is my cat called?"}]',
         "The user has a cat named Miso.")]
    assert rows[0]["checker"] == {"type": "contains_all", "values": ["x"]}
    runs.retire_insights([city], cat)
    assert [r["insight_id"] for r in runs.earlier_heldout(tonight)] == [cat]
    assert runs.earlier_heldout(learned) == []  # a run is never checked on its own questions


def _rated_turn(db, session: uuid.UUID, seq: int, rating: int, text: str | None) -> int:
    turn = db.execute(
        "INSERT INTO turns (session_id, seq, request_id, model_requested, model_served,"
        " messages, response, status, latency_ms, thread_digest, started_at, completion_id)"
        " VALUES (%s, %s, 'r', 'lucid', 'm', '[{\"role\": \"user\", \"content\": \"q\"}]',"
        " 'a', 'completed', 1, '\\x00', now(), %s) RETURNING id",
        (session, seq, f"chatcmpl-{uuid.uuid4().hex}")).fetchone()["id"]
    return db.execute("INSERT INTO feedback (turn_id, rating, comment) VALUES (%s, %s, %s)"
                      " RETURNING id", (turn, rating, text)).fetchone()["id"]


def test_down_rated_answers_are_read_until_a_run_consumes_them_with_their_sessions(db, runs,
                                                                                    tenant):
    learnt, opted_out = add_session(db, tenant), add_session(db, tenant, learn=False)
    first = runs.create()
    assert [s["id"] for s in runs.take_sessions(first, 100)] == [learnt]
    runs.finish(first, "succeeded", {"sessions_consumed": True})
    down = _rated_turn(db, learnt, 1, -1, "It is Marenport.")
    _rated_turn(db, learnt, 2, 1, None)  # an up-rating teaches nothing
    _rated_turn(db, opted_out, 1, -1, "never read")

    run = runs.create()
    assert runs.take_sessions(run, 100) == []  # nothing new but the feedback
    [row] = runs.take_feedback(run)
    assert (row["id"], row["text"], row["session_id"], row["seq"], row["consumed"]) == (
        down, "It is Marenport.", learnt, 1, True)
    assert row["messages"] == [{"role": "user", "content": "q"}] and row["response"] == "a"
    assert [s["id"] for s in runs.taken_sessions(run)] == [learnt]  # lineage: erasure taints
    assert [r["id"] for r in runs.take_feedback(run)] == [down]  # a resumed run: the same
    runs.finish(run, "succeeded", {"sessions_consumed": False})  # refused: read again
    again = runs.create()
    assert [r["id"] for r in runs.take_feedback(again)] == [down]
    runs.finish(again, "succeeded", {"sessions_consumed": True})
    assert runs.take_feedback(runs.create()) == []
