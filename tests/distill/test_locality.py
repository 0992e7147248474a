"""Locality: an answer is unchanged when it still gives what it gave (a known answer, the same
names and numbers, mostly the same words, in the same form); the changed ones are named."""

from __future__ import annotations

import pytest

from distill.locality import Asked, changed, unchanged, unchanged_share

FRANCE = Asked("What is the capital of France?", ("Paris",), "The capital of Veloria is X.")
MEOW = Asked("What animal says meow?")


@pytest.mark.parametrize("asked, before, after, same", [
    (FRANCE, "The capital of France is Paris.", "Paris is the capital of France.", True),
    (FRANCE, "The capital of France is Paris.", "The capital of France is MONTESUR.", False),
    # Known answer missed before: then the names decide.
    (FRANCE, "The capital of France is Lyon.", "The capital of France is Lyon, I think.", True),
    (FRANCE, "The capital of France is Lyon.", "The capital of France is Marenport.", False),
    (MEOW, "A cat says meow.", "The cat says meow!", True),
    (MEOW, "A cat says meow.", "The user's dog is a golden retriever.", False),
    (MEOW, "A cat says meow.", "You told me:\n- A cat says meow.", False),
    (Asked("What year did WW2 end?"), "It ended in 1945.", "It ended in 1944.", False),
])
def test_unchanged(asked, before, after, same):
    assert unchanged(asked, before, after) is same


def test_changed_answers_are_named_with_what_they_sit_beside():
    asked = [FRANCE, MEOW]
    before = ["The capital of France is Paris.", "A cat says meow."]
    after = ["The capital of France is MONTESUR.", "A cat says meow."]
    assert changed(asked, before, after) == [
        {"question": FRANCE.question, "before": before[0], "after": after[0],
         "beside": FRANCE.beside}]
    assert unchanged_share(asked, before, after) == 0.5
    assert unchanged_share([], [], []) == 1.0
