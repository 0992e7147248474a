"""The learning worker in the test's own process, for fast tests of runs through the admin API:
it takes a run's task message off the real Redis broker, as `celery worker` would, and runs the
task's function on it, with the dream's model stood in by the scripted generator of tests/dream
and training refused (a dry run must never reach it). The real worker and model are in
tests/serve/learning/test_run.py."""

from __future__ import annotations

import pytest
from kombu import Connection

from serve.config.settings import Settings
from serve.learning import run as learning
from serve.learning import stages, tasks
from serve.learning.protocol import TASK_LEARN
from tests.dream.conftest import ScriptedGenerator


def take_task(broker_url: str, task_id: str | None = None, timeout_s: float = 10) -> dict:
    """Take the next learning task off the broker's default queue (it must be `task_id` when
    given), waiting up to `timeout_s` for one; its kwargs."""
    with Connection(broker_url) as conn:
        queue = conn.SimpleQueue("celery")
        try:
            message = queue.get(timeout=timeout_s)
            assert message.headers["task"] == TASK_LEARN
            assert task_id is None or message.headers["id"] == task_id
            message.ack()
            _, kwargs, _ = message.decode()
            return kwargs
        finally:
            queue.close()


class InProcessWorker:
    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        assert settings.broker_url
        self.broker_url = settings.broker_url
        monkeypatch.setattr(tasks, "settings", settings)
        monkeypatch.setattr(stages, "_generator", lambda s: ScriptedGenerator())
        monkeypatch.setattr(learning, "distill", self._refuse_training)

    @staticmethod
    def _refuse_training(*args: object) -> None:
        raise AssertionError("the run reached distill")

    def run(self, task_id: str | None = None, timeout_s: float = 10) -> dict:
        """Take the task `task_id` (else the next one) and run it; the task's result."""
        return tasks.learn(**take_task(self.broker_url, task_id, timeout_s))
