"""Promotion, rollback and pinning through the admin API, with a fake engine (fast) and the real
PostgreSQL. The real-vLLM sibling with a real LoRA adapter is test_hotswap.py."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from serve.app import create_app
from serve.settings import Settings
from tests.serve.fake_engine import FakeEngine

USER = [{"role": "user", "content": "hi"}]


def _clean_registry(db) -> None:
    db.execute("DELETE FROM adapter_events; UPDATE adapter_aliases SET adapter_version_id = NULL;"
               " UPDATE turns SET adapter_version_id = NULL; DELETE FROM adapter_versions;"
               " UPDATE tenants SET pinned = false")


@pytest.fixture
def database_url(database_url, db):
    # These tests own the registry: each starts from a clean one and leaves one.
    _clean_registry(db)
    yield database_url
    _clean_registry(db)


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def http(database_url, engine, tmp_path):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model")
    with TestClient(create_app(settings, engine=engine)) as client:
        yield client


def new_version(http, n: int, path: str | None = None) -> dict:
    store = http.app.state.registry.adapters
    return http.portal.call(lambda: store.create_version(
        run_id=None, parent_id=None, base_model="base-model", path=path or f"/adapters/{n}",
        sha256=f"{n:02d}" * 32, config={"lora_r": 8}, metrics={}))


def served_model(http) -> str:
    response = http.post("/v1/chat/completions", json={"model": "lucid", "messages": USER})
    assert response.status_code == 200
    return response.json()["model"]


def test_promote_flips_lucid_and_lists_the_version(http, engine):
    v1 = new_version(http, 1)
    assert served_model(http) == "base-model"
    response = http.post(f"/admin/adapters/{v1['name']}/promote")
    assert response.status_code == 200
    assert response.json()["active"]["name"] == v1["name"]
    assert engine.loaded == {v1["name"]: "/adapters/1"}
    assert served_model(http) == v1["name"]
    cards = {m["id"]: m for m in http.get("/v1/models").json()["data"]}
    assert cards["lucid"]["root"] == v1["name"]
    assert cards[v1["name"]]["parent"] == "base-model"
    listed = http.get("/admin/adapters").json()
    assert [(v["name"], v["status"], v["active"]) for v in listed["data"]] == [
        (v1["name"], "active", True)]


def test_rollback_walks_back_through_promotions_to_base(http, engine):
    v1, v2, v3 = (new_version(http, n) for n in (1, 2, 3))
    for v in (v1, v2, v3):
        assert http.post(f"/admin/adapters/{v['version']}/promote").status_code == 200
    assert served_model(http) == v3["name"]
    state = http.get("/admin/adapters").json()
    assert state["previous"]["name"] == v2["name"]

    expected = [v2["name"], v1["name"], "base-model"]
    for name in expected:
        response = http.post("/admin/rollback")
        assert response.status_code == 200
        assert served_model(http) == name  # effective for the very next request
    response = http.post("/admin/rollback")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    time.sleep(0.3)
    assert engine.loaded == {}, "versions no longer active or previous stay loaded"


def test_promote_errors(http):
    v1 = new_version(http, 1)
    assert http.post("/admin/adapters/v99/promote").status_code == 404
    assert http.post(f"/admin/adapters/{v1['name']}/promote").status_code == 200
    again = http.post(f"/admin/adapters/{v1['name']}/promote")
    assert again.status_code == 409 and "already active" in again.json()["error"]["message"]


def test_an_adapter_the_engine_refuses_never_serves(http, engine):
    good, bad = new_version(http, 1), new_version(http, 2, path="/adapters/corrupt")
    engine.refuse.add("/adapters/corrupt")
    http.post(f"/admin/adapters/{good['name']}/promote")
    refused = http.post(f"/admin/adapters/{bad['name']}/promote")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "adapter_refused"
    assert served_model(http) == good["name"]
    assert http.get("/admin/adapters").json()["active"]["name"] == good["name"]


def test_pin_and_unpin_are_recorded(http):
    assert http.post("/admin/adapters/pin").json()["pinned"] is True
    listed = http.get("/admin/adapters").json()
    assert listed["pinned"] is True and listed["events"][0]["action"] == "pin"
    assert http.post("/admin/adapters/unpin").json()["pinned"] is False


def test_a_second_replica_follows_promotions_by_notification(http, database_url, tmp_path):
    other_engine = FakeEngine()
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model")
    with TestClient(create_app(settings, engine=other_engine)) as other:
        other.portal.call(other.app.state.registry.sync.listening.wait)
        v1 = new_version(http, 1)
        http.post(f"/admin/adapters/{v1['name']}/promote")
        deadline = time.monotonic() + 5
        while served_model(other) != v1["name"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert served_model(other) == v1["name"]
