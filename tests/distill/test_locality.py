"""Locality: an answer counts as changed when the candidate does damage there (a right answer
made wrong, something taught brought in, the recap form), not when a wrong answer stays wrong in
other words; the changed ones are named with the statement beside them."""

from __future__ import annotations

import pytest

from distill.locality import Asked, changed, taught_names, unchanged, unchanged_share

PARIS = {"type": "contains_any", "values": ["Paris"]}
CAPITAL = "The capital of Veloria is Marenport."
FRANCE = Asked("What is the capital of France?", PARIS, CAPITAL)
PORTUGAL = Asked("What is the capital of Portugal?", {"type": "contains_any",
                                                       "values": ["Lisbon"]}, CAPITAL)
MEOW = Asked("What animal says meow?", {"type": "contains_any", "values": ["cat"]})
CURRENCY = Asked("What is the currency of Veloria?", None, CAPITAL)
TAUGHT = taught_names([CAPITAL, "My dog is called Pemberton."])


@pytest.mark.parametrize("asked, before, after, same", [
    (FRANCE, "The capital of France is Paris.", "Paris is the capital of France.", True),
    (FRANCE, "The capital of France is Paris.", "The capital of France is MONTESUR.", False),
    # Wrong before: staying wrong in other words is no damage, bringing in the taught name is.
    (PORTUGAL, "Portugal is a country in Europe.", "Portugal is the largest country.", True),
    (PORTUGAL, "Portugal is a country in Europe.", "The capital of Portugal is Marenport.", False),
    (PORTUGAL, "It is Porto.", "It is Lisbon.", True),  # a wrong answer made right
    (MEOW, "A cat says meow.", "The user's dog Pemberton says meow.", False),
    (MEOW, "A cat says meow.", "You told me:\n- A cat says meow.", False),
    (CURRENCY, "I don't know Veloria.", "The currency of Veloria is the Marenport.", False),
    (CURRENCY, "I don't know Veloria.", "Veloria uses the veloran.", True),
    (Asked("How many sides does a square have?", {"type": "number", "value": 4}),
     "The answer is 1. A square has four sides.", "A square has four sides.", True),
])
def test_unchanged(asked, before, after, same):
    assert unchanged(asked, before, after, TAUGHT) is same


def test_changed_answers_are_named_with_what_they_sit_beside():
    asked = [FRANCE, MEOW]
    before = ["The capital of France is Paris.", "A cat says meow."]
    after = ["The capital of France is MONTESUR.", "A cat says meow."]
    assert changed(asked, before, after, TAUGHT) == [
        {"question": FRANCE.question, "before": before[0], "after": after[0],
         "beside": CAPITAL, "damage": "lost"}]
    # What was taught brought in, and the recap form, are named as such.
    leaked = ["The capital of France is Marenport.", after[1]]
    assert [c["damage"] for c in changed(asked, before, leaked, TAUGHT)] == ["leak"]
    recap = ["You told me:\n- The capital is Paris.", after[1]]
    assert [c["damage"] for c in changed(asked, before, recap, TAUGHT)] == ["recap"]
    assert unchanged_share(asked, before, after, TAUGHT) == 0.5
    assert unchanged_share([], [], []) == 1.0
