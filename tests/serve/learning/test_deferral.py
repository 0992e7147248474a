"""A refused night still learns what it safely can (real PostgreSQL; the training and gate of
the retry are stood in by a function, the real ones run in test_run.py): the run trains again
without the statements the changed answers point at, stores them as deferred insights with the
reason, tries them again on later nights and rejects them after the last."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from distill.config import LearningConfig
from distill.gate import Verdict
from distill.trainer import TrainReport
from dream.checkers import values_of
from dream.insights import render
from serve.config.settings import Settings
from serve.learning.deferral import (
    MIN_EXTRA_GENERAL,
    Outcome,
    give_up,
    learn_safely,
    record,
)
from serve.learning.stages import DEFERRED, Candidate, LearningRun, practice_of
from store.runs import RunStore
from tests.dream.test_narrowing import CAPITAL, PET, SESSIONS
from tests.dream.test_pipeline import run as dream_run

SCORES = {"heldout_accuracy": 0.5, "regression_accuracy": 0.8, "perplexity": 20.0}


def session(db, runs: RunStore) -> uuid.UUID:
    sid = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id) VALUES (%s, %s, %s)",
               (sid, runs.tenant_id, str(sid)))
    return sid


def candidate(name: str) -> Candidate:
    return Candidate({"name": name}, Path(name), None, False, TrainReport("opsd", 1, [0.1], 1.0, 1))


def verdict(passed: bool, reasons: list[str], changed_beside: str | None = None) -> Verdict:
    """A verdict refusing for `reasons`, each "kind: text" as the gate writes them."""
    changes = [{"question": "What is the capital of Spain?", "before": "Madrid.",
                "after": "Lunden.", "beside": changed_beside}] if changed_beside else []
    kinds, texts = zip(*(r.split(": ", 1) for r in reasons), strict=True) if reasons else ((), ())
    return Verdict(passed, list(texts), SCORES, SCORES,
                   {"locality": {"changed_neighbours": changes, "changed_general": []}},
                   list(kinds))


def learning_run(runs: RunStore, tmp_path, **gate) -> LearningRun:
    config = LearningConfig.from_overrides({"gate": gate})
    return LearningRun(Settings(var_dir=tmp_path), runs, runs.create(), config)


def test_a_refusal_for_damage_trains_again_without_the_statements_it_points_at(runs, tmp_path):
    run = learning_run(runs, tmp_path)
    practice = practice_of(2, dream_run(SESSIONS), {})
    refused = verdict(False, ["neighbours: neighbour answers unchanged 50% < 95%"], CAPITAL)
    first = Outcome(practice, candidate("v1"), refused, 0)
    seen = []

    def retrain(again):
        seen.append([s for i in again.result.insights.values() for s in i.statements])
        return candidate("v2"), verdict(True, []), 0

    outcome = learn_safely(run, first, retrain)
    assert seen == [[PET, "Our rehearsal room is at 9 Mill Road."]]
    assert outcome.verdict.passed and outcome.candidate.version["name"] == "v2"
    assert list(outcome.held) == [CAPITAL] and "Spain" in outcome.held[CAPITAL][0]
    report = outcome.report()
    assert report["trainings"] == 2 and report["statements_deferred"][0]["statement"] == CAPITAL
    assert CAPITAL not in report["statements_learned"]


@pytest.mark.parametrize("reasons, beside, retries", [
    (["perplexity: general perplexity rose +12.0% > 10%"], CAPITAL, 1),  # nothing to leave out
    (["neighbours: neighbour answers unchanged 50% < 95%"], CAPITAL, 0),  # no retries
])
def test_no_second_training_when_it_cannot_help(runs, tmp_path, reasons, beside, retries):
    run = learning_run(runs, tmp_path, retries=retries)
    practice = practice_of(2, dream_run(SESSIONS), {})
    first = Outcome(practice, candidate("v1"), verdict(False, reasons, beside), 0)

    def retrain(again):
        raise AssertionError("trained again")

    assert learn_safely(run, first, retrain) is first


def test_damage_pointing_at_no_statement_trains_once_more_anchored_harder(runs, tmp_path):
    run = learning_run(runs, tmp_path, retries=2)
    practice = practice_of(2, dream_run(SESSIONS), {})
    refused = verdict(False, ["regression: regression accuracy fell 0.05 > 0.05"])
    general = [e for e in practice.train if not e.context and not e.checker]
    seen = []

    def retrain(again):
        seen.append(again)
        return candidate(f"v{len(seen) + 1}"), refused, 0  # refused again: no third training

    outcome = learn_safely(run, Outcome(practice, candidate("v1"), refused, 0), retrain)
    [harder] = seen
    added = harder.train[len(practice.train):]
    assert harder.train[:len(practice.train)] == practice.train
    assert len(added) >= max(len(general), MIN_EXTRA_GENERAL)
    assert all(not e.context and not e.checker for e in added)  # the model as it is teaches
    had = {e.prompt[-1]["content"] for e in practice.train}
    new = [e.prompt[-1]["content"] for e in added]
    assert len(new) == len(set(new)) and not had & set(new)  # prompts it had are not added
    assert outcome.attempts == 2 and outcome.held == {}
    assert outcome.report()["statements_learned"] == practice.result.statements()


def test_deferred_statements_are_stored_tried_again_and_rejected_after_the_last_night(
        runs, db, tmp_path):
    run = learning_run(runs, tmp_path, deferral_nights=2)
    sid = session(db, runs)
    [row] = runs.replace_insights(run.run_id, sid, [{"kind": "fact",
                                                      "text": render([CAPITAL, PET])}])
    result = dream_run({str(sid): SESSIONS["w"]})
    practice = practice_of(1, result, {str(sid): row})
    held = {CAPITAL: ["What is the capital of Spain? 'Madrid.' -> 'Lunden.'"]}
    record(run, practice, Outcome(practice, candidate("v2"), verdict(True, []), 0, held, 2))
    [deferred] = runs.deferred_insights()
    assert deferred["text"] == render([CAPITAL]) and deferred["attempts"] == 1
    active = db.execute("SELECT text FROM insights WHERE session_id = %s AND status = 'active'",
                        (sid,)).fetchall()
    assert [r["text"] for r in active] == [render([PET])]
    reason = db.execute("SELECT reason FROM insights WHERE id = %s",
                        (deferred["id"],)).fetchone()["reason"]
    assert "Spain" in reason

    # The next night reads it again like a session; still damaging: tried one night more, and
    # with deferral_nights=2 that was the last: rejected, the reason kept.
    night = learning_run(runs, tmp_path, deferral_nights=2)
    key = f"{DEFERRED}{deferred['id']}"
    again = dream_run({key: [{"role": "user", "content": CAPITAL}]})
    tried = practice_of(0, again, {key: deferred["id"]})
    record(night, tried, Outcome(tried, candidate("v3"), verdict(True, []), 0, held, 2))
    status = db.execute("SELECT status, attempts FROM insights WHERE id = %s",
                        (deferred["id"],)).fetchone()
    assert status == {"status": "rejected", "attempts": 2}
    assert runs.deferred_insights() == []


def test_a_deferred_statement_learned_later_becomes_active(runs, db, tmp_path):
    run = learning_run(runs, tmp_path)
    sid = session(db, runs)
    [row] = runs.replace_insights(run.run_id, sid, [{"kind": "fact", "text": render([CAPITAL])}])
    deferred = runs.defer(row, render([CAPITAL]), None, "changed answers")
    assert db.execute("SELECT status FROM insights WHERE id = %s", (row,)).fetchone() == \
        {"status": "retired"}
    night = learning_run(runs, tmp_path)
    key = f"{DEFERRED}{deferred}"
    tried = practice_of(0, dream_run({key: [{"role": "user", "content": CAPITAL}]}),
                        {key: deferred})
    record(night, tried, Outcome(tried, candidate("v4"), verdict(True, []), 0))
    learned = db.execute("SELECT status, run_id, reason FROM insights WHERE id = %s",
                         (deferred,)).fetchone()
    assert learned == {"status": "active", "run_id": night.run_id, "reason": None}


def test_a_night_reads_deferred_insights_again_under_their_own_rows(runs, db, tmp_path):
    """The next night's dream reads a deferred insight like a session (`_retold`), stores no
    new insight for it, and points its practice at the deferred row."""
    from serve.learning.stages import _retold, _store_insights, _store_practice

    run = learning_run(runs, tmp_path)
    sid = session(db, runs)
    [row] = runs.replace_insights(run.run_id, sid, [{"kind": "fact", "text": render([CAPITAL])}])
    deferred = runs.defer(row, render([CAPITAL]), None, "changed answers")
    [listed] = runs.deferred_insights()
    assert listed["id"] == deferred and _retold(listed) == [{"role": "user", "content": CAPITAL}]
    night = learning_run(runs, tmp_path)
    key = f"{DEFERRED}{deferred}"
    result = dream_run({key: _retold(listed)})
    assert result.insights[key].statements == [CAPITAL]
    ids, _ = _store_insights(night, result, [])
    _store_practice(night, result, [], ids)
    assert ids == {key: deferred}
    assert db.execute("SELECT count(*) AS n FROM insights WHERE run_id = %s",
                      (night.run_id,)).fetchone()["n"] == 0
    pointed = db.execute("SELECT DISTINCT insight_id FROM practice_items WHERE run_id = %s"
                         " AND kind NOT LIKE 'anchor%%' AND kind <> 'general'",
                         (night.run_id,)).fetchall()
    assert [r["insight_id"] for r in pointed] == [deferred]


def test_a_deferred_statement_corrected_since_is_retired_and_not_tried_again(runs, db, tmp_path):
    """"I live in Grindlewick" was deferred; a later session says the user moved. The night that
    reads both retires the deferred row (replaced by the correction's insight) and trains and
    asks nothing from it, so the old town is not taught beside the new one."""
    from serve.learning.stages import _retold, _store_insights, _store_practice

    old = "I live in Grindlewick, a small town by the sea."
    run = learning_run(runs, tmp_path)
    sid = session(db, runs)
    [row] = runs.replace_insights(run.run_id, sid, [{"kind": "fact", "text": render([old])}])
    deferred = runs.defer(row, render([old]), None, "changed answers")
    [listed] = runs.deferred_insights()
    night = learning_run(runs, tmp_path)
    key, moved = f"{DEFERRED}{deferred}", session(db, runs)
    result = dream_run({key: _retold(listed), str(moved): [
        {"role": "user", "content": "Quick update: I don't live in Grindlewick anymore, I moved "
                                    "to Thornbury last month."}]})
    ids, _ = _store_insights(night, result, [])
    _store_practice(night, result, [], ids)
    status = db.execute("SELECT status, replaced_by FROM insights WHERE id = %s",
                        (deferred,)).fetchone()
    assert status == {"status": "retired", "replaced_by": ids[str(moved)]}
    assert runs.deferred_insights() == []
    assert key not in result.insights and ids[key] is None
    assert not [i for i in result.items if i.session_id == key and i.kept]
    taught = [i for i in result.train_items() + result.heldout_items() if i.checker]
    assert taught and not any("Grindlewick" in str(values_of(i.checker)) for i in taught)
    # The correction's own questions fail an answer giving the old town.
    where = [i for i in taught if i.question == "Where do I live now?"]
    assert where and all(i.checker["rejects"] == ["Grindlewick"] for i in where)
    assert not any("Grindlewick" in s and "anymore" not in s for s in result.statements())
    # What the night would record learns the correction only; the retired row stays retired.
    record(night, practice_of(1, result, ids), Outcome(practice_of(1, result, ids),
                                                       candidate("v5"), verdict(True, []), 0))
    assert db.execute("SELECT status FROM insights WHERE id = %s", (deferred,)).fetchone() == \
        {"status": "retired"}


def test_a_session_wholly_refused_on_its_last_night_is_given_up_with_the_gates_reasons(
        runs, db, tmp_path):
    sid = session(db, runs)
    refused = verdict(False, ["learning: held-out accuracy gain +0.05 < 0.10"])
    first = learning_run(runs, tmp_path, refused_nights=2)
    runs.take_sessions(first.run_id, 100, 2)
    assert give_up(first, refused) == []  # one night refused: tried again
    runs.finish(first.run_id, "succeeded", {"gate_passed": False, "sessions_consumed": False})
    second = learning_run(runs, tmp_path, refused_nights=2)
    assert [s["id"] for s in runs.take_sessions(second.run_id, 100, 2)] == [sid]
    runs.replace_insights(second.run_id, sid, [{"kind": "fact", "text": render([PET])}])
    assert give_up(second, refused) == [str(sid)]
    row = db.execute("SELECT status, reason FROM insights WHERE run_id = %s",
                     (second.run_id,)).fetchone()
    assert row == {"status": "rejected", "reason": "refused by the gate on 2 nights: held-out "
                                                   "accuracy gain +0.05 < 0.10"}


def test_a_right_answer_lost_is_anchored_harder_before_its_statement_is_left_out(runs,
                                                                                  tmp_path):
    """Beside the capital a right answer was lost with nothing taught in it (weak); beside the
    pet the pet's name turned up (a leak, strong). The run trains again without the pet, the
    capital kept with more anchors beside it; refused again for the capital, it leaves that out
    too."""
    run = learning_run(runs, tmp_path, retries=2)
    practice = practice_of(2, dream_run(SESSIONS), {})

    def refusal(*changes: tuple[str, str, str]) -> Verdict:
        return Verdict(False, ["neighbour answers unchanged 50% < 95%"], SCORES, SCORES,
                       {"locality": {"changed_general": [], "changed_neighbours": [
                           {"question": q, "before": "Jakarta.", "after": "Indonesia is a",
                            "beside": beside, "damage": kind} for q, beside, kind in changes]}},
                       ["neighbours"])

    first = refusal(("What is the capital of Peru?", CAPITAL, "lost"),
                    ("What is Priya's pet called?", PET, "leak"))
    seen = []

    def retrain(again):
        seen.append(again)
        return candidate(f"v{len(seen) + 1}"), refusal(
            ("What is the capital of Peru?", CAPITAL, "lost")), 0

    outcome = learn_safely(run, Outcome(practice, candidate("v1"), first, 0), retrain)
    reinforced, narrowed = seen
    assert PET not in reinforced.result.statements() and CAPITAL in reinforced.result.statements()
    added = [i for i in reinforced.result.items if i.origin == "anchor" and i.split == "train"
             and i not in practice.result.items]
    assert len(added) >= 3 and all(i.beside == CAPITAL for i in added)
    assert CAPITAL not in narrowed.result.statements()
    assert set(outcome.held) == {PET, CAPITAL} and outcome.attempts == 3
