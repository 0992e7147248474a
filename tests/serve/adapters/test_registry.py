"""Promotion, rollback and pinning through the admin API, with a fake engine (fast) and the real
PostgreSQL. The real-vLLM sibling with a real LoRA adapter is test_hotswap.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from serve.config.settings import Settings
from tests.keys import app_client
from tests.serve.adapter_files import published
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


def new_version(http, n: int, rank: int = 8, base_model: str = "base-model") -> dict:
    store = http.app.state.registry.adapters
    path, sha = published(http.adapter_root, rank)
    return http.portal.call(lambda: store.create_version(
        run_id=None, parent_id=None, base_model=base_model, path=path, sha256=sha,
        config={"lora_r": rank}, metrics={}))


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
    assert engine.loaded == {v1["name"]: v1["path"]}
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
    good, bad = new_version(http, 1), new_version(http, 2)
    engine.refuse.add(bad["path"])
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
    with app_client(settings, other_engine) as other:
        other.portal.call(other.app.state.registry.sync.listening.wait)
        v1 = new_version(http, 1)
        http.post(f"/admin/adapters/{v1['name']}/promote")
        deadline = time.monotonic() + 5
        while served_model(other) != v1["name"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert served_model(other) == v1["name"]


def _corrupt(version: dict) -> None:
    weights = Path(version["path"]) / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[0] ^= 0xFF
    weights.write_bytes(bytes(data))


@pytest.mark.parametrize(("make", "reason"), [
    (lambda http: new_version(http, 2, base_model="other-model"), "trained on other-model"),
    (lambda http: new_version(http, 2, rank=64), "rank 64 is above the engine's limit 16"),
    (lambda http: (v := new_version(http, 2), _corrupt(v))[0], "do not match the published"),
    (lambda http: (v := new_version(http, 2),
                   shutil.rmtree(v["path"]))[0], "is missing"),
])
def test_a_corrupt_or_mismatched_adapter_is_refused_and_the_current_one_serves(
        http, engine, make, reason):
    good = new_version(http, 1)
    assert http.post(f"/admin/adapters/{good['name']}/promote").status_code == 200
    bad = make(http)
    refused = http.post(f"/admin/adapters/{bad['name']}/promote")
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert error["code"] == "adapter_refused" and reason in error["message"], error
    assert bad["name"] not in engine.loaded
    assert served_model(http) == good["name"]
    assert http.get("/admin/adapters").json()["active"]["name"] == good["name"]


def test_a_restarted_engine_gets_the_active_adapter_again(http, engine):
    v1 = new_version(http, 1)
    assert http.post(f"/admin/adapters/{v1['name']}/promote").status_code == 200
    engine.up = False  # vLLM died ...
    engine.loaded.clear()  # ... and a new one starts without adapters
    deadline = time.monotonic() + 5
    while http.app.state.registry.sync.engine_up and time.monotonic() < deadline:
        time.sleep(0.05)
    assert http.get("/health").status_code == 503
    engine.up = True
    while v1["name"] not in engine.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert engine.loaded == {v1["name"]: v1["path"]}
    assert served_model(http) == v1["name"]
