"""Locality: which answers a candidate adapter changed that it should have left alone.

The gate asks the adapter serving now and the candidate the same questions with no context: the
run's held-out neighbour questions (general questions beside tonight's statements, never
trained on; `dream.neighbours`) and the shipped regression set. An answer counts as changed when
the candidate does damage there, as knowledge-editing work measures locality:

- a right answer (one its checker accepts) is no longer right ("the capital of France is
  MONTESUR");
- it brings in what tonight taught, a name or number of a statement that the question and the
  earlier answer did not hold ("the capital of Portugal is Quenmarsh"; "The user's dog is
  Pemberton" to "What animal says meow?");
- it takes the recap form where the earlier answer did not.

A wrong answer that stays wrong in other words is not damage: a 135M model's answer to "What is
a baby goat called?" rambles differently after any change to its weights. The report names every
changed answer, before and after, so an operator sees why a candidate was refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from dream.answer_form import in_recap_form
from dream.checkers import check
from dream.practice import anchors

MAX_NAMED = 20
"""Changed answers named in a report, per kind."""


@dataclass(frozen=True)
class Asked:
    """A question asked of both models, with how to check its answer (if known) and what it
    sits beside (the statement a neighbour question belongs to; None for the regression set)."""

    question: str
    checker: dict | None = None
    beside: str | None = None


def _brought_in(asked: Asked, before: str, after: str, taught: set[str]) -> set[str]:
    """Names and numbers of what was taught that the answer now holds and did not before."""
    return taught & (anchors(after) - anchors(before) - anchors(asked.question))


def damage(asked: Asked, before: str, after: str, taught: set[str] = frozenset()) -> str | None:
    """What damage `after` does where `before` was given (see the module's docstring): "leak"
    (it brings in what was taught), "recap" (the teacher's recap form), "lost" (a right answer
    is no longer right, nothing taught in it), or None; `taught` holds the names and numbers of
    tonight's statements (lowercase)."""
    mine = taught | (anchors(asked.beside) if asked.beside else set())
    if _brought_in(asked, before, after, mine):
        return "leak"
    if in_recap_form(after) and not in_recap_form(before):
        return "recap"
    if asked.checker is not None and check(asked.checker, before) \
            and not check(asked.checker, after):
        return "lost"
    return None


def unchanged(asked: Asked, before: str, after: str, taught: set[str] = frozenset()) -> bool:
    """Whether `after` does no damage where `before` was given (`damage`)."""
    return damage(asked, before, after, taught) is None


def changed(asked: list[Asked], before: list[str], after: list[str],
            taught: set[str] = frozenset()) -> list[dict]:
    """The questions whose answer changed: {"question", "before", "after", "beside", "damage"}."""
    out = []
    for a, b, c in zip(asked, before, after, strict=True):
        if kind := damage(a, b, c, taught):
            out.append({"question": a.question, "before": b, "after": c, "beside": a.beside,
                        "damage": kind})
    return out


def unchanged_share(asked: list[Asked], before: list[str], after: list[str],
                    taught: set[str] = frozenset()) -> float:
    """Share of answers unchanged (1.0 when nothing was asked)."""
    if not asked:
        return 1.0
    return 1 - len(changed(asked, before, after, taught)) / len(asked)


def taught_names(statements: list[str]) -> set[str]:
    """The names and numbers of a night's statements, as `unchanged` looks for them."""
    return {a for s in statements for a in anchors(s)}
