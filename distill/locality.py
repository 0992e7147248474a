"""Locality: which answers a candidate adapter changed that it should have left alone.

The gate asks the adapter serving now and the candidate the same questions with no context: the
run's held-out neighbour questions (general questions beside tonight's statements, never
trained on; `dream.neighbours`) and the shipped regression set. An answer is unchanged when it
still gives what the earlier one gave: the same known answer, else the same names and numbers,
else mostly the same words, and in the same form (a recap where there was a sentence is a
change). The report names every changed answer, before and after, so an operator sees why a
candidate was refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dream.answer_form import in_recap_form
from dream.practice import anchors
from dream.textnorm import contains_phrase, content_tokens, jaccard, split_sentences

MAX_NAMED = 20
"""Changed answers named in a report, per kind."""


@dataclass(frozen=True)
class Asked:
    """A question asked of both models, with its known answers (if any) and what it sits beside
    (the statement a neighbour question belongs to; None for the regression set)."""

    question: str
    accepted: tuple[str, ...] = ()
    beside: str | None = None


def _gist(answer: str) -> str:
    """The first two sentences: where a short answer says what it answers."""
    return " ".join(split_sentences(answer)[:2])


def unchanged(asked: Asked, before: str, after: str) -> bool:
    """Whether `after` gives what `before` gave to the question."""
    if in_recap_form(after) and not in_recap_form(before):
        return False
    knew = [a for a in asked.accepted if contains_phrase(before, a)]
    if knew:
        return any(contains_phrase(after, a) for a in knew)
    said, question_names = anchors(_gist(before)), anchors(asked.question)
    names = said - question_names
    if names:
        return names <= anchors(after) | {w.lower() for w in re.findall(r"\w+", after)}
    words = content_tokens(_gist(before)) - content_tokens(asked.question)
    if not words:
        return True  # nothing to keep beyond the question's own words
    return jaccard(words, content_tokens(_gist(after)) - content_tokens(asked.question)) >= 0.5


def changed(asked: list[Asked], before: list[str], after: list[str]) -> list[dict]:
    """The questions whose answer changed: {"question", "before", "after", "beside"}."""
    return [{"question": a.question, "before": b, "after": c, "beside": a.beside}
            for a, b, c in zip(asked, before, after, strict=True) if not unchanged(a, b, c)]


def unchanged_share(asked: list[Asked], before: list[str], after: list[str]) -> float:
    """Share of answers unchanged (1.0 when nothing was asked)."""
    if not asked:
        return 1.0
    return 1 - len(changed(asked, before, after)) / len(asked)
