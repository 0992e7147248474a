"""A run reads feedback with its sessions (real PostgreSQL): a new session whole, its down-rated
answer replaced by what the user said; a session an earlier run learnt from only as its rated
turn, so the rest is not taught twice. The dream then reads a bare-value correction as a
statement, and the run reports how much feedback it read."""

from __future__ import annotations

from distill.config import LearningConfig
from dream.config import DreamConfig
from dream.pipeline import dream_for_sessions
from serve.config.settings import Settings
from serve.learning.stages import LearningRun, collect
from tests.dream.conftest import ScriptedGenerator
from tests.store.test_runs import _rated_turn, add_session


def test_feedback_joins_the_next_run_with_its_session(db, runs, tenant, tmp_path):
    old, new = add_session(db, tenant), add_session(db, tenant)
    earlier = runs.create()
    runs.take_sessions(earlier, 1)  # takes `old` only
    runs.finish(earlier, "succeeded", {"sessions_consumed": True})
    _rated_turn(db, old, 1, -1, "Tollisbury")
    _rated_turn(db, new, 1, -1, "no, it's Tollisbury")
    db.execute("UPDATE turns SET messages = %s, response = 'Oslo.' WHERE session_id = ANY(%s)",
               ('[{"role": "user", "content": "What is the capital of Quenmark?"}]', [old, new]))
    db.execute("INSERT INTO turns (session_id, seq, request_id, model_requested, model_served,"
               " messages, response, status, latency_ms, thread_digest, started_at)"
               " SELECT %s, 0, 'r0', 'lucid', 'm', '[{\"role\": \"user\", \"content\":"
               " \"My tortoise is called Pip.\"}]', 'Nice!', 'completed', 1, '\\x00', now()",
               (old,))

    run = LearningRun(Settings(var_dir=tmp_path), runs, runs.create(), LearningConfig())
    collected = collect(run)
    assert {s["id"] for s in collected.sessions} == {old, new} and collected.feedback == 2
    assert [m["content"] for m in collected.transcripts[str(old)]] == [
        "What is the capital of Quenmark?", "Tollisbury"]  # not Pip again, not the answer
    assert [m["content"] for m in collected.transcripts[str(new)]] == [
        "What is the capital of Quenmark?", "no, it's Tollisbury"]
    result = dream_for_sessions(collected.transcripts, ScriptedGenerator(),
                                DreamConfig(reader="rules"), general_prompts=[])
    assert len(result.insights) == 2
    for insight in result.insights.values():
        assert insight.statements == ["The capital of Quenmark is Tollisbury."], insight.text
