"""Stop when learned: a run ends before its step limit once the student answers its practice
questions and its loss has flattened, instead of always taking `OPSDConfig.total_steps`.

Every `check_every` steps the student answers (greedy, no context) up to `check_size` of the
practice examples that carry a checker, the ones not yet answered right first, then those
checked longest ago; each keeps its latest result. The run stops once `learned_share` of them
are answered right and, for every fact, at least `min_fact_share` of its questions; the mean loss
of the last `check_every` steps fell less than `flat_loss` of the mean before it; and at least
`OPSDConfig.steps` steps were taken. A fact is a set of values that at least `FACT_QUESTIONS`
questions expect (a derived question and its rewordings); a question alone with its values (a
recall prompt expecting every name of an insight, an arithmetic task) counts only in the overall
share: in the learning e2e one such recall prompt, never answered, held a run at its step limit
from step 70 (93% answered, loss flat) to 98.

Why per fact: on the world benchmark set (10 facts, 179 prompts) a run stopped at 120 of 314
steps with 90% of the checked questions answered overall, and the facts still missing were whole
facts (a project's new name, a dial-in code), none of whose held-out probes it then answered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

from distill.config import OPSDConfig

FACT_QUESTIONS = 2
"""Questions expecting the same values that make them a fact for `min_fact_share`."""
LEARNED = "learned"
STEP_LIMIT = "step limit"


@dataclass
class Stopping:
    config: OPSDConfig
    examples: list[int]
    """Indices of the practice examples with a checker: the questions that must be answered."""
    facts: dict[int, tuple[str, ...]] = field(default_factory=dict)
    """Each checked example's fact: the values its checker expects (`dream.checkers.values_of`);
    examples without an entry count as one fact each."""
    answered: dict[int, bool] = field(default_factory=dict)
    """Each checked example's latest result."""
    checked_at: dict[int, int] = field(default_factory=dict)

    def due(self, step: int, total: int) -> bool:
        """Whether to check the student after `step`: only where stopping could follow."""
        every = self.config.check_every
        return bool(every and self.examples and self.config.steps <= step < total
                    and step % every == 0)

    def pick(self) -> list[int]:
        """The examples to check now: unanswered (or never checked) first, then oldest."""
        order = sorted(self.examples, key=lambda i: (self.answered.get(i, False),
                                                     self.checked_at.get(i, -1)))
        return order[:self.config.check_size]

    def record(self, step: int, results: dict[int, bool]) -> None:
        self.answered.update(results)
        self.checked_at.update(dict.fromkeys(results, step))

    def share(self) -> float | None:
        """Share of the checked examples answered right at their latest check (never checked
        counts as not answered); None when there is nothing to check."""
        if not self.examples:
            return None
        return sum(self.answered.get(i, False) for i in self.examples) / len(self.examples)

    def weakest_fact(self) -> float | None:
        """The lowest share of a fact's questions answered right; None when no values are
        expected by `FACT_QUESTIONS` questions or more."""
        by_fact: dict[tuple[str, ...], list[bool]] = {}
        for i in self.examples:
            by_fact.setdefault(self.facts.get(i, (str(i),)), []).append(
                self.answered.get(i, False))
        return min((sum(a) / len(a) for a in by_fact.values() if len(a) >= FACT_QUESTIONS),
                   default=None)

    def flat(self, losses: list[float]) -> bool:
        n = self.config.check_every
        if n < 1 or len(losses) < 2 * n:
            return False
        before, last = fmean(losses[-2 * n:-n]), fmean(losses[-n:])
        return before - last <= self.config.flat_loss * abs(before)

    def stop(self, losses: list[float]) -> bool:
        share, weakest = self.share(), self.weakest_fact()
        return (share is not None and share >= self.config.learned_share
                and (weakest is None or weakest >= self.config.min_fact_share)
                and self.flat(losses))

    def unanswered(self) -> list[int]:
        """The checked examples not answered right at their latest check (or never checked)."""
        return [i for i in self.examples if not self.answered.get(i, False)]
