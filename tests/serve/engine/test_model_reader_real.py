"""The model reader on the real vLLM with the real SmolLM2-135M: its mechanics, not its quality
(a 135M model is not meant to read sessions; `auto` keeps the rules for it). The engine holds
the reply to the schema; whatever the model invents is dropped before anything is learned; a
night read by the model still dreams; the model's size is read from its folder."""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from dream import model_reader
from dream.config import DreamConfig
from dream.model_neighbours import names
from dream.reading import read_statements, reader_for
from dream.textnorm import contains_phrase, numbers_in
from serve.engine.generator import EngineGenerator
from serve.engine.model_size import parameter_count

pytestmark = pytest.mark.slow

SESSIONS = [
    [{"role": "user", "content": "My dog is called Rusty and I live in Porto."}],
    [{"role": "user", "content": "hey so my sister Ana is a nurse in Leeds. can you suggest a "
                                 "birthday gift for her? she turns 40 in May"}],
    [{"role": "user", "content": "If I had a cat I'd name it Waffles."}],
]


@pytest.fixture(scope="module")
def engine(engine_url, base_settings):
    with EngineGenerator(engine_url, base_settings.base_model_id,
                         parameters=parameter_count(base_settings.model_path)) as generator:
        yield generator


# Short replies keep the test fast; a reply cut short is not JSON, and the rules read instead.
MODEL = DreamConfig(reader="model", reader_max_tokens=384)


def test_the_engine_holds_the_reply_to_the_schema(engine):
    [reply] = engine.structured([model_reader.request(SESSIONS[0])], model_reader.SCHEMA,
                                max_tokens=1024, seed=0)
    data = orjson.loads(reply)
    assert set(data) == {"statements"}
    for statement in data["statements"]:
        assert set(statement) == set(model_reader.STATEMENT_SCHEMA["required"])
        assert statement["kind"] in model_reader.KINDS
        assert isinstance(statement["asserted"], bool)


def test_what_the_model_reads_is_kept_only_where_the_users_words_bear_it_out(engine):
    for session in SESSIONS:
        words = session[0]["content"]
        counts: Counter = Counter()
        pairs = read_statements(session, engine, MODEL, counts).pairs
        assert counts["read by model"] + counts["read by rules"] == 1, counts
        if counts["read by rules"]:  # the model's output could not be used: the rules read
            assert any(k.startswith("fallback: ") for k in counts), counts
        for statement, kind in pairs:
            assert kind in ("fact", "correction", "preference")
            assert set(numbers_in(statement)) <= set(numbers_in(words)), statement
            assert all(contains_phrase(words, name) for name in names(statement)), statement
            assert not statement.lower().startswith("the user"), statement


def test_auto_leaves_the_small_model_to_the_rules(engine, base_settings):
    assert 100_000_000 < engine.parameters < 200_000_000  # SmolLM2-135M, read from its folder
    assert reader_for(DreamConfig(), engine) == "rules"
    counts: Counter = Counter()
    pairs = read_statements(SESSIONS[0], engine, DreamConfig(), counts).pairs
    assert counts == {"read by rules": 1}
    assert pairs == [("My dog is called Rusty and I live in Porto.", "fact")]
