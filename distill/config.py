"""The knobs of a learning run, each checked on construction: `OPSDConfig` (on-policy
self-distillation, saved beside the adapter as `opsd_config.json` so a run can be reproduced from
its output folder), `GateConfig` (the promotion gate), and `LearningConfig`, every section of a run
together (with dream's `DreamConfig`), saved on the run row.

Defaults are production-sized; tests pass small values. All load from plain values through
`dream.config.StrictConfig`, so an unknown key is an error, never a silently kept default.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from dream.config import DreamConfig, StrictConfig, refuse_unknown

CONFIG_NAME = "opsd_config.json"

# All attention and MLP projections of Llama-style models. Never embeddings or lm_head, and no
# modules_to_save: vLLM refuses LoRA adapters that carry either.
DEFAULT_TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                          "down_proj")
FORBIDDEN_TARGETS = ("embed_tokens", "lm_head", "wte", "embed_out")
TEACHERS = ("base", "frozen_current")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass
class OPSDConfig(StrictConfig):
    """How the student is trained on the night's practice: loss, LoRA shape, steps, sampling."""

    beta: float = 0.0
    """Generalized JSD interpolation: 0 = forward KL(teacher||student), 1 = reverse KL."""
    top_k: int | None = 20
    """The loss over the teacher's top-k ids plus one bucket for the rest; None = the full
    vocabulary. With top-k the teacher's targets on its kept answers are computed once and
    reused on every pass (`distill.opsd_step`); the full vocabulary runs the teacher every step.
    SDFT reports top-20 close to the full vocabulary; measured here in the README."""
    clip: float | None = None
    """None = no cap; else each token's loss is capped at this value (> 0)."""
    lora_r: int = 16
    """LoRA rank (>= 1)."""
    lora_alpha: float = 32
    """LoRA scaling numerator (> 0); the update is scaled by lora_alpha / lora_r."""
    lora_dropout: float = 0.0
    """Dropout on the LoRA input during training, in [0, 1)."""
    target_modules: list[str] = field(default_factory=lambda: list(DEFAULT_TARGET_MODULES))
    """Linear layers that get LoRA; never embeddings or lm_head (vLLM rejects those)."""
    learning_rate: float = 1e-3
    """AdamW learning rate (> 0). On SmolLM2-135M (10 facts, 120 steps, teacher_mix 1) 2e-3 learned
    no more than 1e-3 (0.60 held-out both) and raised general perplexity +1.7% instead of +0.2%."""
    steps: int = 30
    """Optimizer steps at least (>= 1): a run never stops early before them."""
    epochs: float = 14.0
    """Passes over the practice set at least (0 = just `steps`): a run takes
    max(steps, ceil(epochs * examples / batch_size)) steps, up to `max_steps`, unless it stops
    early when learned (`check_every`). Facts need many
    passes: on SmolLM2-135M (10 facts, 71 prompts) 30 steps (3.4 passes) planted 0.05-0.15 of
    held-out questions, 120 steps (13.5 passes) 0.55-0.60, general accuracy unchanged."""
    max_steps: int = 2000
    """Upper bound on a run's steps, whatever the practice set's size (>= steps)."""
    batch_size: int = 8
    """Practice prompts per step (>= 1), taken from shuffled passes over all examples."""
    sample_ahead: int = 4
    """Steps whose samples are drawn in one `generate` call (1..64). On CPU decoding is bound by
    reading the weights: 8 rows of 24 tokens took 3.7 s on SmolLM2-135M, 2 rows 3.4 s. The
    samples are up to sample_ahead - 1 steps older than the student they train."""
    check_every: int = 10
    """Every this many steps (0 = never) the student answers practice questions without context
    (`distill.stopping`); the run stops early once they are learned and the loss is flat."""
    check_size: int = 16
    """Practice questions answered per check (>= 1): the unanswered ones first."""
    learned_share: float = 0.9
    """Share of the checked practice questions that must be answered right to stop (0..1]."""
    min_fact_share: float = 0.5
    """Share of each fact's practice questions (those whose checkers expect the same values)
    that must be answered right to stop (0..1]: no fact is left unlearned because the others
    made up the overall share."""
    flat_loss: float = 0.1
    """The loss counts as flat when its mean over the last check_every steps fell by less than
    this fraction of the mean before it (0..1)."""
    max_new_tokens: int = 24
    """Tokens the student samples per prompt (>= 1)."""
    sample_temperature: float = 1.0
    """Temperature of the student's sampling (> 0); 1.0 samples its true distribution."""
    teacher_mix: float = 0.75
    """Share of each batch whose completions the teacher samples (with its context) instead of
    the student, as in GKD's lambda: 0 = purely on-policy, 1 = distillation on the teacher's own
    answers. The student rarely samples a name it has never seen, so on its samples alone a new
    name is learned slowly; teacher-sampled rows show it, with soft targets rather than SFT's.
    Measured (10 facts, 120 steps): 0.75 -> 0.55 held-out, 1.0 -> 0.60; at 30 steps 0.5 -> 0.05-0.15
    and 1.0 (60 steps) -> 0.30. 0.75 keeps a quarter of every batch on the student's own samples,
    which is where it learns to correct its own continuations."""
    reuse_teacher_answers: bool = True
    """Teacher rows take one of the answers the dream's teacher filter kept for that example
    (sampled with the context; they agree, pass the checker and name nothing the context did not
    give) instead of sampling anew; examples without stored answers are sampled as usual. Saves
    the teacher's generation every step. Measured (10 facts, 146 prompts, 120 steps, CPU): 0.80
    held-out at 9.3 s/step against 0.70 at 15.6 s/step sampling afresh; general 0.85 vs 0.87,
    perplexity 26.23 vs 26.25 (base 0.87, 26.32)."""
    verify_teacher: bool = True
    """Teacher-sampled rows of examples that carry a checker (a fact the user stated) must pass
    it: a failing sample is drawn again once, and if that fails too the row falls back to the
    student's own sample, still scored by the teacher. A small teacher at temperature 1 sometimes
    answers beside the point ("The user just adopted a puppy." to "What is my dog called?");
    distilled, such rows teach the student to answer beside the point too."""
    teacher: str = "base"
    """"base" = the model with adapters off, or "frozen_current" = base + init adapter, frozen."""
    seed: int = 0
    """Seeds batch order, sampling and LoRA initialisation (>= 0)."""
    max_grad_norm: float | None = 1.0
    """Gradient-norm clipping (> 0), or None for none."""
    dtype: str = "float32"
    """Weights dtype: "float32" (default; right on CPU) or "bfloat16"."""
    device: str = "auto"
    """"auto" = cuda when available, else cpu; or an explicit torch device such as "cuda:1"."""

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"OPSDConfig.{name}: {why} (got {getattr(self, name)!r})")

        if not 0.0 <= self.beta <= 1.0:
            raise bad("beta", "must be within [0, 1]")
        if self.top_k is not None and (isinstance(self.top_k, bool) or self.top_k < 1):
            raise bad("top_k", "must be None or an integer >= 1")
        if self.clip is not None and not self.clip > 0:
            raise bad("clip", "must be None or > 0")
        if self.lora_r < 1:
            raise bad("lora_r", "must be >= 1")
        if not self.lora_alpha > 0:
            raise bad("lora_alpha", "must be > 0")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise bad("lora_dropout", "must be within [0, 1)")
        if isinstance(self.target_modules, str) or not self.target_modules:
            raise bad("target_modules", "must be a non-empty list of module names")
        self.target_modules = list(self.target_modules)
        if any(any(f in m for f in FORBIDDEN_TARGETS) for m in self.target_modules):
            raise bad("target_modules", f"must not name embeddings or lm_head {FORBIDDEN_TARGETS}")
        if not self.learning_rate > 0:
            raise bad("learning_rate", "must be > 0")
        for name in ("steps", "batch_size", "max_new_tokens", "check_size"):
            if getattr(self, name) < 1:
                raise bad(name, "must be >= 1")
        if not 1 <= self.sample_ahead <= 64:
            raise bad("sample_ahead", "must be within [1, 64]")
        if self.check_every < 0:
            raise bad("check_every", "must be >= 0 (0 = never stop early)")
        if not 0.0 < self.learned_share <= 1.0:
            raise bad("learned_share", "must be within (0, 1]")
        if not 0.0 < self.min_fact_share <= 1.0:
            raise bad("min_fact_share", "must be within (0, 1]")
        if not 0.0 <= self.flat_loss <= 1.0:
            raise bad("flat_loss", "must be within [0, 1]")
        if not 0.0 <= self.teacher_mix <= 1.0:
            raise bad("teacher_mix", "must be within [0, 1]")
        if not 0 <= self.epochs <= 100:
            raise bad("epochs", "must be within [0, 100]")
        if self.max_steps < self.steps:
            raise bad("max_steps", "must be >= steps")
        if not self.sample_temperature > 0:
            raise bad("sample_temperature", "must be > 0")
        if not isinstance(self.reuse_teacher_answers, bool):
            raise bad("reuse_teacher_answers", "must be true or false")
        if not isinstance(self.verify_teacher, bool):
            raise bad("verify_teacher", "must be true or false")
        if self.teacher not in TEACHERS:
            raise bad("teacher", f"must be one of {TEACHERS}")
        if self.seed < 0:
            raise bad("seed", "must be >= 0")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0:
            raise bad("max_grad_norm", "must be None or > 0")
        if self.dtype not in DTYPES:
            raise bad("dtype", f"must be one of {tuple(DTYPES)}")
        if self.device != "auto":
            try:
                torch.device(self.device)
            except (RuntimeError, TypeError) as e:
                raise bad("device", "must be 'auto' or a torch device name") from e

    def total_steps(self, examples: int) -> int:
        """Optimizer steps for a practice set of `examples` prompts."""
        passes = math.ceil(self.epochs * examples / self.batch_size)
        return min(self.max_steps, max(self.steps, passes))

    def save(self, folder: Path) -> Path:
        """Write `opsd_config.json` into `folder` (created if missing); return its path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / CONFIG_NAME
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, folder: Path) -> OPSDConfig:
        return cls.from_dict(json.loads((Path(folder) / CONFIG_NAME).read_text()))

    def torch_device(self) -> torch.device:
        return resolve_device(self.device)

    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]


@dataclass
class GateConfig(StrictConfig):
    """When a candidate adapter may be promoted, and how it is evaluated."""

    min_learning_gain: float = 0.10
    """Held-out accuracy (no context) must rise by at least this much over the current model
    (0..1)."""
    max_regression_drop: float = 0.05
    """General regression-set accuracy may fall by at most this much, absolute (0..1)."""
    max_perplexity_increase: float = 0.10
    """General-text perplexity may rise by at most this fraction (0..1)."""
    min_neighbours_unchanged: float = 0.95
    """Share of the run's held-out neighbour questions (general questions beside its statements,
    `dream.neighbours`) whose answers must stay as the current model gives them (0..1)."""
    max_recap_increase: float = 0.0
    """How much the share of general answers in the teacher's recap form may rise (0..1)."""
    max_earlier_lost: float = 0.2
    """Share of the earlier nights' facts the serving adapter answers that the candidate may no
    longer answer (`distill.retention`; 0..1)."""
    earlier_questions: int = 24
    """Earlier nights' held-out questions the gate asks, sampled across their insights (0..200;
    0 turns the retention check off)."""
    retries: int = 2
    """When the gate refuses for changed answers, train again this many times at most: without
    the statements the changes point at (`serve.learning.deferral`), which are then deferred to
    later nights, or once anchored harder when they point at none (0..3). Two: in the learning
    e2e a candidate trained without one statement was refused again for another."""
    deferral_nights: int = 3
    """Nights a deferred statement is tried before it is rejected for review (1..30)."""
    refused_nights: int = 3
    """Runs the gate wholly refuses that may take a session (1..30): after the last, the
    session is no longer taken and that run's insights from it are rejected for review, so a
    session that cannot be learned does not hold every later night back."""
    max_new_tokens: int = 48
    """Length of each evaluated answer (>= 1)."""
    dtype: str = "float32"
    """Evaluation dtype."""
    device: str = "auto"
    """'auto' (CUDA when present), 'cpu' or 'cuda'."""

    def __post_init__(self) -> None:
        for name in ("min_learning_gain", "max_regression_drop", "max_perplexity_increase",
                     "min_neighbours_unchanged", "max_recap_increase", "max_earlier_lost"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        if self.max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if not 0 <= self.earlier_questions <= 200:
            raise ValueError(f"earlier_questions must be within [0, 200], got "
                             f"{self.earlier_questions}")
        if not 0 <= self.retries <= 3:
            raise ValueError(f"retries must be within [0, 3], got {self.retries}")
        for name in ("deferral_nights", "refused_nights"):
            if not 1 <= getattr(self, name) <= 30:
                raise ValueError(f"{name} must be within [1, 30], got {getattr(self, name)}")


@dataclass
class NightsConfig(StrictConfig):
    """What a night's adapter starts from: the serving adapter (stacking, the nights' learning
    added up), or the base model again with every active insight replayed in full and anchored
    (consolidation, `dream.pipeline.consolidate`). A consolidation is a normal run: gated,
    promoted, rolled back like any other; its version has no parent."""

    consolidate_on_correction: bool = True
    """Train from the base model when tonight retires an insight an earlier night taught (a
    correction: "I moved to York"). Stacked, the old value stays in the weights it was trained
    into and tonight's training has to fight it; from the base model it was never learned."""
    consolidate_every: int = 0
    """Also train from the base model once the serving adapter has this many nights stacked on
    it (0 = never by count; 0..365)."""

    def __post_init__(self) -> None:
        if not 0 <= self.consolidate_every <= 365:
            raise ValueError(f"consolidate_every must be within [0, 365], got "
                             f"{self.consolidate_every}")

    def consolidates(self, retired_earlier: int, stacked: int) -> str | None:
        """Why tonight trains from the base model (None: it stacks), given how many earlier
        insights tonight retired and how many nights the serving adapter has stacked (0 when
        nothing serves)."""
        if stacked == 0:
            return None  # the base model is where it starts anyway
        if self.consolidate_on_correction and retired_earlier:
            return "correction"
        if self.consolidate_every and stacked >= self.consolidate_every:
            return "every"
        return None


@dataclass
class LearningConfig:
    """Everything a learning run is configured with, by section; saved on the run row. The worker
    takes the overrides from LUCID_LEARN_OVERRIDES as {"opsd": {...}, "dream": {...},
    "gate": {...}, "nights": {...}}."""

    opsd: OPSDConfig = field(default_factory=OPSDConfig)
    """How the candidate adapter is trained."""
    dream: DreamConfig = field(default_factory=DreamConfig)
    """How the night's practice is written and filtered."""
    gate: GateConfig = field(default_factory=GateConfig)
    """When the candidate may be promoted."""
    nights: NightsConfig = field(default_factory=NightsConfig)
    """What each night's adapter starts from."""

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Mapping[str, Any]]) -> LearningConfig:
        """Defaults with `overrides` applied; unknown sections or fields are an error."""
        refuse_unknown(cls, overrides, "sections")
        return cls(opsd=OPSDConfig.from_dict(overrides.get("opsd", {})),
                   dream=DreamConfig.from_dict(overrides.get("dream", {})),
                   gate=GateConfig.from_dict(overrides.get("gate", {})),
                   nights=NightsConfig.from_dict(overrides.get("nights", {})))

    def to_dict(self) -> dict[str, Any]:
        """Every section's plain values: what `from_overrides` takes back."""
        return asdict(self)


def resolve_device(name: str) -> torch.device:
    """"auto" -> cuda when available, else cpu; anything else is taken as a torch device name."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
