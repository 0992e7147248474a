"""The nightly schedule's fan-out: one queued run per tenant with something new to learn.

The beat's task does not learn itself: it makes a run row for each such tenant and queues that
run as a task of its own, so W workers learn W tenants at once, each run holding its tenant's
lock (single flight) as a run started from the admin API does. Runs wait in one queue in the
order they were made (`queue_position` on `/admin/runs`, `lucid_learning_queue_depth` on
`/metrics`). A run that could not be queued is failed with the reason; the others go ahead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from store.runs import RunStore

log = logging.getLogger(__name__)


def enqueue_runs(database_url: str, send: Callable[[int], str],
                 trigger: str = "schedule") -> list[int]:
    """Make and queue a run for every tenant with something to learn (`send` queues one run id
    and returns its task id); the ids of the runs queued."""
    store = RunStore.connect(database_url)
    try:
        queued = []
        for tenant in store.tenants_to_learn():
            runs = store.for_tenant(tenant)
            run_id = runs.create(trigger)
            try:
                runs.set_task(run_id, send(run_id))
            except Exception as exc:  # the broker refused: this tenant waits for the next night
                log.warning("run %s of tenant %s not queued", run_id, tenant, exc_info=True)
                runs.finish(run_id, "failed", error=f"not queued: {exc}")
                continue
            queued.append(run_id)
        return queued
    finally:
        store.close()
