"""Fixtures of the fast API tests: the app on a recording fake engine and the real PostgreSQL,
driven in-process with the suite's admin key (real-engine siblings use tests/conftest.py's
replicas)."""

from __future__ import annotations

import pytest

from serve.config.settings import Settings
from tests.keys import app_client
from tests.serve.fake_engine import FakeEngine


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
