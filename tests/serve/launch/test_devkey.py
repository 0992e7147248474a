"""The key `make run` works with: created on the first start of an empty database, printed and
kept in var/admin-key (0600), found again on later starts; LUCID_ADMIN_KEY registered instead
when set. Each test runs on a database of its own (a first start needs one with no keys)."""

from __future__ import annotations

import asyncio
import stat
import uuid

import psycopg
import pytest

from serve.config.settings import Settings
from serve.launch.devkey import ensure_dev_key, read_dev_key
from serve.launch.launcher import banner
from store.db import open_pool
from store.keys import KeyStore, new_key
from store.migrate import migrate


@pytest.fixture
def empty_db(database_url):
    name = f"lucid_devkey_{uuid.uuid4().hex[:10]}"
    admin = psycopg.conninfo.make_conninfo(database_url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = psycopg.conninfo.make_conninfo(database_url, dbname=name)
    migrate(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def verify(url: str, key: str):
    async def go():
        pool = await open_pool(url, 1)
        try:
            keys = KeyStore(pool)
            return await keys.verify(key), await keys.count()
        finally:
            await pool.close()

    return asyncio.run(go())


def test_the_first_start_creates_prints_and_keeps_an_admin_key(empty_db, tmp_path):
    settings = Settings(var_dir=tmp_path, model="base-model")
    line = ensure_dev_key(settings, empty_db)
    key = read_dev_key(settings)
    assert key and key in line and str(settings.admin_key_file) in line
    assert stat.S_IMODE(settings.admin_key_file.stat().st_mode) == 0o600
    principal, count = verify(empty_db, key)
    assert principal.tenant == "default" and set(principal.scopes) == {"admin", "chat"}
    assert f'api_key="{key}"' in banner(settings)
    # A later start finds it and makes no other.
    again = ensure_dev_key(settings, empty_db)
    assert key not in again and str(settings.admin_key_file) in again
    assert verify(empty_db, key)[1] == count == 1


def test_a_configured_admin_key_is_registered_and_nothing_is_written(empty_db, tmp_path):
    key = new_key()[1]
    settings = Settings(var_dir=tmp_path, model="base-model", admin_key=key)
    assert "LUCID_ADMIN_KEY" in ensure_dev_key(settings, empty_db)
    assert ensure_dev_key(settings, empty_db)  # idempotent
    principal, count = verify(empty_db, key)
    assert principal is not None and count == 1
    assert not settings.admin_key_file.exists() and read_dev_key(settings) == key
    assert key not in banner(settings)  # a configured key is a secret: never printed


def test_a_malformed_admin_key_setting_fails_at_start():
    with pytest.raises(ValueError, match="LUCID_ADMIN_KEY"):
        Settings(admin_key="hunter2")
