"""One session the rules trip over teaches nothing and is counted; the night's other sessions are
read as ever (a reader error must not fail every run to come, each of which takes the session
again). The session here holds a message whose content is no text, which the API never stores
but an imported or hand-edited log might."""

from __future__ import annotations

from dream.config import DreamConfig
from dream.pipeline import dream_for_sessions
from tests.dream.conftest import ScriptedGenerator


def test_a_session_the_rules_raise_on_is_skipped_and_counted():
    sessions = {"a": [{"role": "user", "content": {"unexpected": "shape"}}],
                "b": [{"role": "user", "content": "My tortoise is called Elmwood."}]}
    result = dream_for_sessions(sessions, ScriptedGenerator(), DreamConfig(), general_prompts=[])
    assert list(result.insights) == ["b"] and "Elmwood" in result.insights["b"].text
    assert result.stats()["reading"]["failed: rules raised"] == 1
    assert result.stats()["reading"]["read by rules"] == 2
