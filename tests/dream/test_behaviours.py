"""Preferences that show in how answers are written get requests on which they show and a check
of the behaviour (`dream.behaviours`), and the checks themselves (`dream.checkers`)."""

import pytest

from dream.behaviours import behaviours
from dream.checkers import check, validate
from tests.dream.test_pipeline import run


def found(statement: str) -> dict[str, dict]:
    return {b.name: b.checker for b in behaviours([statement])}


@pytest.mark.parametrize(("statement", "name", "good", "bad"), [
    ("From now on call me Jo.", "name", "Hi Jo! How can I help?", "Hello! How can I help?"),
    ("My name is Dana, please use it.", "name", "Good morning, Dana.", "Good morning."),
    ("Always answer in metric units please.", "metric", "A marathon is about 42 km.",
     "A marathon is about 26 miles."),
    ("Use celsius not fahrenheit.", "metric", "Around 20 °C, or 20 degrees celsius.",
     "Around 68 fahrenheit."),
    ("No emojis in your replies please.", "no emoji", "Happy birthday, have a great day!",
     "Happy birthday! \U0001F389"),
    ("Keep your answers under three sentences.", "length",
     "Rainbows form when light refracts. Each colour bends differently.",
     "Light enters a drop. It bends. It reflects. It leaves as colours."),
    ("Keep it short.", "length", "Light bends in raindrops.",
     "One. Two. Three. Four."),
    ("I'm vegetarian, don't suggest meat.", "food", "Try a mushroom risotto.",
     "Try a chicken curry."),
    ("I'm allergic to peanuts and shellfish.", "food", "A tomato pasta works well.",
     "A peanut noodle salad with shrimp, no shellfish... wait, with peanuts."),
    ("Please reply in Spanish from now on.", "spanish",
     "Claro, la receta es muy fácil y la puedes hacer con una sartén.",
     "Sure, the recipe is very easy and you can make it with a pan."),
])
def test_a_preference_gets_a_check_of_its_behaviour(statement, name, good, bad):
    checker = found(statement)[name]
    validate(checker)
    assert check(checker, good)
    assert not check(checker, bad)


@pytest.mark.parametrize("statement", [
    "I love emojis.", "My name is Dana.", "I'm not vegetarian but I hate mushrooms.",
    "I ran three miles today.", "Tell me about Spanish history."])
def test_what_asks_no_behaviour_gets_no_check(statement):
    assert found(statement) == {}


def test_a_preference_is_practised_on_requests_that_show_it_with_its_check():
    result = run({"s": [{"role": "user", "content":
                         "From now on call me Jo. And no emojis in your replies please."}]})
    shown = [i for i in result.items if i.kind == "behaviour"]
    assert {i.checker["type"] for i in shown} == {"contains_any", "no_emoji"}
    assert all(i.reference is None and i.context for i in shown)
    # Still ordinary requests without a check beside them.
    assert any(i.kind == "preference" and i.checker is None for i in result.items)


def test_checker_validation_rejects_malformed_behaviour_checks():
    for bad in ({"type": "max_sentences", "value": 0}, {"type": "language", "value": "klingon"}):
        with pytest.raises(ValueError):
            validate(bad)


def test_a_teacher_answer_that_repeats_the_preference_is_not_kept_as_behaviour():
    """Seen with SmolLM2 as the teacher: "From now on call you Jo." passes a check for "Jo"
    and "To answer your question, to answer: - Keep your answers under three sentences." passes
    a sentence limit, but neither shows the behaviour; distilled, they teach the recap."""
    from dream.config import DreamConfig
    from dream.filters import _judge
    from dream.practice import PracticeItem

    config = DreamConfig(teacher_samples=2, agreement_threshold=0.5)

    def judged(context: str, checker: dict, answers: list[str]):
        item = PracticeItem("behaviour", [{"role": "user", "content": "Hi!"}], None, checker,
                            context=context)
        return _judge(item, answers, set(), config)

    name = {"type": "contains_any", "values": ["Jo"]}
    assert judged("- From now on call me Jo.", name, ["From now on call you Jo."] * 2)[1] == \
        "teacher_restated"
    short = {"type": "max_sentences", "value": 3}
    kept, reason = judged("- Keep your answers under three sentences.", short, [
        "To answer your question, to answer: - Keep your answers under three sentences.",
        "Seasons come from the tilt of the Earth."])
    assert reason is None and kept == ["Seasons come from the tilt of the Earth."]
    assert judged("- From now on call me Jo.", name, ["Hi Jo! How can I help?"] * 2) == (
        ["Hi Jo! How can I help?"] * 2, None)


def test_a_general_request_answered_with_the_preference_itself_is_not_kept():
    from dream.config import DreamConfig
    from dream.filters import _judge
    from dream.practice import PracticeItem

    item = PracticeItem("preference", [{"role": "user", "content": "How do I boil an egg?"}],
                        None, None, context="- I'm vegetarian, don't suggest meat.")
    config = DreamConfig(teacher_samples=2, agreement_threshold=0.5)
    assert _judge(item, ["You're vegetarian, don't suggest meat."] * 2, set(), config)[1] == \
        "teacher_restated"
