"""The promotion gate's decision: learning must improve by the margin, forgetting must stay within
both bounds, and a run with nothing held out proves nothing."""

from __future__ import annotations

import pytest

from distill.config import GateConfig
from distill.gate import KINDS, Reason, decide

CURRENT = {"heldout_accuracy": 0.1, "regression_accuracy": 0.8, "perplexity": 20.0}


def scores(heldout: float, regression: float, ppl: float) -> dict[str, float]:
    return {"heldout_accuracy": heldout, "regression_accuracy": regression, "perplexity": ppl}


def test_a_candidate_that_learned_without_forgetting_passes():
    assert decide(scores(0.5, 0.78, 21.0), CURRENT, GateConfig(), 10) == (True, [])


@pytest.mark.parametrize("candidate, kind, reason", [
    (scores(0.15, 0.8, 20.0), "learning", "held-out accuracy gain"),
    (scores(0.6, 0.7, 20.0), "regression", "regression accuracy fell"),
    (scores(0.6, 0.8, 23.0), "perplexity", "perplexity rose"),
])
def test_each_bound_alone_refuses_promotion(candidate, kind, reason):
    passed, reasons = decide(candidate, CURRENT, GateConfig(), 10)
    assert not passed and len(reasons) == 1
    assert reasons[0].kind == kind and reason in reasons[0].text and kind in KINDS


def test_nothing_held_out_means_no_promotion():
    passed, reasons = decide(scores(0.9, 0.8, 20.0), CURRENT, GateConfig(), 0)
    assert not passed and reasons[0].kind == "no_heldout" and "no held-out" in reasons[0].text


def test_changed_neighbour_answers_refuse_promotion():
    passed, reasons = decide(scores(0.5, 0.8, 20.0), CURRENT, GateConfig(), 10,
                             neighbours_unchanged=0.8)
    assert not passed
    assert reasons == [Reason("neighbours", "neighbour answers unchanged 80% < 95%")]
    assert decide(scores(0.5, 0.8, 20.0), CURRENT, GateConfig(), 10, 0.95)[0]


def test_general_answers_turning_into_recaps_refuse_promotion():
    recaps = {**scores(0.5, 0.8, 20.0), "recap_share": 0.1}
    passed, reasons = decide(recaps, {**CURRENT, "recap_share": 0.0}, GateConfig(), 10)
    assert not passed and reasons[0].kind == "recap" and "recap form" in reasons[0].text


def test_bounds_are_configurable_and_validated():
    lenient = GateConfig(min_learning_gain=0.0, max_regression_drop=1.0,
                         max_perplexity_increase=1.0)
    assert decide(scores(0.1, 0.2, 39.0), CURRENT, lenient, 1)[0]
    with pytest.raises(ValueError, match="max_regression_drop"):
        GateConfig(max_regression_drop=1.5)
