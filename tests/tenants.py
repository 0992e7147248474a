"""A fresh tenant per test, so a test's sessions and runs meet no other test's."""

from __future__ import annotations

import uuid

import psycopg


def new_tenant(db: psycopg.Connection) -> int:
    """Insert a tenant with a unique name; its id."""
    return db.execute("INSERT INTO tenants (name) VALUES (%s) RETURNING id",
                      (f"t-{uuid.uuid4().hex[:10]}",)).fetchone()["id"]
