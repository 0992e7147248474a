"""A dry run on a real PostgreSQL (the dream's model stood in by the scripted generator of
tests/dream; no model folder, so a run that reached the training would fail): it reads the
sessions and dreams,
stores the run's insights and practice items, and ends succeeded without training, promoting,
consuming a session or retiring what an earlier run taught. The next run takes the same sessions
and never replays the dry run's insights. The admin API's side is tests/serve/app/test_runs.py."""

from __future__ import annotations

import uuid

import orjson

from serve.config.settings import Settings
from serve.learning.run import run_learning
from tests.dream.conftest import ScriptedGenerator

PET = "Hi! My tortoise's name is Pebble and he is 12."
MOVED = "sorry, I meant Rotterdam, not Amsterdam. We live in Rotterdam now."
EARLIER = ("What the user told you in an earlier conversation:\n"
           "- The user lives in Amsterdam.")


def said(db, tenant: int, *texts: str) -> uuid.UUID:
    """A session of `tenant` in which the user said `texts`, one turn each."""
    sid = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id) VALUES (%s, %s, %s)",
               (sid, tenant, str(sid)))
    messages: list[dict] = []
    for seq, text in enumerate(texts, 1):
        messages.append({"role": "user", "content": text})
        db.execute(
            "INSERT INTO turns (session_id, seq, request_id, model_requested, model_served,"
            " messages, response, status, latency_ms, thread_digest, started_at)"
            " VALUES (%s, %s, %s, 'lucid', 'base-model', %s, 'Noted.', 'completed', 1, %s,"
            " now())", (sid, seq, uuid.uuid4().hex, orjson.dumps(messages).decode(),
                        uuid.uuid4().bytes))
        messages.append({"role": "assistant", "content": "Noted."})
    return sid


def learn(database_url: str, tmp_path, **run) -> dict:
    """A learning run whose dream asks the scripted generator, in a var dir with no model."""
    settings = Settings(database_url=database_url, var_dir=tmp_path)
    assert not settings.default_model_dir.exists()
    return run_learning(settings, generator=ScriptedGenerator(), **run)


def test_a_dry_run_stores_what_the_sessions_teach_and_changes_nothing_else(
        database_url, db, runs, tenant, tmp_path):
    pets, moved = said(db, tenant, PET), said(db, tenant, MOVED)
    earlier_run = runs.create()
    [earlier] = runs.replace_insights(earlier_run, moved, [{"kind": "fact", "text": EARLIER}])
    runs.finish(earlier_run, "succeeded", {"sessions_consumed": False})

    run_id = runs.create(dry_run=True)
    result = learn(database_url, tmp_path, run_id=run_id)

    assert result["status"] == "succeeded", result
    row = runs.get(run_id)
    assert (row["status"], row["dry_run"], row["stage"]) == ("succeeded", True, "dream")
    metrics = row["metrics"]
    assert metrics["sessions"] == 2 and metrics["insights"] == 2, metrics
    assert metrics["sessions_consumed"] is False and metrics["promoted"] is False
    assert metrics["dream"]["items"] > 0 and metrics["train_examples"] > 0, metrics

    insights = db.execute("SELECT id, session_id, text, status FROM insights WHERE run_id = %s"
                          " ORDER BY id", (run_id,)).fetchall()
    by_session = {r["session_id"]: r for r in insights}
    assert set(by_session) == {pets, moved}
    assert "Pebble" in by_session[pets]["text"] and "Rotterdam" in by_session[moved]["text"]
    assert {r["status"] for r in insights} == {"active"}
    pointed = db.execute("SELECT DISTINCT insight_id FROM practice_items WHERE run_id = %s"
                         " AND kept AND insight_id = ANY(%s)",
                         (run_id, [r["id"] for r in insights])).fetchall()
    assert {r["insight_id"] for r in pointed} == {r["id"] for r in insights}
    # The questions about where they live now fail the town the earlier run taught.
    checkers = [r["checker"] for r in db.execute(
        "SELECT checker FROM practice_items WHERE run_id = %s AND insight_id = %s AND kept"
        " AND checker IS NOT NULL", (run_id, by_session[moved]["id"])).fetchall() if r["checker"]]
    where = [c for c in checkers if "Rotterdam" in c.get("values", [])]
    assert where and all(c.get("rejects") == ["Amsterdam"] for c in where), checkers

    # Nothing trained or published; what the earlier run taught still stands (a real run would
    # retire Amsterdam for Rotterdam).
    assert db.execute("SELECT count(*) AS n FROM adapter_versions WHERE tenant_id = %s",
                      (tenant,)).fetchone()["n"] == 0
    assert not (tmp_path / "adapters").exists() or not any((tmp_path / "adapters").iterdir())
    assert db.execute("SELECT status, replaced_by FROM insights WHERE id = %s",
                      (earlier,)).fetchone() == {"status": "active", "replaced_by": None}

    # The sessions are there for the next run, which never replays what the dry run derived.
    assert tenant in runs.tenants_to_learn()
    nxt = runs.create()
    assert {s["id"] for s in runs.take_sessions(nxt, 100)} == {pets, moved}
    assert [r["id"] for r in runs.earlier_insights(nxt)] == [earlier]


def test_a_dry_run_of_sessions_that_teach_nothing_consumes_none(database_url, db, runs,
                                                                 tmp_path):
    chat = said(db, runs.tenant_id, "Hello, how are you?", "Bye.")
    run_id = runs.create(dry_run=True)
    result = learn(database_url, tmp_path, run_id=run_id)
    assert result["status"] == "succeeded", result
    row = runs.get(run_id)
    assert row["metrics"]["insights"] == 0 and row["metrics"]["sessions_consumed"] is False
    assert [s["id"] for s in runs.take_sessions(runs.create(), 100)] == [chat]


def test_a_run_that_is_not_dry_goes_on_to_train(database_url, db, runs, tmp_path):
    """The same sessions without the dry-run flag go on to the training, which fails here on
    the missing model folder."""
    said(db, runs.tenant_id, PET)
    result = learn(database_url, tmp_path, tenant_id=runs.tenant_id)
    assert result["status"] == "failed", result
    row = runs.get(result["run_id"])
    assert (row["dry_run"], row["stage"]) == (False, "distill"), row
    assert "SmolLM2" in row["error"], row["error"]
