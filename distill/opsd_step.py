"""What one OPSD step trains on, computed as little as possible: the rows (a teacher answer, or the
student's own sample) and the teacher's distribution over each row's tokens.

Three savings, each measured in the README's cost table:
- **Teacher answers are kept.** A teacher row takes one of its example's fixed answers: those the
  dream's teacher filter kept, or (for examples without them) the first fresh teacher samples
  that pass the example's checker, kept for later passes. The teacher is frozen during a run, so
  a kept answer is as good a sample of it on the tenth pass as on the first.
- **Teacher targets are computed once.** With `OPSDConfig.top_k`, the teacher's top-k
  log-probabilities on a kept answer are stored the first time the row is used and reused on
  every later pass, instead of a teacher forward pass per step. Only the student's own samples,
  which are new every time, need the teacher's forward pass. `top_k = None` keeps the full
  vocabulary and runs the teacher on every row, as before.
- **Samples are drawn for several steps at once.** On CPU, decoding is bound by reading the
  weights, so sampling 8 rows costs about what 2 do; one `generate` call serves `sample_ahead`
  steps (the samples are then up to sample_ahead - 1 steps older than the student they train).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import torch

from distill.loss import TopK, generalized_jsd, jsd_on_top_k, teacher_top_k
from distill.student import TrainingRun
from dream.checkers import check

KEPT_SAMPLES = 2
"""Fresh teacher samples kept per example that has no stored answers."""


@dataclass(frozen=True)
class Row:
    example: int
    """Index of the practice example."""
    completion: list[int]
    """The tokens trained on: a teacher answer or the student's sample, ending like a sample."""
    answer: int | None = None
    """Which of the example's kept teacher answers this is (its target is cached); None for a
    sample drawn for this row only."""


class OPSDStep:
    """The OPSD loss of one step; call it with the run. Holds the kept answers, the cached
    targets and the rows planned for the next steps."""

    def __init__(self, run: TrainingRun) -> None:
        cfg = run.config
        self.answers: dict[int, list[list[int]]] = {}
        self.full: set[int] = set()
        """Examples whose kept answers are complete: no more teacher samples are drawn."""
        if cfg.reuse_teacher_answers:
            for i, example in enumerate(run.examples):
                if example.answers:
                    self.answers[i] = [_as_completion(run, a) for a in example.answers]
                    self.full.add(i)
        self.targets: dict[tuple[int, int], TopK] = {}
        self.planned: deque[list[Row]] = deque()
        self.teacher_passes = 0
        """Teacher forward passes run (one per step that needed the teacher's logits)."""
        self.steps = 0

    def __call__(self, run: TrainingRun) -> torch.Tensor:
        if not self.planned:
            # Never beyond the run's step limit: samples for steps not taken would be waste.
            left = run.config.total_steps(len(run.examples)) - self.steps
            self.planned.extend(self._plan(run, max(1, min(run.config.sample_ahead, left))))
        self.steps += 1
        return self._loss(run, self.planned.popleft())

    def _plan(self, run: TrainingRun, ahead: int) -> list[list[Row]]:
        """The next `ahead` batches, with every sample they need drawn in at most one teacher
        and one student `generate` call (plus one redraw of failing teacher samples)."""
        cfg = run.config
        batches = [run.next_batch() for _ in range(ahead)]
        # Batches are shuffled, so the first rows are as good a random share as any.
        by_teacher = round(cfg.teacher_mix * cfg.batch_size)
        rows: list[list[Row | None]] = [[None] * len(b) for b in batches]
        fresh: list[tuple[int, int]] = []
        for b, batch in enumerate(batches):
            for j, i in enumerate(batch[:by_teacher]):
                if i in self.full:
                    a = run.pick.randrange(len(self.answers[i]))
                    rows[b][j] = Row(i, self.answers[i][a], a)
                else:
                    fresh.append((b, j))
        if fresh:
            sampled = _teacher_completions(run, [batches[b][j] for b, j in fresh])
            for (b, j), completion in zip(fresh, sampled, strict=True):
                if completion is not None:
                    rows[b][j] = self._keep(run, batches[b][j], completion)
        # On-policy: the student's own answers, for its share and for rejected teacher rows.
        own = [(b, j) for b, row in enumerate(rows) for j, r in enumerate(row) if r is None]
        if own:
            sampled = run.generate([run.student_ids[batches[b][j]] for b, j in own],
                                   do_sample=True)
            for (b, j), completion in zip(own, sampled, strict=True):
                rows[b][j] = Row(batches[b][j], completion)
        return [[r for r in row if r is not None] for row in rows]

    def _keep(self, run: TrainingRun, i: int, completion: list[int]) -> Row:
        """A fresh teacher sample's row; kept as one of the example's answers while it has fewer
        than KEPT_SAMPLES (only when answers are reused at all)."""
        if not run.config.reuse_teacher_answers:
            return Row(i, completion)
        kept = self.answers.setdefault(i, [])
        kept.append(completion)
        if len(kept) >= KEPT_SAMPLES:
            self.full.add(i)
        return Row(i, completion, len(kept) - 1)

    def _loss(self, run: TrainingRun, rows: list[Row]) -> torch.Tensor:
        cfg = run.config
        completions = [r.completion for r in rows]
        student_prompts = [run.student_ids[r.example] for r in rows]
        if cfg.top_k is None:  # the full vocabulary: the teacher runs on every row
            with torch.no_grad(), run.teacher():
                teacher_logits, _ = run.completion_logits(
                    [run.teacher_ids[r.example] for r in rows], completions)
            self.teacher_passes += 1
            run.model.train()
            student_logits, mask = run.completion_logits(student_prompts, completions)
            loss, _ = generalized_jsd(student_logits, teacher_logits, mask, cfg.beta, None,
                                      cfg.clip)
            return loss
        target = TopK.cat(self._targets(run, rows))
        run.model.train()
        student_logits, mask = run.completion_logits(student_prompts, completions)
        loss, _ = jsd_on_top_k(student_logits, target, mask, cfg.beta, cfg.clip)
        return loss

    def _targets(self, run: TrainingRun, rows: list[Row]) -> list[TopK]:
        """Each row's top-k teacher target: cached for kept answers, else from one teacher pass
        over the rows that need it."""
        key = [None if r.answer is None else (r.example, r.answer) for r in rows]
        missing = [n for n, k in enumerate(key) if k is None or k not in self.targets]
        made: dict[int, TopK] = {}
        if missing:
            with torch.no_grad(), run.teacher():
                logits, mask = run.completion_logits(
                    [run.teacher_ids[rows[n].example] for n in missing],
                    [rows[n].completion for n in missing])
            self.teacher_passes += 1
            parts = teacher_top_k(logits, mask, run.config.top_k).split(
                [len(rows[n].completion) for n in missing])
            for n, part in zip(missing, parts, strict=True):
                made[n] = part
                if key[n] is not None:
                    self.targets[key[n]] = part
        return [made[n] if n in made else self.targets[key[n]] for n in range(len(rows))]


def _as_completion(run: TrainingRun, text: str) -> list[int]:
    """A stored answer as completion ids, ended and cut like a sample."""
    ids = run.tokenizer(text, add_special_tokens=False)["input_ids"] + [run.eos]
    return ids[:run.config.max_new_tokens]


def _teacher_completions(run: TrainingRun, batch: list[int]) -> list[list[int] | None]:
    """The teacher's samples for `batch`; None where a checked example's sample failed twice."""
    with run.teacher():
        rows: list[list[int] | None] = list(run.generate([run.teacher_ids[i] for i in batch],
                                                         do_sample=True))
    checked = [j for j, i in enumerate(batch) if run.config.verify_teacher
               and run.examples[i].checker]
    run.teacher_rows += len(checked)

    def failing() -> list[int]:
        return [j for j in checked if rows[j] is not None and not check(
            run.examples[batch[j]].checker,
            run.tokenizer.decode(rows[j], skip_special_tokens=True))]

    if again := failing():
        with run.teacher():
            redrawn = run.generate([run.teacher_ids[batch[j]] for j in again], do_sample=True)
        for j, completion in zip(again, redrawn, strict=True):
            rows[j] = completion
        for j in failing():
            rows[j] = None
            run.teacher_rejected += 1
    return rows
