"""On-policy self-distillation (OPSD) of privileged context into a LoRA adapter, and the plain SFT
baseline it is benchmarked against. The student (base + LoRA, no context) samples completions;
it is trained to match, token by token, the teacher (the model with the context in its system
prompt) on those same tokens. Call `train_opsd(base_model, examples, OPSDConfig(), out_dir)`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from distill.config import OPSDConfig
from distill.evaluate import generate_ids
from distill.opsd_step import OPSDStep
from distill.stopping import LEARNED, STEP_LIMIT, Stopping
from distill.student import PracticeExample, TrainingRun, teacher_messages
from dream.checkers import check, values_of

log = logging.getLogger(__name__)

__all__ = ["REPORT_NAME", "PracticeExample", "TrainReport", "teacher_messages", "train_opsd",
           "train_sft"]

REPORT_NAME = "train_report.json"

OnStep = Callable[[int, int, float], None]


@dataclass
class TrainReport:
    method: str
    """"opsd" or "sft"."""
    steps: int
    losses: list[float]
    """Training loss of each step, in order."""
    seconds: float
    examples: int
    """Number of practice examples given."""
    teacher_rows: int = 0
    """Rows the teacher sampled for examples with a checker (OPSD)."""
    teacher_rejected: int = 0
    """Of those, rows whose samples failed the checker twice and fell back to the student's."""
    step_limit: int = 0
    """The most steps the run could take (`OPSDConfig.total_steps`)."""
    stopped: str = STEP_LIMIT
    """Why training ended: "learned" (`distill.stopping`) or "step limit"."""
    answered: float | None = None
    """Share of the checked practice questions answered right at the last check (None: none
    were checked)."""
    teacher_passes: int = 0
    """Teacher forward passes (OPSD): fewer than steps when its targets were cached."""
    sample_batches: list[int] = field(default_factory=list)
    """Rows of each `generate` call for training samples (teacher and student), in order."""
    unanswered: list[str] = field(default_factory=list)
    """Practice questions with a checker not answered right at their last check (at most 20):
    what the run did not learn, as far as the checks saw."""

    def save(self, folder: Path) -> None:
        (Path(folder) / REPORT_NAME).write_text(json.dumps(asdict(self), indent=2) + "\n")


def _sft_loss_fn(run: TrainingRun) -> Callable[[TrainingRun], torch.Tensor]:
    """Cross-entropy on the teacher's greedy answers; they never change, so each is made once."""
    answers: dict[int, list[int]] = {}

    def loss_fn(run: TrainingRun) -> torch.Tensor:
        batch = run.next_batch()
        missing = sorted({i for i in batch if i not in answers})
        if missing:
            with run.teacher():
                made = run.generate([run.teacher_ids[i] for i in missing], do_sample=False)
            answers.update(zip(missing, made, strict=True))
        targets = [answers[i] for i in batch]
        run.model.train()
        logits, mask = run.completion_logits([run.student_ids[i] for i in batch], targets)
        labels = torch.zeros(mask.shape, dtype=torch.long)
        for row, t in enumerate(targets):
            labels[row, :len(t)] = torch.tensor(t, dtype=torch.long)
        nll = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2),
                                                labels.to(logits.device), reduction="none")
        return (nll * mask).sum() / mask.sum()

    return loss_fn


def _train(method: str, make_loss: Callable[[TrainingRun], Callable[[TrainingRun], torch.Tensor]],
           base_model: str, examples: list[PracticeExample], config: OPSDConfig, out_dir: Path,
           init_adapter: Path | None, on_step: OnStep | None) -> TrainReport:
    started = time.monotonic()
    run = TrainingRun(base_model, examples, config, init_adapter)
    loss_fn = make_loss(run)
    checked = [i for i, e in enumerate(examples) if e.checker]
    stopping = Stopping(config, checked,
                        {i: tuple(sorted(values_of(examples[i].checker))) for i in checked})
    losses: list[float] = []
    total = config.total_steps(len(examples))
    stopped = STEP_LIMIT
    for step in range(1, total + 1):
        loss = loss_fn(run)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(run.params, config.max_grad_norm)
        run.optimizer.step()
        losses.append(float(loss.detach()))
        if on_step is not None:
            on_step(step, total, losses[-1])
        if stopping.due(step, total):
            stopping.record(step, _answered(run, stopping.pick()))
            log.info("step %d of %d: %.0f%% of the practice questions answered, weakest fact "
                     "%.0f%%, loss %s", step, total, 100 * (stopping.share() or 0),
                     100 * (stopping.weakest_fact() or 0),
                     "flat" if stopping.flat(losses) else "still falling")
            if stopping.stop(losses):
                stopped = LEARNED
                break
    run.model.eval()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run.save(out_dir)
    config.save(out_dir)
    report = TrainReport(method=method, steps=len(losses), losses=losses,
                         seconds=round(time.monotonic() - started, 3), examples=len(examples),
                         teacher_rows=run.teacher_rows, teacher_rejected=run.teacher_rejected,
                         step_limit=total, stopped=stopped,
                         answered=stopping.share() if stopping.checked_at else None,
                         teacher_passes=getattr(loss_fn, "teacher_passes", 0),
                         sample_batches=run.sample_batches,
                         unanswered=[examples[i].prompt[-1]["content"]
                                     for i in stopping.unanswered()][:20]
                         if stopping.checked_at else [])
    report.save(out_dir)
    return report


def _answered(run: TrainingRun, indices: list[int]) -> dict[int, bool]:
    """Whether the student, greedy and without context, answers each example right."""
    replies = generate_ids(run.model, run.tokenizer, [run.student_ids[i] for i in indices],
                           run.config.max_new_tokens, batch_size=len(indices))
    return {i: check(run.examples[i].checker, run.tokenizer.decode(r, skip_special_tokens=True))
            for i, r in zip(indices, replies, strict=True)}


def train_opsd(base_model: str, examples: list[PracticeExample], config: OPSDConfig,
               out_dir: Path, init_adapter: Path | None = None,
               on_step: OnStep | None = None) -> TrainReport:
    """Distil each example's context into a LoRA adapter saved in out_dir (peft format, plus
    opsd_config.json and train_report.json). init_adapter: continue from that adapter's weights.
    on_step(step, total, loss) runs after each step, step counting from 1."""
    return _train("opsd", OPSDStep, base_model, examples, config, out_dir, init_adapter,
                  on_step)


def train_sft(base_model: str, examples: list[PracticeExample], config: OPSDConfig,
              out_dir: Path, init_adapter: Path | None = None,
              on_step: OnStep | None = None) -> TrainReport:
    """Baseline: the teacher (with context) answers each prompt greedily once; the student is
    trained with cross-entropy on those answers (prompt masked). Same outputs as train_opsd;
    beta, top_k, clip and sample_temperature are unused."""
    return _train("sft", _sft_loss_fn, base_model, examples, config, out_dir,
                  init_adapter, on_step)
