"""The gate's retention check: earlier nights' questions sampled across their insights, and the
facts the serving adapter answers that a candidate lost, named."""

from __future__ import annotations

import pytest

from distill.config import GateConfig
from distill.gate import decide
from distill.retention import Earlier, report, sample

SCORES = {"heldout_accuracy": 0.6, "regression_accuracy": 0.8, "perplexity": 20.0}
CURRENT = {"heldout_accuracy": 0.1, "regression_accuracy": 0.8, "perplexity": 20.0}


def probe(question: str, about: str, value: str = "x") -> Earlier:
    return Earlier([{"role": "system", "content": "Be brief."},
                    {"role": "user", "content": question}],
                   {"type": "contains_all", "values": [value]}, about)


def test_every_insight_is_asked_before_any_is_asked_twice():
    probes = [probe(f"q{i} of {about}", about) for about in ("cat", "city", "job")
              for i in range(5)] + [probe("the only one", "car")]
    picked = sample(probes, 6, seed=7)
    assert len(picked) == 6
    assert {p.about for p in picked[:4]} == {"cat", "city", "job", "car"}
    assert sorted(p.about for p in picked[4:]) != ["car", "car"]  # car has one question only
    assert sample(probes, 6, seed=7) == picked  # the same run samples the same questions
    assert len(sample(probes, 100, seed=1)) == len(probes)
    assert sample([], 5, seed=1) == []


def test_a_lost_fact_is_one_the_serving_adapter_answered_and_the_candidate_does_not():
    probes = [probe("What is my cat called?", "The user has a cat named Miso.", "Miso"),
              probe("Where do I live?", "The user lives in Lyon.", "Lyon"),
              probe("What do I drive?", "The user drives a Volvo.", "Volvo")]
    before = [("Your cat is Miso.", True), ("You live in Lyon.", True), ("A car.", False)]
    after = [("Your cat is Tom.", False), ("You live in Lyon.", True), ("A Volvo.", True)]
    kept = report(probes, before, after)
    assert kept["asked"] == 3 and kept["known_before"] == 2 and kept["known_after"] == 2
    assert kept["lost_share"] == 0.5  # one of the two it knew; the Volvo was never known
    assert kept["lost"] == [{"question": "What is my cat called?",
                             "about": "The user has a cat named Miso.",
                             "before": "Your cat is Miso.", "after": "Your cat is Tom."}]
    assert report([], [], [])["lost_share"] == 0.0


@pytest.mark.parametrize("lost, passed", [(0.0, True), (0.2, True), (0.25, False)])
def test_losing_earlier_facts_past_the_bound_refuses_promotion(lost, passed):
    ok, reasons = decide(SCORES, CURRENT, GateConfig(), 10, earlier_lost=lost)
    assert ok is passed
    if not passed:
        assert [r.kind for r in reasons] == ["earlier"]
        assert reasons[0].text == "facts of earlier nights lost 25% > 20%"


def test_the_retention_bounds_are_validated():
    with pytest.raises(ValueError, match="max_earlier_lost"):
        GateConfig(max_earlier_lost=1.5)
    with pytest.raises(ValueError, match="earlier_questions"):
        GateConfig(earlier_questions=-1)
