"""Learning runs from the API's side: start one now (queued to the Celery worker), read progress
and what a run derived.

The API only enqueues by task name over the broker; the training code lives in the worker.
"""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery

from serve.api.errors import BrokerUnavailable, NotFound
from serve.learning.protocol import TASK_LEARN
from store.runs import AsyncRunStore


class RunService:
    def __init__(self, runs: AsyncRunStore, broker_url: str | None,
                 celery: Celery | None = None) -> None:
        self.runs = runs
        self.celery = celery if celery is not None or not broker_url else \
            Celery("lucid-api", broker=broker_url, set_as_current=False)

    def for_tenant(self, tenant_id: int) -> RunService:
        """The same broker connection, reading and starting the tenant's runs."""
        return RunService(AsyncRunStore(self.runs.pool, tenant_id), None, self.celery)

    async def start(self, dry_run: bool = False) -> dict[str, Any]:
        """Queue a run now; a dry run stops after the dream (the worker reads it off the row)."""
        if self.celery is None:
            raise BrokerUnavailable()
        run_id = await self.runs.create("manual", dry_run=dry_run)
        try:
            # kombu's publish blocks on the socket: keep it off the event loop.
            result = await asyncio.to_thread(self.celery.send_task, TASK_LEARN,
                                             kwargs={"run_id": run_id}, retry=False)
        except Exception as exc:
            await self.runs.fail(run_id, f"not queued: {exc}")
            raise BrokerUnavailable() from exc
        await self.runs.set_task(run_id, result.id)
        return await self.get(run_id)

    async def list(self, limit: int) -> list[dict[str, Any]]:
        return await self.runs.list(limit)

    async def get(self, run_id: int) -> dict[str, Any]:
        run = await self.runs.get(run_id)
        if run is None:
            raise NotFound(f"No learning run {run_id}.", param="run_id")
        return run

    async def insights(self, run_id: int) -> list[dict[str, Any]]:
        """What the run derived from each session it read: insights and their practice."""
        await self.get(run_id)  # another tenant's run, or none: 404
        return await self.runs.run_insights(run_id)
