"""The suite's API key: an admin + chat key of the default tenant, registered by every app and
replica the tests start (LUCID_ADMIN_KEY), and helpers that send it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from serve.app.main import create_app
from serve.config.settings import Settings

ADMIN_KEY = "lucid-00000000a11c-the-test-suite-admin-key-0000000000"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


def keyed(settings: Settings) -> Settings:
    """`settings` that register the suite's admin key at start."""
    return settings.model_copy(update={"admin_key": ADMIN_KEY})


def app_client(settings: Settings, engine: Any, **kwargs: Any) -> TestClient:
    """A TestClient of the app on `engine` (a fake), sending the suite's admin key."""
    return TestClient(create_app(keyed(settings), engine=engine), headers=AUTH, **kwargs)
