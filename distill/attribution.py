"""Which of a night's statements a refused candidate's damage points at.

A changed neighbour answer points at the statement it was asked beside; a changed general answer
points at every statement sharing a relation of the knowledge set with its question
(`dream.neighbours.relations_of`: "What is the capital of Spain?" and "the capital of Veloria is
Marenport"). Damage that points at no statement (general perplexity alone, a general answer of
an unrelated kind) cannot be undone by leaving statements out, and is reported as such.
"""

from __future__ import annotations

from typing import Any

from dream.neighbours import relations_of

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
        if change.get("beside") in statements:
            blame(change["beside"], change)
    related = {s: {r.name for r in relations_of(s)} for s in statements}
    for change in locality.get("changed_general", []):
        asked = {r.name for r in relations_of(change["question"])}
        for statement, names in related.items():
            if asked & names:
                blame(statement, change)
    return found


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
