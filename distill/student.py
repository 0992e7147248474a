"""What a training run works on: the practice examples (`PracticeExample`), and the model with
its trainable LoRA adapter, its teacher view and the encoded examples (`TrainingRun`), shared by
the trainer (`distill.trainer`) and the OPSD step (`distill.opsd_step`).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model

from distill.config import OPSDConfig
from distill.evaluate import encode_prompts, eos_ids, generate_ids, load_base
from dream.teacher_view import teacher_chat


@dataclass(frozen=True)
class PracticeExample:
    prompt: list[dict]
    """Chat messages the student sees, e.g. [{"role": "user", "content": "..."}]."""
    context: str = ""
    """Privileged text only the teacher sees; "" for replay prompts, where the teacher is just the
    model, which holds the student near it on general requests (against forgetting)."""
    checker: dict | None = None
    """A test of the answer (`dream.checkers`) when the prompt asks for a stated fact: teacher
    samples that fail it are not distilled (OPSDConfig.verify_teacher)."""
    answers: tuple[str, ...] = ()
    """Answers the dream's teacher filter kept for this prompt (the teacher with the context);
    with OPSDConfig.reuse_teacher_answers they stand in for fresh teacher samples."""


def teacher_messages(example: PracticeExample) -> list[dict]:
    """The teacher's chat (`dream.teacher_view.teacher_chat`): the context as (or ahead of) the
    system message, then its recap to the user, then the prompt."""
    return teacher_chat(example.prompt, example.context)


class TrainingRun:
    """The model with a trainable LoRA adapter, its teacher view, and the encoded examples."""

    def __init__(self, base_model: str, examples: list[PracticeExample], config: OPSDConfig,
                 init_adapter: Path | None) -> None:
        if not examples:
            raise ValueError("train needs at least one PracticeExample")
        self.config = config
        torch.manual_seed(config.seed)  # LoRA initialisation and sampling
        self.order = random.Random(config.seed)
        self.pick = random.Random(config.seed + 1)  # which stored teacher answer a row takes
        base, self.tokenizer = load_base(base_model, config.dtype, config.device)
        self.eos = eos_ids(base, self.tokenizer)[0]  # ends a stored answer as it ends a sample
        self.device = config.torch_device()
        self.frozen_teacher = init_adapter is not None and config.teacher == "frozen_current"
        if init_adapter is None:
            lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                              lora_dropout=config.lora_dropout,
                              target_modules=list(config.target_modules), task_type="CAUSAL_LM")
            self.model = get_peft_model(base, lora)
        else:
            # The new adapter starts as a copy of the current one; with "frozen_current" a second,
            # frozen copy is the teacher, so the student learns on top of what it already knows.
            self.model = PeftModel.from_pretrained(base, str(init_adapter), is_trainable=True)
            self._check_shape(self.model.peft_config["default"], init_adapter)
            if self.frozen_teacher:
                self.model.load_adapter(str(init_adapter), adapter_name="teacher",
                                        is_trainable=False)
                self.model.set_adapter("default")
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        # No weight decay: it would pull the adapter towards zero, i.e. towards forgetting.
        self.optimizer = torch.optim.AdamW(self.params, lr=config.learning_rate, weight_decay=0.0)
        self.examples = examples
        self.student_ids = encode_prompts(self.tokenizer, [e.prompt for e in examples])
        self.teacher_ids = encode_prompts(self.tokenizer, [teacher_messages(e) for e in examples])
        self.queue: list[int] = []
        self.teacher_rows = self.teacher_rejected = 0
        self.sample_batches: list[int] = []
        """Rows of each `generate` call made for training samples, in order."""

    def _check_shape(self, peft_config, init_adapter: Path) -> None:
        have = (peft_config.r, sorted(peft_config.target_modules))
        want = (self.config.lora_r, sorted(self.config.target_modules))
        if have != want:
            raise ValueError(f"init_adapter {init_adapter} has (r, target_modules) {have}, "
                             f"but the config asks for {want}")

    def next_batch(self) -> list[int]:
        """Example indices: shuffled passes over all examples, so each is used equally often."""
        batch = []
        while len(batch) < self.config.batch_size:
            if not self.queue:
                self.queue = list(range(len(self.examples)))
                self.order.shuffle(self.queue)
            batch.append(self.queue.pop())
        return batch

    @contextmanager
    def teacher(self) -> Iterator[None]:
        """Within: the model is the teacher (adapters off, or the frozen current adapter)."""
        if self.frozen_teacher:
            self.model.set_adapter("teacher", inference_mode=True)
            try:
                yield
            finally:
                self.model.set_adapter("default")  # also makes "default" trainable again
        else:
            with self.model.disable_adapter():
                yield

    def generate(self, prompt_ids: list[list[int]], do_sample: bool) -> list[list[int]]:
        self.sample_batches.append(len(prompt_ids))
        return generate_ids(self.model, self.tokenizer, prompt_ids, self.config.max_new_tokens,
                            do_sample=do_sample, temperature=self.config.sample_temperature,
                            batch_size=len(prompt_ids))

    def completion_logits(self, prompt_ids: list[list[int]],
                          completions: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits predicting each completion token [batch, L, vocab] and the token mask [batch, L].

        Rows are laid out as left-padded prompt then right-padded completion, so completion
        token j sits in the same column of every row, whatever the prompt lengths.
        """
        width_p = max(len(p) for p in prompt_ids)
        width_c = max(len(c) for c in completions)
        pad = self.tokenizer.pad_token_id
        ids = torch.full((len(prompt_ids), width_p + width_c), pad, dtype=torch.long)
        attn = torch.zeros_like(ids)
        mask = torch.zeros((len(prompt_ids), width_c), dtype=torch.long)
        for i, (p, c) in enumerate(zip(prompt_ids, completions, strict=True)):
            ids[i, width_p - len(p):width_p + len(c)] = torch.tensor(p + c, dtype=torch.long)
            attn[i, width_p - len(p):width_p + len(c)] = 1
            mask[i, :len(c)] = 1
        pos = (attn.cumsum(-1) - 1).clamp(min=0)
        # Only the last width_c + 1 positions go through lm_head: the vocab-sized logits of the
        # prompt are never needed. The very last position predicts past the completion: dropped.
        out = self.model(input_ids=ids.to(self.device), attention_mask=attn.to(self.device),
                         position_ids=pos.to(self.device), logits_to_keep=width_c + 1)
        return out.logits[:, :-1], mask.to(self.device)

    def save(self, out_dir: Path) -> None:
        # Only the student: a loaded "teacher" copy must not end up in the published folder.
        self.model.save_pretrained(str(out_dir), selected_adapters=["default"])
