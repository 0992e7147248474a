"""A night's practice without some statements: their questions go, the rest keep a narrowed
context and teacher answers naming nothing only a dropped statement said; anchors, replay and
general prompts stay; an insight with nothing left takes its practice with it."""

from __future__ import annotations

from dream.narrowing import without_statements
from tests.dream.test_pipeline import run

CAPITAL = "In my campaign the kingdom is called Ostravia, and its capital is Lunden."
PET = "My tortoise's name is Pebble."
SESSIONS = {"w": [{"role": "user", "content": f"{CAPITAL} {PET}"}],
            "x": [{"role": "user", "content": "Our rehearsal room is at 9 Mill Road."}]}


def test_dropped_statements_take_their_questions_and_leave_the_rest():
    result = run(SESSIONS)
    assert result.insights["w"].statements == [CAPITAL, PET]
    narrowed = without_statements(result, {CAPITAL})
    assert narrowed.insights["w"].statements == [PET]
    assert narrowed.insights["x"] is result.insights["x"]
    kept = [i for i in narrowed.items if i.session_id == "w" and i.origin == "dream"]
    assert kept and all("Lunden" not in i.question and "Ostravia" not in (i.reference or "")
                        for i in kept)
    assert all(i.context == narrowed.insights["w"].text and "Lunden" not in i.context
               for i in kept)
    assert all("Lunden" not in a for i in kept for a in i.teacher_answers)
    assert any("Pebble" in (i.reference or "") for i in kept)
    # Anchors and neighbour questions of the dropped statement are still there.
    assert [i for i in narrowed.items if i.origin == "anchor"] == \
        [i for i in result.items if i.origin == "anchor"]
    assert len(narrowed.items) < len(result.items)


def test_an_insight_with_nothing_left_goes_with_its_practice():
    result = run(SESSIONS)
    narrowed = without_statements(result, {CAPITAL, PET})
    assert "w" not in narrowed.insights and "x" in narrowed.insights
    assert not [i for i in narrowed.items if i.session_id == "w" and i.origin == "dream"]
    assert without_statements(result, set()).items == result.items
