"""Retention: does a candidate adapter still answer what earlier nights taught?

Each night trains on top of the adapter serving now, with earlier insights replayed. Nothing in
tonight's own probes shows that the facts of earlier nights survived. So the gate also asks a
sample of earlier nights' held-out questions (asked of their night's adapter, never trained on)
of the insights still active, with no context, to both the adapter serving now and the candidate.

An earlier fact counts as lost when the serving adapter answers its question right and the
candidate does not. The share lost is taken over the questions the serving adapter answers right:
what it never learned cannot be lost. The report names each lost question with both answers and
the insight it belongs to, so an operator can see which earlier facts a refused candidate lost.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_NAMED = 20
"""Lost facts named in a report."""


@dataclass(frozen=True)
class Earlier:
    """An earlier night's held-out question, how to check its answer, and the insight (text) it
    was asked about."""

    prompt: list[dict]
    checker: dict
    about: str

    @property
    def question(self) -> str:
        return next((m["content"] for m in reversed(self.prompt) if m.get("role") == "user"), "")


def sample(probes: Iterable[Earlier], limit: int, seed: str | int) -> list[Earlier]:
    """At most `limit` probes spread over the insights they are about: the insights in an order
    drawn from `seed`, then one question of each in turn. Every insight is asked before any is
    asked twice, so the first night's facts are checked as often as last night's."""
    by_insight: dict[str, list[Earlier]] = {}
    for probe in probes:
        by_insight.setdefault(probe.about, []).append(probe)
    order = sorted(by_insight)
    random.Random(str(seed)).shuffle(order)
    picked: list[Earlier] = []
    depth = 0
    while len(picked) < limit and any(len(by_insight[a]) > depth for a in order):
        picked += [by_insight[a][depth] for a in order if len(by_insight[a]) > depth]
        depth += 1
    return picked[:limit]


def report(probes: Sequence[Earlier], before: Sequence[tuple[str, bool]],
           after: Sequence[tuple[str, bool]]) -> dict[str, Any]:
    """Compare the serving adapter's answers (`before`, as (reply, right)) with the candidate's
    (`after`) on the same probes: how many were asked, known before, lost, the lost share, and
    the lost ones named."""
    lost = [{"question": p.question, "about": p.about, "before": b[0], "after": a[0]}
            for p, b, a in zip(probes, before, after, strict=True) if b[1] and not a[1]]
    known = sum(1 for _, right in before if right)
    return {"asked": len(probes), "known_before": known,
            "known_after": sum(1 for _, right in after if right),
            "lost_share": round(len(lost) / known, 4) if known else 0.0,
            "lost": lost[:MAX_NAMED]}
