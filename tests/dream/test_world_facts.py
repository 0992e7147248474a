"""Questions for facts about things in the user's world: a relation of a named thing, asked the
way general questions are; an opening date; what a user does something with; a thing described
and named; "its" resolved to the thing just named."""

from __future__ import annotations

import pytest

from dream.checkers import check
from dream.questions import derive


def asked(statement: str) -> dict[str, str]:
    return {d.question: d.answer for d in derive([statement])}


@pytest.mark.parametrize("statement, question, answer", [
    ("The capital of Ostravia is Lunden.", "What is the capital of Ostravia?", "Lunden"),
    ("Ostravia's capital is Lunden.", "What is the capital of Ostravia?", "Lunden"),
    ("In my novel, the capital of the kingdom of Ostravia is Lunden.",
     "What is the capital of Ostravia?", "Lunden"),
    ("Ostravia is a small republic, and its capital is Lunden.",
     "What is the capital of Ostravia?", "Lunden"),
    ("In our board game the element Brightium has the symbol Bq.",
     "What is the symbol of Brightium?", "Bq"),
    ("In our board game the element Brightium has the symbol Bq.",
     "Which element has the symbol Bq?", "Brightium"),
    ("The Kessel Tower opened in 2003.", "When did the Kessel Tower open?", "2003"),
    ("The Kessel Tower opened in 2003.", "In what year did the Kessel Tower open?", "2003"),
    ("I track my runs with an app called Pacely.", "What app do I track my runs with?",
     "Pacely"),
    ("Our team's robot is a small rover named Dusty.", "What is our team's robot called?",
     "Dusty"),
    ("Our app Sparrow got renamed to Kestrel last month.",
     "What is our app Sparrow called now?", "Kestrel"),
])
def test_world_facts_are_asked_back(statement, question, answer):
    found = asked(statement)
    assert found.get(question) == answer, found


def test_checkers_accept_the_value_and_not_the_subject():
    found = {d.question: d for d in derive(["The capital of Ostravia is Lunden."])}
    checker = found["What is the capital of Ostravia?"].checker
    assert check(checker, "The capital of Ostravia is Lunden.")
    assert not check(checker, "The capital of Ostravia is Paris.")


@pytest.mark.parametrize("statement", [
    "My sister has the flu.",  # possession, not a relation with a name and a value
    "We have the same birthday.",
    "It opened late.",
])
def test_no_world_fact_is_made_up(statement):
    assert not any(d.relation in {"symbol", "when", "instrument"} and d.answer[:1].isupper()
                   for d in derive([statement])), asked(statement)
