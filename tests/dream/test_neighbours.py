"""Neighbours of a statement: the knowledge set is organised by relation and well formed; a
statement's relation gives general questions about other subjects and its names are asked other
relations of their kind; a run's anchors and held-out neighbour questions never overlap."""

from __future__ import annotations

import random

from dream.datasets import load_relations
from dream.neighbours import neighbours_of, plan, relations, relations_of
from dream.textnorm import normalize

CAPITAL = "Ostravia is a small republic, and its capital is Lunden."


def test_the_knowledge_set_is_large_and_organised_by_relation():
    rows = load_relations()
    assert len(rows) >= 20 and sum(len(r["facts"]) for r in rows) >= 250
    assert len({r["relation"] for r in rows}) == len(rows)
    kinds = [r.kind for r in relations()]
    assert any(kinds.count(k) >= 3 for k in kinds), "some kind of subject has several relations"


def test_a_statement_finds_its_relation_by_its_words():
    assert "capital" in {r.name for r in relations_of(CAPITAL)}
    assert not relations_of("I had a lovely day.")


def test_neighbours_share_the_relation_or_the_subject_never_the_fact():
    found = neighbours_of(CAPITAL, random.Random(0))
    questions = [n.question for n in found]
    assert any("capital" in q.lower() and "France" in q for q in questions)
    # Its own names asked other relations of a country ("What currency is used in Ostravia?").
    own = [n for n in found if "Ostravia" in n.question]
    assert own and all(n.relation != "capital" and not n.accepted for n in own)
    # Never the learned question itself, and known answers where the set has them.
    assert not any("capital" in q.lower() and "Ostravia" in q for q in questions)
    assert all(n.accepted for n in found if "Ostravia" not in n.question
               and "Lunden" not in n.question and n.relation != "form")
    # The practised question's own form about other countries, with the set's answers where it
    # asks the shared relation ("What is the capital of Japan?"), none where it asks another.
    form = {n.question: n.accepted for n in found if n.relation == "form"}
    assert any("capital of" in q and a for q, a in form.items()), form
    assert all(not a for q, a in form.items() if "capital" not in q), form
    assert not any("Ostravia" in q or "Lunden" in q for q in form)


def test_the_fact_a_statement_states_is_not_its_own_neighbour():
    """A user who states a general fact ("Bombay was renamed to Mumbai") is not told otherwise
    by an anchor asking the same relation of the same subject."""
    statement = "Bombay was renamed to Mumbai."
    matched = {r.name for r in relations_of(statement)}
    found = neighbours_of(statement, random.Random(0))
    assert found and any(n.relation in matched for n in found)
    assert not any(n.relation in matched and "Bombay" in n.question for n in found)


def test_anchors_and_probes_are_disjoint_and_counted_per_statement():
    statements = [CAPITAL, "The Kessel Tower opened in 2003.", "I had a lovely day."]
    taken = {normalize("What is the capital of France?")}
    anchors, probes = plan(statements, 3, 2, random.Random(1), taken)
    a = {normalize(n.question) for n in anchors}
    p = {normalize(n.question) for n in probes}
    assert len(a) == len(anchors) and len(p) == len(probes) and not a & p and not (a | p) & taken
    for statement in statements[:2]:
        assert sum(n.statement == statement for n in anchors) == 3
        assert sum(n.statement == statement for n in probes) == 2
    assert not any(n.statement == statements[2] for n in anchors + probes)
    assert plan(statements, 3, 2, random.Random(1), taken) == (anchors, probes)
