"""Which of a night's statements a refused candidate's damage points at.

A changed neighbour answer points at the statement it was asked beside, or, when it leaked names
or numbers, at the statements they came from; a changed general answer points at every
statement sharing a relation of the knowledge set with its question, and at those it leaked from
(`dream.neighbours.relations_of`: "What is the capital of Spain?" and "the capital of Veloria is
Marenport"). Damage that points at no statement (general perplexity alone, a general answer of
an unrelated kind) cannot be undone by leaving statements out, and is reported as such.
"""

from __future__ import annotations

from typing import Any

from dream.neighbours import relations_of
from dream.practice import anchors

DAMAGE = ("regression", "neighbours", "recap")
"""Kinds of the gate's refusals (`distill.gate.KINDS`) that locality can explain: answers that
changed. Perplexity alone cannot."""


def refused_for_damage(kinds: list[str]) -> bool:
    """Whether the gate refused for changed answers (whatever else it refused for), from the
    verdict's refusal kinds."""
    return any(k in DAMAGE for k in kinds)


STRONG = ("leak", "recap")
"""Damage that shows what a statement taught where it does not belong (`distill.locality`):
its names in another answer, the teacher's recap form. A right answer lost without either
("the capital of Indonesia" rambling past its 48 tokens) may be mended by anchoring harder."""


def culprits(locality: dict[str, Any], statements: list[str],
             kinds: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """Statement -> the changed answers that point at it, as "question: before -> after";
    with `kinds`, only changes of those kinds of damage (a change recorded before kinds were,
    without one, counts as any)."""
    found: dict[str, list[str]] = {}

    def blame(statement: str, change: dict) -> None:
        if kinds is not None and change.get("damage", kinds[0]) not in kinds:
            return
        said = f"{change['question']} {_short(change['before'])!r} -> {_short(change['after'])!r}"
        found.setdefault(statement, []).append(said)

    for change in locality.get("changed_neighbours", []):
        # A leak points at the statements whose names it brought in ("Where does Neil Armstrong
        # live?" -> "Hollowmere Farm" beside the town: the farm's statement leaked), else at the
        # statement it sat beside.
        leaked = _leaked_from(change, statements) if change.get("damage") == "leak" else []
        for statement in leaked or [change.get("beside")]:
            if statement in statements:
                blame(statement, change)
    related = {s: {r.name for r in relations_of(s)} for s in statements}
    for change in locality.get("changed_general", []):
        asked = {r.name for r in relations_of(change["question"])}
        leaked = _leaked_from(change, statements) if change.get("damage") == "leak" else []
        for statement, names in related.items():
            if asked & names or statement in leaked:
                blame(statement, change)
    return found


def _leaked_from(change: dict, statements: list[str]) -> list[str]:
    """The statements whose names or numbers the changed answer holds and the question and the
    earlier answer did not."""
    new = anchors(change["after"]) - anchors(change["before"]) - anchors(change["question"])
    return [s for s in statements if anchors(s) & new]


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
