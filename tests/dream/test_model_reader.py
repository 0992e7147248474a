"""The model reader's mechanics, on a stand-in engine that answers with given JSON: statements
the user's words bear out are kept (in the first person, corrections winning), invented values,
names and numbers and unasserted statements are dropped and counted, and the rules read instead
when the output is unusable or the engine has no structured outputs. "auto" picks by model size.
The real engine and model: tests/serve/engine/test_model_reader_real.py."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from dream import model_reader
from dream.config import DreamConfig
from dream.pipeline import dream_for_sessions
from dream.reading import read_statements, reader_for
from tests.dream.conftest import ScriptedGenerator


def row(statement: str, value: str, kind: str = "fact", asserted: bool = True,
        question: str = "", answer: str = "", **more) -> dict:
    return {"statement": statement, "kind": kind, "subject": "the user", "attribute": "x",
            "value": value, "about": "self", "asserted": asserted, "replaces": None,
            "question": question, "answer": answer, **more}


class JSONEngine(ScriptedGenerator):
    """The scripted generator (for the rest of the dream), with structured outputs that reply
    with `replies` in turn (the last one repeats)."""

    def __init__(self, *replies: str | dict, parameters: int | None = None) -> None:
        super().__init__()
        self.replies = [r if isinstance(r, str) else orjson.dumps(r).decode() for r in replies]
        self.parameters = parameters
        self.asked: list[dict] = []

    def structured(self, conversations, schema, *, max_tokens=512, seed=None):
        self.asked.append({"conversations": conversations, "schema": schema})
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        return [reply for _ in conversations]


def said(*texts: str) -> list[dict]:
    messages = []
    for text in texts:
        messages += [{"role": "user", "content": text}, {"role": "assistant", "content": "Ok."}]
    return messages


MODEL = DreamConfig(reader="model")
SESSION = said("my dog is called Rusty and we live in Porto",
               "can you suggest a walk for him this weekend?")


def test_statements_the_users_words_bear_out_are_kept_in_the_first_person():
    engine = JSONEngine({"statements": [
        row("The user's dog is called Rusty.", "Rusty", question="What is my dog called?",
            answer="Rusty"),
        row("The user lives in Porto.", "Porto")]})
    counts: Counter = Counter()
    pairs = read_statements(SESSION, engine, MODEL, counts).pairs
    assert pairs == [("My dog is called Rusty.", "fact"), ("I live in Porto.", "fact")]
    assert counts == {"read by model": 1}
    # The model read the session with each speaker named, under the schema.
    [asked] = engine.asked
    assert asked["schema"] == model_reader.SCHEMA
    assert "USER: my dog is called Rusty" in asked["conversations"][0][-1]["content"]


def test_invented_values_names_numbers_and_unasserted_statements_are_dropped_and_counted():
    found = {"statements": [
        row("The user's dog is called Rusty.", "Rusty"),
        row("The user's dog is a Rottweiler.", "Rottweiler"),          # a breed never given
        row("The user's dog Rusty is 10.", "Rusty"),                   # an age never given
        row("The user's dog was adopted from Lisbon.", "dog"),         # a town never given
        row("The user would name a cat Waffles.", "Waffles", asserted=False),
        row("My dog is called Rusty.", "Rusty"),                       # not about the user
    ]}
    counts: Counter = Counter()
    pairs = read_statements(SESSION, JSONEngine(found), MODEL, counts).pairs
    assert pairs == [("My dog is called Rusty.", "fact")]
    assert counts == {"read by model": 1, "dropped: value not in the user's words": 1,
                      "dropped: invented name or number": 2, "dropped: not asserted": 1,
                      "dropped: not a statement about the user": 1}


def test_a_question_is_kept_only_with_an_answer_from_the_users_words():
    words = "my dog is called Rusty and we live in Porto"
    good = model_reader.verify(row("The user's dog is called Rusty.", "Rusty",
                                   question="What is my dog's name?", answer="Rusty"),
                               words, Counter())
    assert (good.question, good.answer) == ("What is my dog's name?", "Rusty")
    invented = model_reader.verify(row("The user's dog is called Rusty.", "Rusty",
                                       question="How old is my dog?", answer="10"),
                                   words, Counter())
    assert (invented.question, invented.answer) == ("", "")


def test_corrections_win_and_instructions_are_preferences():
    session = said("we live in Amsterdam", "sorry I meant Rotterdam, not Amsterdam",
                   "always answer in metric units")
    engine = JSONEngine({"statements": [
        row("The user lives in Amsterdam.", "Amsterdam", question="Where do I live?",
            answer="Amsterdam"),
        row("The user lives in Rotterdam.", "Rotterdam", kind="correction",
            replaces="The user lives in Amsterdam.", question="Which city do I live in?",
            answer="Rotterdam"),
        row("The user wants answers in metric units.", "metric units", kind="instruction")]})
    reading = read_statements(session, engine, MODEL)
    assert reading.pairs == [("I live in Rotterdam.", "correction"),
                             ("I want answers in metric units.", "preference")]
    # Only the question about what still stands: the old city's would teach Amsterdam.
    assert reading.questions_for([s for s, _ in reading.pairs]) == [
        ("Which city do I live in?", "Rotterdam")]


def test_the_readers_questions_become_practice_with_their_checked_answers():
    engine = JSONEngine({"statements": [
        row("The user's dog is called Rusty.", "Rusty", question="What's my dog's name?",
            answer="Rusty")]})
    result = dream_for_sessions({"a": SESSION}, engine, DreamConfig(reader="model"),
                                general_prompts=[])
    assert result.insights["a"].questions == [("What's my dog's name?", "Rusty")]
    asked = [i for i in result.items if i.kind == "reader_question"]
    assert [(i.question, i.reference, i.checker) for i in asked] == [
        ("What's my dog's name?", "Rusty", {"type": "contains_any", "values": ["Rusty"]})]
    assert asked[0].context == result.insights["a"].text


@pytest.mark.parametrize("reply, reason", [
    ("The user's dog is called Rusty.", "fallback: unusable output"),
    ('{"statements": [{"statement": "The user lives in Porto."}]}',
     "fallback: unusable output"),
    ({"facts": []}, "fallback: unusable output"),
    ({"statements": [row("The user's dog is a Rottweiler.", "Rottweiler")]},
     "fallback: nothing checked out"),
])
def test_the_rules_read_when_the_output_is_unusable(reply, reason):
    counts: Counter = Counter()
    pairs = read_statements(SESSION, JSONEngine(reply), MODEL, counts).pairs
    assert pairs == [("My dog is called Rusty and we live in Porto.", "fact")]
    assert counts[reason] == 1 and counts["read by rules"] == 1 and not counts["read by model"]


def test_a_model_that_finds_nothing_asserted_is_believed():
    counts: Counter = Counter()
    assert read_statements(SESSION, JSONEngine({"statements": []}), MODEL, counts).pairs == []
    assert counts == {"read by model": 1}


def test_without_structured_outputs_the_rules_read():
    counts: Counter = Counter()
    pairs = read_statements(SESSION, ScriptedGenerator(), MODEL, counts).pairs
    assert pairs and counts == {"fallback: no structured outputs": 1, "read by rules": 1}


def test_auto_lets_only_a_large_model_with_structured_outputs_read():
    auto = DreamConfig()
    assert auto.reader == "auto"
    assert reader_for(auto, JSONEngine({}, parameters=134_515_008)) == "rules"
    assert reader_for(auto, JSONEngine({}, parameters=7_000_000_000)) == "model"
    assert reader_for(auto, JSONEngine({})) == "rules"  # size unknown
    big_but_plain = ScriptedGenerator()
    big_but_plain.parameters = 7_000_000_000
    assert reader_for(auto, big_but_plain) == "rules"
    assert reader_for(DreamConfig(reader="rules"), JSONEngine({}, parameters=10**10)) == "rules"
    with pytest.raises(ValueError, match="reader"):
        DreamConfig(reader="llm")


def test_a_night_counts_how_its_sessions_were_read():
    engine = JSONEngine({"statements": [row("The user's dog is called Rusty.", "Rusty")]},
                        "not json")
    result = dream_for_sessions({"a": SESSION, "b": said("I work as a nurse in Leeds.")},
                                engine, DreamConfig(reader="model", parallel_sessions=1),
                                general_prompts=[])
    assert result.stats()["reading"] == {"read by model": 1, "read by rules": 1,
                                         "fallback: unusable output": 1}
    assert result.insights["a"].statements == ["My dog is called Rusty."]
    assert result.insights["b"].statements == ["I work as a nurse in Leeds."]
