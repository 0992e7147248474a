"""Neighbours the model writes itself: a question is kept only when it asks about names the
statement does not mention and about no one's own things; they fill in after the shipped set,
as anchors and held-out probes. Fast on a scripted model; the real model in the slow test."""

from __future__ import annotations

import random

import pytest

from dream.config import DreamConfig
from dream.model_neighbours import SHOTS, kept, model_neighbours, names
from dream.neighbours import plan
from dream.pipeline import dream_for_sessions
from dream.textnorm import tokens
from tests.dream.conftest import ScriptedGenerator

HEAD = "The new head of our lab is Dr. Okafor."
ASKED = "Who is the new head of our lab?"
OFFSITE = "The quarterly offsite is at Lake Tarrow this year."  # no relation, no owner


@pytest.mark.parametrize("reply, question", [
    ("What is the new CEO of Internet Labs?", "What is the new CEO of Internet Labs?"),
    ("Question: Who leads NASA? It is ...", "Who leads NASA?"),
    ("Who is the head of our lab at Oxford?", None),        # someone's own lab
    ("Who is your manager at Google?", None),               # the asker's own
    ("Who is Dr. Okafor?", None),                           # the statement's own name
    ("Who is the new head of the lab?", None),              # no named subject
    ("The head of the lab is Dr. Smith.", None),            # no question
    (ASKED, None),
    (SHOTS[2][1], None),                                    # an example echoed back
])
def test_only_questions_about_other_named_things_are_kept(reply, question):
    assert kept(reply, HEAD, ASKED) == question


class Writer(ScriptedGenerator):
    """Writes the given questions when asked for neighbours; the scripted model otherwise."""

    def __init__(self, *written: str) -> None:
        super().__init__()
        self.written = list(written)
        self.asked: list[list[dict]] = []

    def chat(self, conversations, *, n=1, temperature=0.0, max_tokens=128, seed=None):
        if conversations and conversations[0][0]["content"].startswith("You write general"):
            self.asked += conversations
            return [(self.written * n)[:n] for _ in conversations]
        return super().chat(conversations, n=n, temperature=temperature,
                            max_tokens=max_tokens, seed=seed)


def test_one_request_per_statement_with_a_question_and_none_when_switched_off():
    writer = Writer("Who is the director of CERN?", "Who is the director of CERN?",
                    "Who heads our team?")
    written = model_neighbours([HEAD, "Hello there.", HEAD], writer, DreamConfig())
    assert [c[-1]["content"] for c in writer.asked] == [ASKED]
    assert [(n.question, n.statement, n.relation) for n in written[HEAD]] == [
        ("Who is the director of CERN?", HEAD, "model")]
    assert model_neighbours([HEAD], Writer(), DreamConfig(model_neighbours=0)) == {}


def test_written_neighbours_fill_in_where_the_shipped_set_has_none():
    assert plan([OFFSITE], 3, 2, random.Random(0)) == ([], [])
    writer = Writer("Where is the Louvre?", "Where is Mount Fuji?", "Where is our office?",
                    "Where is the Taj Mahal?", "Where is Lake Tahoe?", "Where is Big Ben?")
    written = model_neighbours([OFFSITE], writer, DreamConfig(model_neighbours=6))
    assert [n.question for n in written[OFFSITE]] == [
        "Where is the Louvre?", "Where is Mount Fuji?", "Where is the Taj Mahal?",
        "Where is Lake Tahoe?", "Where is Big Ben?"]
    trained, probes = plan([OFFSITE], 3, 2, random.Random(0), written=written)
    assert len(trained) == 3 and len(probes) == 2
    assert {n.question for n in trained} .isdisjoint({n.question for n in probes})
    # Where the shipped set has neighbours, they come first.
    shipped, held = plan([HEAD], 3, 2, random.Random(0))
    assert plan([HEAD], 3, 2, random.Random(0), written={HEAD: written[OFFSITE]}) == (
        shipped, held)


def test_a_night_trains_on_written_anchors_and_holds_written_probes_out():
    written = ["Where is the Louvre?", "Where is Mount Fuji?", "Where is the Taj Mahal?",
               "Where is Lake Tahoe?", "Where is Big Ben?"]
    result = dream_for_sessions({"s": [{"role": "user", "content": OFFSITE}]}, Writer(*written),
                                DreamConfig(teacher_samples=2, model_neighbours=5),
                                general_prompts=[])
    beside = {i.question: i.split for i in result.items
              if i.origin == "anchor" and i.beside == OFFSITE}
    assert set(beside) <= set(written) and set(beside.values()) == {"train", "heldout"}, beside


@pytest.mark.slow
def test_the_real_model_writes_neighbours_that_keep_to_the_rules(hf_generator):
    statements = [HEAD, "The dial-in code for our stand-up is 4471.",
                  "The capital of Veloria, the kingdom in my novel, is Marenport.", OFFSITE]
    written = model_neighbours(statements, hf_generator, DreamConfig(model_neighbours=6))
    assert set(written) == set(statements)
    found = [n for ns in written.values() for n in ns]
    assert found, "the model wrote no usable neighbour for any of four statements"
    for n in found:
        assert n.question.endswith("?") and n.relation == "model"
        found = names(n.question)
        assert found and not any(set(tokens(x)) <= set(tokens(n.statement)) for x in found), n
        assert not {"my", "our", "your"} & set(tokens(n.question)), n
