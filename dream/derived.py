"""A derived question: what a user might later ask about their statement, with the answer cut from
the statement itself and the checker that judges an answer. Made by `dream.questions`, reworded by
`dream.rewordings`, turned into practice by `dream.practice`.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Derived:
    """One question a user might later ask, with the answer cut from their statement."""

    question: str
    answer: str
    checker: dict
    subject: str
    relation: str
    number: float | None = None
    extra: dict = field(default_factory=dict)
