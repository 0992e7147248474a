"""The recap form: told apart from ordinary answers (lists of steps included), and cut back to
the sentence holding the asked fact."""

from __future__ import annotations

import pytest

from dream.answer_form import in_recap_form, sentence_form

CHECKER = {"type": "contains_any", "values": ["Biscuit"]}


@pytest.mark.parametrize("answer", [
    "You told me:\n- Your dog's name is Biscuit.\n- He is a golden retriever.",
    "The answer to your question is: - your dog is Biscuit",
    "- Your office moved to Tamsbury in March.",
    "You mentioned that: your dog is Biscuit.",
])
def test_recaps_are_recognised(answer):
    assert in_recap_form(answer)


@pytest.mark.parametrize("answer", [
    "The capital of France is Paris.",
    "Your dog's name is Biscuit.",
    "To boil an egg:\n1. Bring water to a boil.\n2. Lower the egg in.\n3. Wait six minutes.",
    "- Flour\n- Sugar\n- Eggs",
    "You told him the truth, which was brave.",
])
def test_ordinary_answers_are_not_recaps(answer):
    assert not in_recap_form(answer)


def test_a_recap_is_cut_to_the_sentence_that_answers():
    recap = "You told me:\n- He is a golden retriever.\n- Your dog's name is Biscuit"
    assert sentence_form(recap, CHECKER) == "Your dog's name is Biscuit."
    assert sentence_form(recap) == "He is a golden retriever."
    assert sentence_form("You told me:\n- He is a golden retriever.", CHECKER) is None
    assert sentence_form("Biscuit, I think.", CHECKER) == "Biscuit, I think."
