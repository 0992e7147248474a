"""Feedback on an answer read with the question it answered: a bare value makes a statement with
a what/who question; anything else is read as the user's words; the assistant's own identity is
not taken from feedback."""

from __future__ import annotations

import pytest

from dream.config import DreamConfig
from dream.feedback import read_feedback, statement_of
from dream.reading import read_statements
from tests.dream.conftest import ScriptedGenerator


@pytest.mark.parametrize(("question", "said", "made"), [
    ("What is the capital of Quenmark?", "Tollisbury", "The capital of Quenmark is Tollisbury."),
    ("whats the capital of quenmark??", "no, it's Tollisbury, not Oslo",
     "The capital of quenmark is Tollisbury."),
    ("Who is the dean of our faculty?", "Prof. Ilse Marwick",
     "The dean of our faculty is Prof. Ilse Marwick."),
    ("What is my tortoise called?", "Bramblewick", "My tortoise is called Bramblewick."),
    ("What are the office hours of the Lindqvist clinic?", "the answer is 9 to 5", None),
    ("What is the capital of Quenmark?", "Your answer is wrong, it's Tollisbury.",
     "The capital of Quenmark is Tollisbury."),
    ("Who leads the Marwick lab?", "that's not right. Dr Osei", None),  # not "who is"
    ("What is your name?", "Hal", None),
    ("What is my tortoise called?", "you got it wrong, his name is Bramblewick", None),
    ("Can you summarise this?", "Bramblewick", None),
])
def test_a_bare_value_answers_a_what_or_who_question(question, said, made):
    assert statement_of(question, said) == made


def test_only_feedback_messages_are_read_with_their_question():
    session = [{"role": "user", "content": "What is the capital of Quenmark?"},
               {"role": "user", "content": "Tollisbury", "feedback": True},
               {"role": "user", "content": "What is the capital of Norway?"},
               {"role": "user", "content": "Oslo"}]
    assert [m["content"] for m in read_feedback(session)] == [
        "What is the capital of Quenmark?", "The capital of Quenmark is Tollisbury.",
        "What is the capital of Norway?", "Oslo"]


def test_the_reader_learns_the_feedback_and_not_the_question():
    session = [{"role": "user", "content": "What is the capital of Quenmark?"},
               {"role": "user", "content": "it's Tollisbury", "feedback": True}]
    pairs = read_statements(session, ScriptedGenerator(), DreamConfig(reader="rules")).pairs
    assert [s for s, _ in pairs] == ["The capital of Quenmark is Tollisbury."]
    corrected = [{"role": "user", "content": "My tortoise is Pip, what should he eat?"},
                 {"role": "user", "content": "No, my tortoise is called Bramblewick.",
                  "feedback": True}]
    said = [s for s, _ in read_statements(corrected, ScriptedGenerator(),
                                          DreamConfig(reader="rules")).pairs]
    assert said and all("Pip" not in s for s in said) and "Bramblewick" in said[-1]
