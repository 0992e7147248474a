"""What Lucid knows of a user: statements kept up to date as sessions arrive, corrections winning.

Like mem0's memory updates, each new statement is applied to what is already known, in order, and
does one of three things (rules in `dream.supersession`, shared by one session and many):
- add: a new fact; an exact repeat replaces its older copy;
- update: a value correction rewrites the statement it corrects so the kept one says the new value.
  "I meant X, not Y", "X, not Y", "not Y but X", "X instead of Y" swap X in for Y in the latest
  statement holding Y (a whole clause X replaces that statement); a bare value or a pronoun
  statement said as a correction or change ("no, 9 now", "make that Tuesday", "actually she just
  turned 9") replaces the latest value of its kind (number, day, month, time, name);
- retire: "I left X" / "I sold X" retires statements mentioning X; "I no longer ...", "I don't ...
  anymore" the statements of that relation; a correction, or a statement saying that something
  changed ("now", "these days", "moved to", "switched to"), retires earlier statements of the same
  subject and relation (`key`); the same thing said the other way round retires the older one.
Without a correction marker or a change word, two statements of one relation both stand ("my
locker is 34", "my locker is 36": the user may have both). Across sessions the same rules apply:
`remember` reads a user's sessions in order, `superseded` tells a learning run which earlier
insights' statements tonight's sessions replaced (those are retired and never replayed).
"""

from __future__ import annotations

from typing import Any

from dream.checkers import check, values_of
from dream.guard import screen
from dream.insights import extract_statements
from dream.practice import PracticeItem
from dream.questions import derive
from dream.supersession import Memory, key

__all__ = ["Memory", "key", "reject_replaced", "remember", "superseded"]


def remember(sessions: list[list[dict[str, Any]]]) -> list[tuple[str, str]]:
    """The (statement, kind) pairs still standing after reading one user's sessions in order:
    each session's statements (`extract_statements`, then the poisoning guard) update what the
    sessions before it said."""
    memory = Memory()
    for transcript in sessions:
        for statement, kind in extract_statements(transcript):
            if screen(statement) is None:
                memory.learn(statement, kind)
    return memory.pairs()


def superseded(earlier: list[str], new: list[str], kinds: list[str] | None = None) -> set[int]:
    """Indexes of `earlier` statements (of earlier insights) that the `new` statements (of one
    session, with their kinds when known: a "correction" retires its slot) retire or rewrite."""
    memory = Memory([(statement, "fact") for statement in earlier])
    for i, statement in enumerate(new):
        memory.learn(statement, kinds[i] if kinds else "fact")
    return memory.superseded


def reject_replaced(items: list[PracticeItem], new: list[str], replaced: list[str]) -> int:
    """Make the questions about a corrected fact fail its old value: an item expecting a value
    the `new` statements give for some subject and relation (the user moved: "Thornbury" for
    where they live) gets, as `rejects`, what the `replaced` statements gave for the same subject
    and relation ("Grindlewick"), unless its checker accepts that anyway. Paraphrases and
    variants are covered, as they expect the same value. So the gate refuses an adapter that
    still answers the old value. The number of items changed."""
    old: dict[tuple[str, str], set[str]] = {}
    for d in derive(replaced):
        old.setdefault((d.relation, _who(d.subject)), set()).update(values_of(d.checker))
    slots: dict[str, set[tuple[str, str]]] = {}
    for d in derive(new):
        for value in values_of(d.checker):
            slots.setdefault(value.lower(), set()).add((d.relation, _who(d.subject)))
    changed = 0
    for item in items:
        if not item.checker or item.checker.get("type") != "contains_any":
            continue
        mine = {slot for v in values_of(item.checker) for slot in slots.get(v.lower(), ())}
        wrong = sorted(v for slot in mine for v in old.get(slot, ())
                       if not check(item.checker, v))
        if wrong:
            item.checker = {**item.checker, "rejects": sorted(
                set(item.checker.get("rejects", [])) | set(wrong))}
            changed += 1
    return changed


def _who(subject: str) -> str:
    """The user, however they say it ("I", "we"); anyone else by their words."""
    return "the user" if subject.lower() in {"i", "we", "me", "us"} else subject.lower()
