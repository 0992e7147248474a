"""Neighbours in the practised question's own form: the user's question asked of other people and
organisations, a named subject's of others of its kind; never the statement's own value or names;
and a run's anchor budget shared by every statement."""

from __future__ import annotations

import random

from dream.form_anchors import ORDINARY_NAMES, form_questions
from dream.neighbours import _of_kind, neighbours_of, plan, relations

FAMOUS = {"singular": ["Marie Curie", "Charles Darwin"], "plural": ["Sony", "Starbucks"]}


def questions(statement: str, alike: list[str] = ()) -> list[str]:
    return [q for q, _ in form_questions(statement, FAMOUS, list(alike), random.Random(0))]


def test_the_users_question_is_asked_of_other_people_with_the_verb_agreeing():
    found = questions("I work as a beekeeper at Hollowmere Farm.")
    living = [q for q in found if q.endswith("do for a living?")]
    assert len(living) == 4 and all(q.startswith("What does ") for q in living), found
    assert any("Marie Curie" in q or "Charles Darwin" in q for q in living)
    assert any(q.split()[2] in ORDINARY_NAMES for q in living)
    assert all("beekeeper" not in q and "Hollowmere" not in q for q in found)
    assert any(q.startswith("Where does ") and q.endswith(" work?") for q in found)


def test_the_users_things_become_someone_elses_and_the_users_name_for_them_goes():
    found = questions("My sister Lena lives in Porto.")
    assert any(q.startswith("Where does ") and q.endswith("'s sister live?") for q in found)
    assert not any("Lena" in q or "Porto" in q for q in found), found
    assert any(q.startswith("How old is ") for q in questions("I am 34 years old."))


def test_a_groups_things_go_to_organisations_and_possessives_are_spelled_right():
    found = questions("The head of our lab is Dr. Amara Osei.")
    assert any(q in found for q in ("Who is the head of Sony's lab?",
                                    "Who is the head of Starbucks' lab?")), found
    assert not any("Marie Curie" in q or "Amara" in q for q in found), found


def test_a_named_subject_is_swapped_for_others_of_its_kind_only():
    found = questions("The capital of Ostravel is Quenmarsh.", ["France", "Peru"])
    assert "What is the capital of France?" in found and "What is the capital of Peru?" in found
    assert not questions("The capital of Ostravel is Quenmarsh.")  # no kind known: nothing
    assert not any("Quenmarsh" in q or "Ostravel" in q for q in found)


def test_form_neighbours_come_first_and_get_the_sets_answers_where_they_ask_its_relation():
    found = neighbours_of("I work as a beekeeper at Hollowmere Farm.", random.Random(0))
    assert found[0].relation == "form" and not found[0].accepted
    capital = [n for n in neighbours_of("The capital of Ostravel is Quenmarsh.", random.Random(0))
               if n.relation == "form"]
    known = dict(next(r for r in relations() if r.name == "capital").facts)
    assert any(n.accepted for n in capital)
    assert all(n.accepted in ((), known.get(n.question.split(" of ")[-1].rstrip("?"), n.accepted))
               for n in capital if "'s" not in n.question)
    assert _of_kind({"person"}) and _of_kind({"company"})


def test_a_capped_anchor_budget_is_shared_by_every_statement():
    statements = ["My dog is called Pemberton.", "I live in Grindlewick, a small town by the sea.",
                  "I work as a beekeeper at Hollowmere Farm.",
                  "The capital of Ostravel is Quenmarsh."]
    anchors, probes = plan(statements, 3, 2, random.Random(0))
    assert len(anchors) == 12 and len(probes) == 8
    # The run keeps its first six anchors: every statement has some.
    assert {n.statement for n in anchors[:6]} == set(statements)
    assert {n.statement for n in probes[:4]} == set(statements)


def test_a_statement_sharing_a_relation_takes_more_anchors_after_every_statements_own():
    statements = ["My dog is called Pemberton.", "The capital of Ostravel is Quenmarsh."]
    anchors, _ = plan(statements, 3, 2, random.Random(0), relation_anchors=5)
    capital = [n for n in anchors if n.statement == statements[1]]
    assert len(capital) == 8 and sum(n.statement == statements[0] for n in anchors) == 3
    assert anchors[-1].statement == statements[1]  # the extra ones come last
    assert sum("capital of" in n.question for n in capital) >= 6


def test_form_neighbours_can_be_anchors_only():
    statements = ["My dog is called Pemberton.", "I work as a beekeeper at Hollowmere Farm."]
    anchors, probes = plan(statements, 4, 2, random.Random(0), form_probes=False)
    assert sum(n.relation == "form" for n in anchors) >= 4
    assert probes and not any(n.relation == "form" for n in probes)
    with_forms = plan(statements, 4, 2, random.Random(0))[1]
    assert any(n.relation == "form" for n in with_forms)
