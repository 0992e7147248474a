"""A night's practice without some of its statements: what a refused run trains on again when
the gate found that learning those statements changed answers it must not change.

Each insight loses the statements; its practice items that ask about them (their checker's
values are in a dropped statement and in no kept one) go, and the rest keep the narrowed
insight as their context, with the stored teacher answers that name nothing only a dropped
statement said. An insight left with no statements takes all its practice with it. Anchors,
neighbour questions, replay and general prompts stay: the neighbours of a dropped statement keep
being anchored, and the gate still asks them.
"""

from __future__ import annotations

from dataclasses import replace

from dream.insights import Insight, render
from dream.pipeline import DreamResult
from dream.practice import PracticeItem, anchors, checker_values
from dream.textnorm import contains_phrase


def asks_about(item: PracticeItem, dropped: list[str], kept: list[str]) -> bool:
    """Whether the item asks about a dropped statement: an expected value only it gives."""
    values = checker_values(item.checker) if item.checker else []
    return any(any(contains_phrase(s, v) for s in dropped)
               and not any(contains_phrase(s, v) for s in kept) for v in values)


def without_statements(result: DreamResult, statements: set[str]) -> DreamResult:
    """The dream's result as if its insights had not held `statements`."""
    insights: dict[str, Insight] = {}
    contexts: dict[str, str | None] = {}  # an insight's old text -> its new one (None: gone)
    for session_id, insight in result.insights.items():
        kept = [s for s in insight.statements if s not in statements]
        if len(kept) == len(insight.statements):
            insights[session_id] = insight
            continue
        if kept:
            kinds = [k for s, k in zip(insight.statements, insight.kinds, strict=True)
                     if s not in statements]
            narrowed = Insight(render(kept), insight.kind, kept, kinds)
            insights[session_id] = narrowed
            contexts[insight.text] = narrowed.text
        else:
            contexts[insight.text] = None
    dropped_names = {n for s in statements for n in anchors(s)}
    items: list[PracticeItem] = []
    for item in result.items:
        if item.origin != "dream" or item.context not in contexts:
            items.append(item)
            continue
        context = contexts[item.context]
        insight = insights.get(item.session_id or "")
        if context is None or insight is None or \
                asks_about(item, sorted(statements), insight.statements):
            continue
        left = set(anchors(" ".join(insight.statements)))
        answers = [a for a in item.teacher_answers if not (anchors(a) & dropped_names) - left]
        items.append(replace(item, context=context, teacher_answers=answers))
    return replace(result, insights=insights, items=items)
