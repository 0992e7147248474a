"""The key `make run` works with out of the box: on a first start with no key anywhere, an admin
key (scopes chat and admin) of the default tenant is created, kept in var/admin-key (mode 0600)
and printed. Later starts print where it is. With LUCID_ADMIN_KEY set, that key is registered
instead and nothing is written.
"""

from __future__ import annotations

import asyncio
import os

from serve.config.settings import Settings
from store.db import open_pool
from store.keys import KeyStore
from store.sessions import DEFAULT_TENANT_ID

SCOPES = ["admin", "chat"]


async def _ensure(settings: Settings, database_url: str) -> str | None:
    pool = await open_pool(database_url, 1)
    try:
        keys = KeyStore(pool)
        if settings.admin_key:
            await keys.ensure(settings.admin_key, DEFAULT_TENANT_ID, SCOPES, "LUCID_ADMIN_KEY")
            return None
        if await keys.count():
            return None
        row = await keys.create(DEFAULT_TENANT_ID, SCOPES, name="dev admin key (make run)")
        return row["key"]
    finally:
        await pool.close()


def ensure_dev_key(settings: Settings, database_url: str) -> str:
    """Register or create the admin key; a line saying where it is, for the banner."""
    created = asyncio.run(_ensure(settings, database_url))
    path = settings.admin_key_file
    if settings.admin_key:
        return "API key: LUCID_ADMIN_KEY (admin + chat scopes)"
    if created is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(created + "\n")
        return (f"API key (admin + chat, created now; shown once, kept in {path}):\n"
                f"    {created}")
    if path.is_file():
        return f"API key: in {path} (admin + chat scopes)"
    return ("API key: keys exist but none is kept here; make one with "
            "`lucid keys create` (an admin key) or set LUCID_ADMIN_KEY")


def read_dev_key(settings: Settings) -> str | None:
    """The key `make run` keeps, for local tools (the CLI), if there is one."""
    try:
        return settings.admin_key or settings.admin_key_file.read_text().strip() or None
    except OSError:
        return None
