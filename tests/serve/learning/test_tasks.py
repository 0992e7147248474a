"""The Celery app and the run's configuration: the nightly schedule comes from the settings, tasks
are acknowledged late, and learning overrides are validated before a run starts."""

from __future__ import annotations

import pytest

from serve.config.settings import Settings
from serve.learning.run import LearningConfig
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


def test_learning_overrides_apply_and_round_trip():
    config = LearningConfig.from_overrides({"opsd": {"steps": 5, "beta": 0.1},
                                            "dream": {"heldout_fraction": 0.3},
                                            "gate": {"min_learning_gain": 0.2}})
    assert (config.opsd.steps, config.opsd.beta) == (5, 0.1)
    assert config.dream.heldout_fraction == 0.3 and config.gate.min_learning_gain == 0.2
    again = LearningConfig.from_overrides(config.to_dict())
    assert again.to_dict() == config.to_dict()


@pytest.mark.parametrize("overrides, match", [
    ({"train": {}}, "sections"),
    ({"opsd": {"stepz": 5}}, "stepz"),
    ({"dream": {"nope": 1}}, "nope"),
    ({"gate": {"nope": 1}}, "nope"),
    ({"opsd": {"beta": 2.0}}, "beta"),
])
def test_bad_learning_overrides_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        LearningConfig.from_overrides(overrides)
