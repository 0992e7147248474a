"""Answer spans and their checkers: the short right answer passes, the rest of a clause is cut."""

from dream.checkers import check
from dream.spans import checker_for, contrast, trim


def test_trim_and_checker_for():
    assert trim("Oslo, which is cold, now.") == "Oslo"
    assert trim("12 Harbor Street last month") == "12 Harbor Street"
    assert checker_for("seven years old") == {"type": "number", "value": 7}
    assert checker_for("a software engineer") == {
        "type": "contains_any", "values": ["software engineer", "software", "engineer"]}


def test_a_span_ends_where_a_coordinated_clause_begins():
    assert trim("4471 and standup is at 9:15 every day") == "4471"
    assert trim("Biscuit and she is 7") == "Biscuit"
    assert trim("Oslo and my sister lives in Rome") == "Oslo"
    assert trim("Lisbon in 2019") == "Lisbon"
    # No subject and verb after "and": still one phrase.
    assert trim("salt and pepper") == "salt and pepper"
    assert trim("bread and butter cookies") == "bread and butter cookies"


def test_contrasts_split_the_chosen_from_the_other():
    assert contrast("Python over JavaScript") == ("Python", "JavaScript")
    assert contrast("tea rather than coffee") == ("tea", "coffee")
    assert contrast("Lisbon, not Porto") == ("Lisbon", "Porto")
    assert contrast("green tea") == ("green tea", None)


def test_dates_and_times_are_checked_by_their_parts():
    march = checker_for("March 2020")
    assert check(march, "in March of 2020") and not check(march, "March 20th")
    assert check(checker_for("June 3rd"), "the 3rd of June")
    assert checker_for("9:15") == {"type": "contains_any", "values": ["9:15"]}
