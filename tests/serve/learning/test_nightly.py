"""The nightly schedule fans out (real PostgreSQL and Redis broker): one queued run per tenant
with something new, each its own task on the broker, waiting in one queue whose order
`/admin/runs` shows; a worker takes each run by its task, as the admin API's runs are taken.
Two real workers training two tenants at once is left to a benchmark (bench/stack.py runs the
real worker)."""

from __future__ import annotations

from celery import Celery

from serve.learning.nightly import enqueue_runs
from serve.learning.protocol import TASK_LEARN
from serve.learning.run import run_learning
from tests.dream.conftest import ScriptedGenerator
from tests.serve.inprocess_worker import take_task
from tests.serve.test_tenants import Tenant


def test_the_schedule_queues_a_run_per_tenant_and_workers_take_each(http, learning_settings,
                                                                    database_url, broker_url):
    a, b = Tenant(http), Tenant(http)
    a.chat("My parrot is called Quillon.")
    b.chat("My tortoise is called Bramblewick.")
    celery = Celery("nightly-test", broker=broker_url, set_as_current=False)

    def send(run_id: int) -> str:
        return celery.send_task(TASK_LEARN, kwargs={"run_id": run_id, "trigger": "schedule"},
                                retry=False).id

    queued = enqueue_runs(database_url, send)
    mine = {tenant: next(r for r in tenant.get("/admin/runs").json()["data"]
                         if r["trigger"] == "schedule") for tenant in (a, b)}
    assert {run["id"] for run in mine.values()} <= set(queued)
    for run in mine.values():
        assert run["status"] == "queued" and run["task_id"] and run["queue_position"] >= 1
    assert mine[a]["queue_position"] < mine[b]["queue_position"]  # in the order made

    ran = {}
    for _ in queued:  # as workers would: every task taken, each run its own
        task_id, kwargs = take_task(broker_url)
        if kwargs["run_id"] in {run["id"] for run in mine.values()}:
            ran[kwargs["run_id"]] = run_learning(learning_settings, task_id=task_id,
                                                 generator=ScriptedGenerator(), **kwargs)
        else:  # another test's tenant: not this test's to learn
            http.portal.call(lambda r=kwargs["run_id"]: http.app.state.runs.runs.fail(
                r, "not this test's tenant"))
    for tenant, run in mine.items():
        assert ran[run["id"]]["run_id"] == run["id"]
        after = tenant.get(f"/admin/runs/{run['id']}").json()
        assert after["status"] != "queued" and after["queue_position"] is None
        assert after["session_count"] == 1  # its own tenant's session only
