"""The Celery application: the learning-run task and the nightly schedule (Celery beat).

    celery -A serve.learning.tasks worker --pool=solo --concurrency=1  # one run at a time each
    celery -A serve.learning.tasks beat                                # exactly one, anywhere

`make run` starts a worker with an embedded beat when no broker is configured. Tasks are
acknowledged late and re-queued if the worker dies; a run is single-flight per tenant (an
advisory lock in PostgreSQL) and its stages are safe to repeat.
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.schedules import crontab

from serve.config.settings import Settings
from serve.learning.protocol import TASK_LEARN

logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per engine call: too chatty


def make_app(settings: Settings) -> Celery:
    app = Celery("lucid", broker=settings.broker_url, set_as_current=False)
    minute, hour, day_of_month, month, day_of_week = settings.learn_schedule.split()
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # A run can take hours; the broker must not hand it to another worker meanwhile.
        broker_transport_options={"visibility_timeout": 12 * 3600},
        timezone=settings.schedule_timezone,
        enable_utc=False,
        beat_schedule={
            "nightly-learning-run": {
                "task": TASK_LEARN,
                "schedule": crontab(minute=minute, hour=hour, day_of_month=day_of_month,
                                    month_of_year=month, day_of_week=day_of_week),
                "kwargs": {"trigger": "schedule"},
            },
        },
    )
    return app


settings = Settings()
app = make_app(settings)


@app.task(name=TASK_LEARN, bind=True)
def learn(self, run_id: int | None = None, trigger: str = "manual") -> dict:
    """Run one learning run; with no `run_id` (the schedule), queue a run of its own for every
    tenant with something to learn (`serve.learning.nightly`), for any worker to take."""
    if run_id is None:
        from serve.learning.nightly import enqueue_runs

        def send(queued: int) -> str:
            return self.app.send_task(TASK_LEARN, kwargs={"run_id": queued, "trigger": trigger},
                                      retry=False).id

        return {"queued": enqueue_runs(settings.database_url or "", send, trigger)}
    from transformers.utils import logging as hf_logging

    from serve.learning.run import run_learning  # heavy imports (torch) only in the worker

    hf_logging.disable_progress_bar()  # tqdm bars would flood the worker log
    return run_learning(settings, run_id=run_id, trigger=trigger, task_id=self.request.id)
