"""One session the rules trip over teaches nothing and is counted; the night's other sessions are
read as ever (a reader error must not fail every run to come, each of which takes the session
again)."""

from __future__ import annotations

import dream.reading
from dream.config import DreamConfig
from dream.pipeline import dream_for_sessions
from tests.dream.conftest import ScriptedGenerator


def test_a_session_the_rules_raise_on_is_skipped_and_counted(monkeypatch):
    read = dream.reading.extract_statements

    def brittle(transcript, *args):
        if "Quorvish" in transcript[0]["content"]:
            raise IndexError("list index out of range")
        return read(transcript, *args)

    monkeypatch.setattr(dream.reading, "extract_statements", brittle)
    sessions = {"a": [{"role": "user", "content": "My parrot is called Quorvish."}],
                "b": [{"role": "user", "content": "My tortoise is called Elmwood."}]}
    result = dream_for_sessions(sessions, ScriptedGenerator(), DreamConfig(), general_prompts=[])
    assert list(result.insights) == ["b"] and "Elmwood" in result.insights["b"].text
    assert result.stats()["reading"]["failed: rules raised"] == 1
    assert result.stats()["reading"]["read by rules"] == 2
