"""Model loading, batched generation and perplexity with plain transformers (no vLLM), shared by
the trainer, the promotion gate and the distillation benchmark.

`load_for_eval(base, adapter)` gives a ready model; `answer` and `perplexity` measure it.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

from distill.config import DTYPES, resolve_device

Messages = list[dict]


def load_base(base_model: str, dtype: str = "float32", device: str = "auto"):
    """(model, tokenizer) from a local HF folder, in eval mode on the resolved device."""
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {tuple(DTYPES)}, got {dtype!r}")
    tokenizer = AutoTokenizer.from_pretrained(base_model)
    if tokenizer.pad_token_id is None:  # padding is always masked, so any id will do
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=DTYPES[dtype])
    model.to(resolve_device(device)).eval()
    return model, tokenizer


def load_for_eval(base_model: str, adapter: Path | None = None, dtype: str = "float32",
                  device: str = "auto"):
    """(model, tokenizer): the base model, with `adapter` merged in when given."""
    model, tokenizer = load_base(base_model, dtype, device)
    if adapter is not None:
        from peft import PeftModel

        # Merged, so evaluation runs at base-model speed and sees exactly the served weights.
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload().eval()
    return model, tokenizer


def encode_prompts(tokenizer, prompts: list[Messages]) -> list[list[int]]:
    """Token ids of each chat rendered with the model's template, ready for the assistant turn."""
    texts = [tokenizer.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
             for p in prompts]
    # The template already writes any BOS-like tokens; adding specials would double them.
    return [tokenizer(t, add_special_tokens=False)["input_ids"] for t in texts]


def pad_batch(rows: list[list[int]], pad_id: int, left: bool, device: torch.device):
    """(input_ids, attention_mask, position_ids) for rows padded on the left or the right."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attn = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        span = slice(width - len(r), width) if left else slice(0, len(r))
        ids[i, span] = torch.tensor(r, dtype=torch.long)
        attn[i, span] = 1
    # Positions count real tokens only, so a left-padded row sees the same positions as unpadded.
    pos = (attn.cumsum(-1) - 1).clamp(min=0)
    return ids.to(device), attn.to(device), pos.to(device)


def eos_ids(model, tokenizer) -> list[int]:
    ids = model.generation_config.eos_token_id
    ids = list(ids) if isinstance(ids, list | tuple) else [ids] if ids is not None else []
    return ids or [tokenizer.eos_token_id]


@torch.no_grad()
def generate_ids(model, tokenizer, prompt_ids: list[list[int]], max_new_tokens: int,
                 do_sample: bool = False, temperature: float = 1.0,
                 batch_size: int = 16) -> list[list[int]]:
    """Completion ids per prompt, cut after the first end-of-turn token (which is kept)."""
    stops = eos_ids(model, tokenizer)
    sampling = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0}
    gen = GenerationConfig(max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id,
                           eos_token_id=stops, **(sampling if do_sample else {"do_sample": False}))
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out: list[list[int]] = []
    try:
        for start in range(0, len(prompt_ids), batch_size):
            rows = prompt_ids[start:start + batch_size]
            ids, attn, _ = pad_batch(rows, tokenizer.pad_token_id, left=True, device=device)
            seqs = model.generate(input_ids=ids, attention_mask=attn, generation_config=gen)
            for row in seqs[:, ids.shape[1]:].tolist():
                end = next((i + 1 for i, t in enumerate(row) if t in stops), len(row))
                out.append(row[:end])
    finally:
        model.train(was_training)
    return out


def answer(model, tokenizer, prompts: list[Messages], max_new_tokens: int = 48,
           batch_size: int = 16) -> list[str]:
    """Greedy replies to chats, batched with left padding."""
    ids = generate_ids(model, tokenizer, encode_prompts(tokenizer, prompts), max_new_tokens,
                       batch_size=batch_size)
    return [tokenizer.decode(r, skip_special_tokens=True).strip() for r in ids]


@torch.no_grad()
def perplexity(model, tokenizer, texts: list[str], batch_size: int = 8,
               max_length: int = 1024) -> float:
    """Token-weighted perplexity of plain texts (each truncated to max_length tokens)."""
    device = next(model.parameters()).device
    rows = [tokenizer(t, add_special_tokens=False)["input_ids"][:max_length] for t in texts]
    rows = [r for r in rows if len(r) >= 2]
    if not rows:
        raise ValueError("perplexity needs at least one text of two or more tokens")
    total_nll, total_tokens = 0.0, 0
    for start in range(0, len(rows), batch_size):
        ids, attn, pos = pad_batch(rows[start:start + batch_size], tokenizer.pad_token_id,
                                   left=False, device=device)
        logits = model(input_ids=ids, attention_mask=attn, position_ids=pos).logits[:, :-1]
        target = ids[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.float().transpose(1, 2), target,
                                                reduction="none")
        weight = attn[:, 1:].to(nll.dtype)
        total_nll += float((nll * weight).sum())
        total_tokens += int(weight.sum())
    return math.exp(total_nll / total_tokens)
