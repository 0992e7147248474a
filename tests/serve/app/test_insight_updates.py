"""Insights a later session superseded, through the admin API (fake engine, real PostgreSQL):
listed under status 'retired' with the insight that replaced them, and erasing the replacing
session leaves them retired, pointing nowhere."""

from __future__ import annotations

import uuid

from store.runs import RunStore


def chat(http, db, session: str):
    assert http.post("/v1/chat/completions", headers={"X-Session-Id": session}, json={
        "model": "lucid", "messages": [{"role": "user", "content": "x"}]}).status_code == 200
    return db.execute("SELECT id FROM sessions WHERE public_id = %s", (session,)).fetchone()["id"]


def test_retired_insights_are_listed_with_what_replaced_them(http, database_url, db):
    before, after = (f"moved-{uuid.uuid4().hex[:8]}" for _ in range(2))
    runs = RunStore.connect(database_url)
    try:
        run = runs.create()
        [old] = runs.replace_insights(run, chat(http, db, before), [
            {"kind": "fact", "text": "The user lives in Amsterdam."}])
        [new] = runs.replace_insights(run, chat(http, db, after), [
            {"kind": "correction", "text": "The user lives in Rotterdam."}])
        runs.retire_insights([old], new)
    finally:
        runs.close()

    retired = http.get("/admin/insights", params={"status": "retired"})
    assert retired.status_code == 200
    mine = {r["id"]: r for r in retired.json()["data"] if r["session_id"] == before}
    assert mine[old]["replaced_by"] == new and mine[old]["status"] == "retired"
    active = http.get("/admin/insights", params={"status": "active"}).json()["data"]
    assert old not in {r["id"] for r in active} and new in {r["id"] for r in active}

    assert http.delete(f"/admin/sessions/{after}").status_code == 200
    again = http.get("/admin/insights", params={"status": "retired"}).json()["data"]
    assert {r["id"]: r["replaced_by"] for r in again}[old] is None


def test_a_run_retires_what_its_sessions_superseded_and_keeps_the_rest(http, database_url, db):
    from types import SimpleNamespace

    from dream.insights import derive_insight
    from dream.pipeline import DreamResult
    from dream.practice import PracticeItem
    from serve.learning.stages import _retire_superseded

    old_text = ("What the user told you in an earlier conversation:\n"
                "- The user lives in Amsterdam.\n- The user has a cat called Miso.")
    runs = RunStore.connect(database_url)
    try:
        earlier_run = runs.create()
        [old] = runs.replace_insights(earlier_run, chat(http, db, f"a-{uuid.uuid4().hex[:8]}"),
                                      [{"kind": "fact", "text": old_text}])
        runs.finish(earlier_run, "succeeded")
        run = runs.create()
        insight = derive_insight([{"role": "user", "content": "sorry, I meant Rotterdam, not "
                                   "Amsterdam. We live in Rotterdam now."}], generator=None)
        [new] = runs.replace_insights(run, chat(http, db, f"b-{uuid.uuid4().hex[:8]}"),
                                      [{"kind": insight.kind, "text": insight.text}])
        replay = PracticeItem("fact", [{"role": "user", "content": "Where do I live?"}],
                              "Amsterdam", None, context=old_text, origin="replay")
        earlier = runs.earlier_insights(run)
        _retire_superseded(SimpleNamespace(store=runs, run_id=run),
                           DreamResult({"s": insight}, [replay]), earlier, {"s": new})
        rest = db.execute("SELECT replaced_by FROM insights WHERE id = %s", (old,)).fetchone()
        kept = db.execute("SELECT text, status FROM insights WHERE id = %s",
                          (rest["replaced_by"],)).fetchone()
        assert kept == {"text": "What the user told you in an earlier conversation:\n"
                        "- The user has a cat called Miso.", "status": "active"}
        assert not replay.kept and replay.drop_reason == "superseded"
    finally:
        runs.close()
