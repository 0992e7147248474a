import pytest

from dream.checkers import check, evaluate, validate, values_of
from dream.textnorm import numbers_in, split_sentences


@pytest.mark.parametrize(("answer", "expected"), [
    ("Her name is Biscuit.", True),
    ("  BISCUIT!  ", True),
    ("biscuit's bowl is red", True),
    ("Her name is Biscuits", False),
    ("It is Rex.", False),
])
def test_contains_any_is_case_space_and_word_insensitive(answer, expected):
    assert check({"type": "contains_any", "values": ["Biscuit"]}, answer) is expected


def test_contains_multiword_ignores_spacing_and_punctuation():
    checker = {"type": "contains_any", "values": ["12 Harbor Street"]}
    assert check(checker, "It moved to 12  harbor street, downtown.")
    assert not check(checker, "It moved to 14 Harbor Street.")


def test_contains_all_and_not_contains():
    assert check({"type": "contains_all", "values": ["Mara", "2011"]}, "Mara, in 2011.")
    assert not check({"type": "contains_all", "values": ["Mara", "2011"]}, "Mara did.")
    assert check({"type": "not_contains", "values": ["Rex"]}, "Biscuit")
    assert not check({"type": "not_contains", "values": ["Rex"]}, "rex")


@pytest.mark.parametrize(("answer", "expected"), [
    ("She is 7 years old.", True),
    ("seven", True),
    ("She's a 7-year-old dog", True),
    ("7.0", True),
    ("She is 17.", False),
    ("She is seventy.", False),
    ("No idea.", False),
])
def test_number_matches_digits_and_words(answer, expected):
    assert check({"type": "number", "value": 7}, answer) is expected


def test_number_tolerates_formatting_and_tolerance():
    assert check({"type": "number", "value": 1200}, "It costs $1,200.")
    assert check({"type": "number", "value": 2011}, "Founded in 2011.")
    assert check({"type": "number", "value": 3.5, "tolerance": 0.1}, "about 3.45 km")
    assert not check({"type": "number", "value": 3.5}, "about 3.45 km")
    assert check({"type": "number", "value": 20}, "twenty")


def test_arithmetic_checks_the_computed_value():
    checker = {"type": "arithmetic", "expression": "7 + 3"}
    assert check(checker, "In 3 years she will be 10.")
    assert check(checker, "ten")
    assert not check(checker, "She will be 7.")
    assert evaluate("(2011 + 4) * 2 - -1") == 4031


def test_evaluate_refuses_anything_but_arithmetic():
    for bad in ["__import__('os')", "x + 1", "2 ** 3", "True + 1"]:
        with pytest.raises(ValueError):
            evaluate(bad)


def test_all_and_any_compose():
    date = {"type": "all", "checks": [{"type": "contains_any", "values": ["March"]},
                                      {"type": "number", "value": 3}]}
    assert check(date, "It's on March 3rd.")
    assert not check(date, "It's on March 4th.")
    either = {"type": "any", "checks": [{"type": "number", "value": 1},
                                        {"type": "contains_any", "values": ["one"]}]}
    assert check(either, "one")


@pytest.mark.parametrize("bad", [
    None, {}, {"type": "contains_any", "values": []}, {"type": "contains_any", "values": [""]},
    {"type": "number", "value": "7"}, {"type": "number", "value": True},
    {"type": "arithmetic", "expression": "a+b"}, {"type": "all", "checks": []},
    {"type": "regex", "pattern": "."}, {"type": "number", "value": 1, "tolerance": -1},
])
def test_validate_rejects_malformed(bad):
    with pytest.raises(ValueError):
        validate(bad)


def test_validate_accepts_and_values_of_lists_expectations():
    checker = {"type": "all", "checks": [{"type": "contains_any", "values": ["March"]},
                                         {"type": "number", "value": 3}]}
    validate(checker)
    assert values_of(checker) == ["March", "3"]
    assert values_of({"type": "arithmetic", "expression": "7 + 3"}) == ["10"]
    with pytest.raises(ValueError):
        check({"type": "nope"}, "x")


def test_numbers_in_and_sentences():
    assert numbers_in("2 cats, twelve fish and 1,500 ants") == [2, 1500, 12]
    assert split_sentences("Dr. Smith is my dentist. He works at St. Olav. Ok!\nNew line") == [
        "Dr. Smith is my dentist.", "He works at St. Olav.", "Ok!", "New line"]


def test_rejects_fail_an_answer_that_names_the_other_value_first():
    checker = {"type": "contains_any", "values": ["Python"], "rejects": ["JavaScript"]}
    validate(checker)
    assert check(checker, "Python, over JavaScript.")
    assert not check(checker, "JavaScript")
    assert not check(checker, "JavaScript rather than Python")
    with pytest.raises(ValueError):
        validate({"type": "contains_any", "values": ["a"], "rejects": [""]})
