"""Stop when learned: checks fall only where stopping could follow, the unanswered questions are
asked first, and a run stops only when its questions are answered and its loss is flat."""

from distill.config import OPSDConfig
from distill.stopping import Stopping

CONFIG = OPSDConfig(steps=20, check_every=10, check_size=2, learned_share=0.75,
                    min_fact_share=0.5, flat_loss=0.1)


def test_checks_fall_every_check_every_steps_between_the_minimum_and_the_limit():
    s = Stopping(CONFIG, [0, 1, 2, 3])
    assert [step for step in range(1, 61) if s.due(step, 50)] == [20, 30, 40]
    assert not any(Stopping(CONFIG, []).due(step, 50) for step in range(1, 61))
    never = Stopping(OPSDConfig(steps=20, check_every=0), [0, 1])
    assert not any(never.due(step, 50) for step in range(1, 61))


def test_unanswered_questions_are_checked_first_then_the_oldest():
    s = Stopping(CONFIG, [0, 1, 2, 3])
    assert s.pick() == [0, 1]
    s.record(20, {0: True, 1: False})
    assert s.pick() == [2, 3]  # never checked, as unanswered as 1 but older
    s.record(30, {2: True, 3: True})
    assert s.pick() == [1, 0]  # 1 is still unanswered; 0 was answered longest ago
    assert s.share() == 0.75


def test_it_stops_only_when_answered_and_flat():
    falling = [4.0] * 10 + [2.0] * 10
    flat = [2.0] * 10 + [1.9] * 10
    s = Stopping(CONFIG, [0, 1, 2, 3], dict.fromkeys(range(4), ("Pebble",)))
    s.record(20, {0: True, 1: True, 2: True})
    assert s.share() == 0.75
    assert s.stop(flat) and not s.stop(falling)
    assert not s.stop(flat[:15])  # two windows of losses are needed
    s.record(30, {2: False})
    assert not s.stop(flat)  # answered share fell below learned_share
    assert Stopping(CONFIG, []).share() is None and not Stopping(CONFIG, []).stop(flat)


def test_no_fact_is_left_unlearned_because_the_others_make_up_the_share():
    """Eight questions, two facts: 7 of 8 answered is enough overall (0.75), but when the one
    fact's questions are the unanswered ones it does not stop; half of each fact does."""
    flat = [2.0] * 20
    facts = {i: ("Marenport",) if i < 6 else ("Osprey",) for i in range(8)}
    s = Stopping(CONFIG, list(range(8)), facts)
    s.record(20, {i: i < 6 for i in range(8)})
    assert s.share() == 0.75 and s.weakest_fact() == 0.0 and not s.stop(flat)
    assert s.unanswered() == [6, 7]
    s.record(30, {6: True})
    assert s.weakest_fact() == 0.5 and s.stop(flat)
    # Without facts given, every question is alone with its values: no fact, the share decides.
    alone = Stopping(CONFIG, [0, 1, 2, 3])
    alone.record(20, {0: True, 1: True, 2: True, 3: False})
    assert alone.weakest_fact() is None and alone.stop(flat)


def test_a_question_alone_with_its_values_does_not_hold_the_run():
    """A recall prompt expecting every name of an insight, never answered: the facts' own
    questions are answered, so the run stops."""
    flat = [2.0] * 20
    facts = {i: ("Marenport",) if i < 4 else ("Osprey",) for i in range(8)}
    facts[8] = ("Marenport", "Osprey")  # "Tell me what you remember about my campaign."
    s = Stopping(CONFIG, list(range(9)), facts)
    s.record(20, {i: i != 8 for i in range(9)})
    assert s.weakest_fact() == 1.0 and s.share() == 8 / 9 and s.stop(flat)
    assert s.unanswered() == [8]
