"""Erasure through the admin API (fake engine, real PostgreSQL): a session, or all of a user's,
is deleted with its turns, insights and practice items; every adapter version that learned from
it, and every version trained on top of those, is tainted; the next run starts from an untainted
one; `rollback=true` serves the newest untainted version at once."""

from __future__ import annotations

import uuid

import pytest

from store.runs import RunStore
from tests.serve.adapter_files import published
from tests.serve.adapters.test_registry import _clean_registry


@pytest.fixture
def database_url(database_url, db):
    _clean_registry(db)
    yield database_url
    _clean_registry(db)


def _chat(http, session: str, user: str, text: str) -> None:
    response = http.post("/v1/chat/completions", headers={"X-Session-Id": session}, json={
        "model": "lucid", "user": user, "messages": [{"role": "user", "content": text}]})
    assert response.status_code == 200


def _version(http, run_id: int, parent: dict | None) -> dict:
    store = http.app.state.registry.adapters
    path, sha = published(http.adapter_root)
    return http.portal.call(lambda: store.create_version(
        run_id=run_id, parent_id=parent["id"] if parent else None, base_model="base-model",
        path=path, sha256=sha, config={}, metrics={}))


@pytest.fixture
def world(http, database_url, db):
    """Erin's sessions A (taught) and B (not learned from), Olle's C. Run 3 learned from C (v3);
    run 1 from A and C, on top of v3 (v1); run 2 from C, on top of v1 (v2). Active: v2."""
    tag = uuid.uuid4().hex[:6]
    names = {k: f"{k}-{tag}" for k in "ABC"}
    erin, olle = f"erin-{tag}", f"olle-{tag}"
    _chat(http, names["A"], erin, "My cat is called Tom.")
    _chat(http, names["B"], erin, "Hello there.")
    _chat(http, names["C"], olle, "I play the oboe.")
    ids = {k: db.execute("SELECT id FROM sessions WHERE public_id = %s", (v,)).fetchone()["id"]
           for k, v in names.items()}
    runs = RunStore.connect(database_url)
    try:
        run = {n: runs.create() for n in (1, 2, 3)}
        for n, taken in ((1, "AC"), (2, "C"), (3, "C")):
            for k in taken:
                db.execute("INSERT INTO run_sessions (run_id, session_id) VALUES (%s, %s)",
                           (run[n], ids[k]))
        [insight] = runs.replace_insights(run[1], ids["A"], [
            {"kind": "fact", "text": "The user's cat is called Tom."}])
        runs.replace_practice(run[1], [{"kind": "recall", "split": "train", "prompt": "Cat?",
                                        "reference": "Tom", "insight_id": insight}])
    finally:
        runs.close()
    v3 = _version(http, run[3], None)
    v1 = _version(http, run[1], v3)
    v2 = _version(http, run[2], v1)
    for v in (v3, v1, v2):
        assert http.post(f"/admin/adapters/{v['name']}/promote").status_code == 200
    return {"names": names, "ids": ids, "erin": erin, "v1": v1, "v2": v2, "v3": v3}


def _served(http) -> str:
    return http.post("/v1/chat/completions", json={
        "model": "lucid", "messages": [{"role": "user", "content": "hi"}],
        "metadata": {"learn": "false"}}).json()["model"]


def test_erasing_a_session_deletes_what_it_made_and_taints_what_learned_from_it(
        http, world, db):
    a = world["names"]["A"]
    response = http.delete(f"/admin/sessions/{a}")
    assert response.status_code == 200, response.text
    done = response.json()
    assert (done["sessions"], done["turns"], done["insights"], done["practice_items"]) == \
        (1, 1, 1, 1)
    assert done["tainted"] == sorted([world["v1"]["name"], world["v2"]["name"]])
    assert done["adapters"] is None  # no rollback asked: the tainted version still serves

    assert http.get(f"/admin/sessions/{a}").status_code == 404
    assert db.execute("SELECT count(*) AS n FROM insights WHERE session_id = %s",
                      (world["ids"]["A"],)).fetchone()["n"] == 0
    assert db.execute("SELECT count(*) AS n FROM practice_items WHERE reference = 'Tom'"
                      ).fetchone()["n"] == 0
    for other in ("B", "C"):
        assert http.get(f"/admin/sessions/{world['names'][other]}").status_code == 200
    listed = {v["name"]: v for v in http.get("/admin/adapters").json()["data"]}
    assert listed[world["v2"]["name"]]["status"] == "tainted"
    assert listed[world["v2"]["name"]]["active"] is True
    assert listed[world["v3"]["name"]]["status"] == "retired"
    assert _served(http) == world["v2"]["name"]

    # The next run starts from the nearest untainted ancestor; tainted versions never return.
    store = http.app.state.registry.adapters
    assert http.portal.call(store.training_base)["name"] == world["v3"]["name"]
    refused = http.post(f"/admin/adapters/{world['v1']['name']}/promote")
    assert refused.status_code == 409 and "tainted" in refused.json()["error"]["message"]
    # Rollback skips tainted versions: v2 -> (v1 tainted) -> v3.
    assert http.post("/admin/rollback").json()["active"]["name"] == world["v3"]["name"]

    [audit] = db.execute("SELECT * FROM erasures WHERE subject = %s", (a,)).fetchall()
    assert (audit["scope"], audit["sessions"], audit["turns"]) == ("session", 1, 1)
    assert sorted(audit["tainted"]) == done["tainted"]
    assert http.delete(f"/admin/sessions/{a}").status_code == 404


def test_erasing_a_user_with_rollback_serves_the_newest_untainted_version_at_once(
        http, world, engine):
    response = http.delete("/admin/sessions", params={"user": world["erin"], "rollback": "true"})
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["sessions"] == 2 and done["scope"] == "user"
    assert done["adapters"]["active"]["name"] == world["v3"]["name"]
    assert _served(http) == world["v3"]["name"]
    assert world["v3"]["name"] in engine.loaded
    events = http.get("/admin/adapters").json()["events"]
    assert (events[0]["action"], events[0]["reason"]) == ("rollback", "erasure")
    for k in "AB":
        assert http.get(f"/admin/sessions/{world['names'][k]}").status_code == 404
    missing = http.delete("/admin/sessions", params={"user": world["erin"]})
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "user"
    assert http.delete("/admin/sessions").status_code == 400  # no user named
