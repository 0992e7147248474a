"""The Celery app: the nightly schedule comes from the settings, tasks are acknowledged late, and
the task the API enqueues by name is the one the worker registers. (The run's configuration is
tested in tests/distill/test_config.py.)"""

from __future__ import annotations

import pytest

from serve.config.settings import Settings
from serve.learning import service, tasks
from serve.learning.tasks import TASK_LEARN, make_app


def test_the_nightly_schedule_follows_the_settings():
    app = make_app(Settings(learn_schedule="30 2 * * 1", timezone="Europe/Berlin",
                            broker_url="redis://127.0.0.1:1/0"))
    entry = app.conf.beat_schedule["nightly-learning-run"]
    assert entry["task"] == TASK_LEARN and entry["kwargs"] == {"trigger": "schedule"}
    cron = entry["schedule"]
    assert (cron.minute, cron.hour, cron.day_of_week) == ({30}, {2}, {1})
    assert app.conf.timezone == "Europe/Berlin"
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1


def test_the_default_schedule_is_three_in_the_morning_local_time():
    settings = Settings()
    cron = make_app(settings).conf.beat_schedule["nightly-learning-run"]["schedule"]
    assert (cron.minute, cron.hour) == ({0}, {3})
    assert make_app(settings).conf.timezone == settings.schedule_timezone


def test_a_bad_cron_expression_fails_at_start():
    with pytest.raises(ValueError, match="cron"):
        Settings(learn_schedule="every night")


def test_the_api_enqueues_the_task_the_worker_runs():
    ours = [name for name in tasks.app.tasks if not name.startswith("celery.")]
    assert ours == [service.TASK_LEARN]
