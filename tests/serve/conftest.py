"""Fixtures of the fast API tests: the app on a recording fake engine and the real PostgreSQL,
driven in-process with the suite's admin key (real-engine siblings use tests/conftest.py's
replicas); with the real Redis broker, learning runs are queued and run by an in-process
worker."""

from __future__ import annotations

import uuid

import pytest

from serve.config.settings import Settings
from tests.keys import app_client
from tests.serve.fake_engine import FakeEngine
from tests.serve.inprocess_worker import InProcessWorker


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
def http(database_url, engine, tmp_path):
    """A TestClient of the app on `engine`; `http.adapter_root` is where tests publish adapters."""
    settings = Settings(database_url=database_url, var_dir=tmp_path, model="base-model")
    with app_client(settings, engine) as client:
        client.adapter_root = tmp_path / "adapters"
        yield client


@pytest.fixture
def learning_settings(database_url, broker_url, tmp_path) -> Settings:
    """Served as "base-model" (the fake engine's name), with no model folder to train."""
    return Settings(database_url=database_url, broker_url=broker_url, var_dir=tmp_path,
                    model_name="base-model")


@pytest.fixture
def learning_http(learning_settings, engine):
    """A TestClient of the app whose POST /admin/runs queues on the real broker."""
    with app_client(learning_settings, engine) as client:
        yield client


@pytest.fixture
def tenant_admin(learning_http) -> dict[str, str]:
    """The Authorization header of an admin+chat key of a tenant made for one test: its runs
    read only the sessions that test logs."""
    made = learning_http.post("/admin/keys", json={"tenant": f"l{uuid.uuid4().hex[:10]}",
                                                   "scopes": ["chat", "admin"]})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


@pytest.fixture
def worker(learning_settings) -> InProcessWorker:
    return InProcessWorker(learning_settings)
