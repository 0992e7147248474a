"""Connection pools: one async pool for the API, plain connections for workers and scripts."""

from __future__ import annotations

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool


async def open_pool(database_url: str, size: int) -> AsyncConnectionPool:
    """An opened async pool whose connections return rows as dicts."""
    pool = AsyncConnectionPool(
        database_url,
        min_size=min(2, size),
        max_size=size,
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=False,
    )
    await pool.open(wait=True, timeout=30)
    return pool
