"""What a refusal for damage points at: a changed neighbour at the statement beside it, a changed
general answer at the statements sharing its relation; perplexity alone at nothing."""

from __future__ import annotations

from distill.attribution import STRONG, culprits, refused_for_damage

CAPITAL = "The capital of Veloria is Marenport."
DOG = "My dog is called Biscuit."
BRIDGE = "The Varnholt Bridge opened in 1987."


def change(question: str, beside: str | None = None) -> dict:
    return {"question": question, "before": "Paris.", "after": "Marenport.", "beside": beside}


def test_changes_point_at_their_statements():
    locality = {"changed_neighbours": [change("What is the currency of Veloria?", CAPITAL)],
                "changed_general": [change("What is the capital of Spain?"),
                                    change("What animal says meow?"),
                                    change("Who wrote Hamlet?")]}
    found = culprits(locality, [CAPITAL, DOG, BRIDGE])
    assert set(found) == {CAPITAL, DOG}
    assert len(found[CAPITAL]) == 2
    assert found[CAPITAL][1] == "What is the capital of Spain? 'Paris.' -> 'Marenport.'"
    assert culprits({}, [CAPITAL]) == {}


def test_only_changed_answers_count_as_damage():
    assert refused_for_damage(["regression"])
    assert refused_for_damage(["learning", "neighbours"])
    assert refused_for_damage(["recap"])
    assert not refused_for_damage(["perplexity"])
    assert not refused_for_damage(["learning", "no_heldout"])
    assert not refused_for_damage([])


def test_a_statement_is_blamed_strongly_only_for_what_it_taught_elsewhere():
    """A leak of its names or the recap form is strong; a right answer lost is weak, and a
    change recorded before damage had kinds counts as any."""
    leak = {**change("What is the capital of Spain?"), "damage": "leak"}
    lost = {**change("What is the currency of Veloria?", CAPITAL), "damage": "lost"}
    pet = {**change("What is Priya's dog's name?", DOG), "damage": "lost"}
    locality = {"changed_neighbours": [lost, pet], "changed_general": [leak]}
    assert set(culprits(locality, [CAPITAL, DOG])) == {CAPITAL, DOG}
    assert set(culprits(locality, [CAPITAL, DOG], STRONG)) == {CAPITAL}
    old = {"changed_neighbours": [change("What is Priya's dog's name?", DOG)]}
    assert set(culprits(old, [DOG], STRONG)) == {DOG}


def test_a_leak_points_at_the_statement_whose_names_it_brought_in():
    farm = "I work as a beekeeper at Hollowmere Farm."
    town = "I live in Grindlewick, a small town by the sea."
    leak = {"question": "Where does Neil Armstrong live?", "before": "On the Moon, once.",
            "after": "He lives at Hollowmere Farm.", "beside": town, "damage": "leak"}
    assert set(culprits({"changed_neighbours": [leak]}, [farm, town])) == {farm}
    lost = {**leak, "after": "Somewhere.", "damage": "lost"}
    assert set(culprits({"changed_neighbours": [lost]}, [farm, town])) == {town}


def test_a_general_answer_that_leaks_points_at_its_source_whatever_its_relation():
    dog = "My dog is called Pemberton."
    leak = {"question": "Who wrote Hamlet?", "before": "Shakespeare.",
            "after": "It was written by Pemberton.", "beside": None, "damage": "leak"}
    assert set(culprits({"changed_general": [leak]}, [dog, CAPITAL])) == {dog}
