"""API keys and tenants: create a key (its secret returned once), verify one, list, revoke.

A key reads `lucid-<key id>-<secret>`. The key id (12 hex digits) is public and finds the row;
the SHA-256 of the whole key is the only thing stored of the secret, compared with
`hmac.compare_digest`. A tenant's settings (`learn`, `redact_at_rest`) live in `tenants.settings`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

SCOPES = ("chat", "admin")
KEY_PATTERN = re.compile(r"^lucid-([0-9a-f]{12})-([A-Za-z0-9_-]{20,128})$")
TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
TENANT_SETTINGS = {"learn": bool, "redact_at_rest": bool}
# Events on this channel carry a revoked key's id: replicas forget it at once.
KEYS_CHANNEL = "lucid_keys"


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def new_key() -> tuple[str, str]:
    """(key id, whole key)."""
    key_id = secrets.token_hex(6)
    return key_id, f"lucid-{key_id}-{secrets.token_urlsafe(32)}"


def key_id_of(key: str) -> str | None:
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a key, its tenant and what the two allow."""

    key_id: str
    tenant_id: int
    tenant: str
    scopes: tuple[str, ...]
    learn: bool  # the key's and the tenant's opt-out, combined
    redact_at_rest: bool
    rpm: int | None
    tpm: int | None


_PRINCIPAL = """
SELECT k.key_id, k.digest, k.tenant_id, t.name AS tenant, k.scopes, k.learn AND
       coalesce((t.settings->>'learn')::boolean, true) AS learn,
       coalesce((t.settings->>'redact_at_rest')::boolean, false) AS redact_at_rest, k.rpm, k.tpm
  FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
 WHERE k.key_id = %s AND k.revoked_at IS NULL
"""

_PUBLIC = ("k.id, k.key_id, k.name, t.name AS tenant, k.scopes, k.learn, k.rpm, k.tpm,"
           " k.created_at, k.revoked_at")


class KeyRequestError(Exception):
    """A key or tenant request that cannot be done as asked (an HTTP 400 or 404)."""


class KeyStore:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def verify(self, key: str) -> Principal | None:
        """The key's principal, or None for an unknown, revoked or malformed key."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        async with self.pool.connection() as conn:
            row = await (await conn.execute(_PRINCIPAL, (key_id,))).fetchone()
        if row is None or not hmac.compare_digest(bytes(row.pop("digest")), digest(key)):
            return None
        return Principal(**{**row, "scopes": tuple(row["scopes"])})

    async def tenant_id(self, name: str, create: bool = False) -> int | None:
        if not TENANT_NAME.match(name):
            raise KeyRequestError(f"Tenant names are lowercase letters, digits, '-' and '_' "
                            f"(at most 63), not {name!r}.")
        async with self.pool.connection() as conn:
            if create:
                await conn.execute("INSERT INTO tenants (name) VALUES (%s)"
                                   " ON CONFLICT (name) DO NOTHING", (name,))
            row = await (await conn.execute("SELECT id FROM tenants WHERE name = %s",
                                            (name,))).fetchone()
        return row["id"] if row else None

    async def create(self, tenant_id: int, scopes: list[str], name: str = "",
                     learn: bool = True, rpm: int | None = None, tpm: int | None = None,
                     key: str | None = None) -> dict[str, Any]:
        """A new key; the returned row holds the whole key under `key` (never stored). With
        `key`, that key is registered instead of a fresh one (a deployment's bootstrap key)."""
        if not scopes or any(s not in SCOPES for s in scopes):
            raise KeyRequestError(f"scopes must be a non-empty subset of {list(SCOPES)}.")
        if key is None:
            key_id, key = new_key()
        elif (key_id := key_id_of(key)) is None:
            raise KeyRequestError("A key must read lucid-<12 hex digits>-<20 to 128 characters of "
                            "A-Z a-z 0-9 _ ->; `lucid keys create` makes one.")
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "INSERT INTO api_keys (tenant_id, key_id, digest, name, scopes, learn, rpm, tpm)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (key_id) DO NOTHING"
                " RETURNING id", (tenant_id, key_id, digest(key), name, sorted(set(scopes)),
                                  learn, rpm, tpm))
            if await cur.fetchone() is None:
                raise KeyRequestError("That key is already registered.")
            row = await self._find(conn, "k.key_id = %s", key_id)
        assert row is not None
        return {**row, "key": key}

    async def ensure(self, key: str, tenant_id: int, scopes: list[str], name: str) -> bool:
        """Register `key` unless it already is (same digest); whether it was added now."""
        key_id = key_id_of(key)
        async with self.pool.connection() as conn:
            row = await (await conn.execute("SELECT digest FROM api_keys WHERE key_id = %s",
                                            (key_id,))).fetchone()
        if row is not None:
            if not hmac.compare_digest(bytes(row["digest"]), digest(key)):
                raise KeyRequestError(f"Another key with id {key_id} is registered.")
            return False
        await self.create(tenant_id, scopes, name=name, key=key)
        return True

    async def count(self) -> int:
        async with self.pool.connection() as conn:
            return (await (await conn.execute("SELECT count(*) AS n FROM api_keys")
                           ).fetchone())["n"]

    async def _rows(self, conn, where: str, *args: Any) -> list[dict[str, Any]]:
        cur = await conn.execute(f"SELECT {_PUBLIC} FROM api_keys k JOIN tenants t"
                                 f" ON t.id = k.tenant_id WHERE {where}", args)
        return await cur.fetchall()

    async def _find(self, conn, where: str, *args: Any) -> dict[str, Any] | None:
        rows = await self._rows(conn, where, *args)
        return rows[0] if rows else None

    async def list(self, tenant_id: int, revoked: bool = False) -> list[dict[str, Any]]:
        where = "k.tenant_id = %s" + ("" if revoked else " AND k.revoked_at IS NULL")
        async with self.pool.connection() as conn:
            return await self._rows(conn, f"{where} ORDER BY k.id", tenant_id)

    async def revoke(self, tenant_id: int | None, key_id: str) -> dict[str, Any] | None:
        """Revoke the tenant's key `key_id`, or any tenant's with `tenant_id` None (the
        operator); None if there is no such live key."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE api_keys SET revoked_at = now() WHERE key_id = %s"
                " AND revoked_at IS NULL AND (%s::bigint IS NULL OR tenant_id = %s)"
                " RETURNING id", (key_id, tenant_id, tenant_id))
            if await cur.fetchone() is None:
                return None
            await conn.execute("SELECT pg_notify(%s, %s)", (KEYS_CHANNEL, key_id))
            return await self._find(conn, "k.key_id = %s", key_id)

    async def tenant(self, tenant_id: int) -> dict[str, Any]:
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT name, settings, created_at FROM tenants"
                                     " WHERE id = %s", (tenant_id,))
            row = await cur.fetchone()
        assert row is not None
        return {"object": "tenant", "name": row["name"], "created_at": row["created_at"],
                "settings": _tenant_settings(row["settings"])}

    async def update_tenant(self, tenant_id: int, changes: dict[str, Any]) -> dict[str, Any]:
        for name, value in changes.items():
            if name not in TENANT_SETTINGS or not isinstance(value, TENANT_SETTINGS[name]):
                raise KeyRequestError(f"Tenant settings are {sorted(TENANT_SETTINGS)} (booleans); "
                                f"not {name}={value!r}.")
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("UPDATE tenants SET settings = settings || %s WHERE id = %s",
                               (Jsonb(changes), tenant_id))
            # Replicas cache principals (with these settings): have them read them again.
            await conn.execute("SELECT pg_notify(%s, %s)", (KEYS_CHANNEL, f"tenant:{tenant_id}"))
        return await self.tenant(tenant_id)


def _tenant_settings(raw: dict[str, Any]) -> dict[str, Any]:
    return {"learn": bool(raw.get("learn", True)),
            "redact_at_rest": bool(raw.get("redact_at_rest", False))}
