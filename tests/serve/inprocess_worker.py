"""The learning worker in the test's own process, for fast tests of runs through the admin API:
it takes a run's task message off the real Redis broker, as `celery worker` would, and runs that
run, with the dream's model stood in by the scripted generator of tests/dream (the engine's
stand-in). The worker has no model to train: a run that reached the training would fail there,
so a dry run that succeeds never reached it. The real worker and model are in
tests/serve/learning/test_run.py."""

from __future__ import annotations

import os

from kombu import Connection

from serve.config.settings import Settings
from serve.learning.protocol import TASK_LEARN
from serve.learning.run import run_learning
from tests.dream.conftest import ScriptedGenerator


def take_task(broker_url: str, task_id: str | None = None, timeout_s: float = 10
              ) -> tuple[str, dict]:
    """Take the next learning task off the broker's default queue (it must be `task_id` when
    given), waiting up to `timeout_s` for one; its id and kwargs."""
    with Connection(broker_url) as conn:
        queue = conn.SimpleQueue("celery")
        try:
            message = queue.get(timeout=timeout_s)
            assert message.headers["task"] == TASK_LEARN
            assert task_id is None or message.headers["id"] == task_id
            message.ack()
            _, kwargs, _ = message.decode()
            return message.headers["id"], kwargs
        finally:
            queue.close()


class InProcessWorker:
    def __init__(self, settings: Settings) -> None:
        assert settings.broker_url
        assert not os.path.isdir(settings.model_path), "the in-process worker must not train"
        self.settings = settings

    def run(self, task_id: str | None = None, timeout_s: float = 10) -> dict:
        """Take the task `task_id` (else the next one, a run queued by the admin API) and run
        it; the run's result, as the task returns it."""
        taken, kwargs = take_task(self.settings.broker_url, task_id, timeout_s)
        assert kwargs.get("run_id") is not None, kwargs
        return run_learning(self.settings, task_id=taken, generator=ScriptedGenerator(),
                            **kwargs)
