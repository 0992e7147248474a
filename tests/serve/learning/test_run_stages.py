"""The fast sibling of test_run.py: where a learning run stops before any model is loaded, on a
real PostgreSQL. A run saves its resolved configuration first, refuses a misspelt override before
it takes a session, and with nothing new to learn from ends at `collect`, succeeded."""

from __future__ import annotations

import uuid

from distill.config import LearningConfig
from serve.config.settings import Settings
from serve.learning.run import run_learning


def settings(database_url: str, tmp_path, overrides: dict) -> Settings:
    return Settings(database_url=database_url, var_dir=tmp_path, learn_overrides=overrides)


def run_row(db, run_id: int) -> dict:
    return db.execute("SELECT status, stage, progress, metrics, config, error"
                      " FROM learning_runs WHERE id = %s", (run_id,)).fetchone()


def test_with_no_new_sessions_a_run_ends_at_collect(database_url, db, tenant, tmp_path):
    overrides = {"opsd": {"steps": 5}, "gate": {"min_learning_gain": 0.2}}
    result = run_learning(settings(database_url, tmp_path, overrides), tenant_id=tenant)
    metrics = {"sessions": 0, "sessions_consumed": True, "promoted": False,
               "note": "no new sessions to learn from"}
    assert result == {"run_id": result["run_id"], "status": "succeeded", **metrics}
    row = run_row(db, result["run_id"])
    assert (row["status"], row["stage"], row["metrics"]) == ("succeeded", "collect", metrics)
    assert row["config"] == LearningConfig.from_overrides(overrides).to_dict()
    assert row["config"]["opsd"]["steps"] == 5


def test_a_misspelt_override_fails_the_run_before_it_takes_a_session(database_url, db, tenant,
                                                                      tmp_path):
    session = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id) VALUES (%s, %s, %s)",
               (session, tenant, str(session)))
    overrides = {"gate": {"min_gain": 0.2}}
    result = run_learning(settings(database_url, tmp_path, overrides), tenant_id=tenant)
    assert result["status"] == "failed" and "min_gain" in result["error"]
    row = run_row(db, result["run_id"])
    assert row["status"] == "failed" and row["stage"] is None
    assert "GateConfig" in row["error"] and "min_gain" in row["error"]
    taken = db.execute("SELECT count(*) AS n FROM run_sessions WHERE run_id = %s",
                       (result["run_id"],)).fetchone()["n"]
    assert taken == 0
