"""Chat completion backends for dreaming: the `Generator` Protocol, and `HFGenerator`.

`HFGenerator` runs the model in-process with transformers, for tests and for nights when no engine
is up. The engine's implementation (`serve.engine.generator.EngineGenerator`, batched requests to
vLLM) lives with the engine client, the only code that knows vLLM's URLs. Everything in `dream/`
depends only on the Protocol, so either backend can drive the whole pipeline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # torch loads only with HFGenerator: HTTP-only workers stay light
    import torch

Conversation = list[dict[str, Any]]


class Generator(Protocol):
    """Anything that completes chat conversations. One that sets `concurrent = True` may be
    called from several threads at once with the same results (an engine over HTTP, whose
    requests carry their own seeds); the dream then dreams sessions side by side."""

    def chat(self, conversations: list[Conversation], *, n: int = 1, temperature: float = 0.0,
             max_tokens: int = 128, seed: int | None = None) -> list[list[str]]:
        """Return `n` completions for each conversation, in the order given."""
        ...


def _cpu_times() -> tuple[float, float]:
    with open("/proc/stat") as f:
        values = [float(v) for v in f.readline().split()[1:]]
    return sum(values), values[3] + values[4]  # total, idle + iowait


def _idle_cores(window_s: float = 0.05) -> int:
    """CPU threads worth using right now.

    OpenMP threads that wait for a core another process holds stall every decoding step: on a
    shared 2-core machine, 2 threads beside one busy process ran 20x slower than 1 thread. So
    count the cores left idle over a short window, sampled while this process is not decoding.
    """
    import torch

    cores = os.cpu_count() or 1
    try:
        total0, idle0 = _cpu_times()
        time.sleep(window_s)
        total1, idle1 = _cpu_times()
        free = cores * (idle1 - idle0) / max(total1 - total0, 1e-9)
    except (OSError, ValueError, IndexError):  # no /proc (not Linux): fall back to load
        free = cores - os.getloadavg()[0]
    return max(1, min(torch.get_num_threads(), int(free + 0.5)))


class HFGenerator:
    """transformers `generate`, batched with left padding so every row ends where decoding starts.

    Rows are sorted by length before batching so a batch pads little; results come back in the
    caller's order. Greedy requests for n > 1 decode once and repeat, since greedy is deterministic.
    """

    def __init__(self, model_path: str, device: str = "cpu",
                 dtype: str | torch.dtype = "float32", batch_size: int = 16,
                 threads: int | None = None) -> None:
        """`threads`: CPU threads for decoding; None picks the idle cores before each call."""
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if threads is not None and threads < 1:
            raise ValueError("threads must be >= 1")
        self._torch, self.device, self.batch_size = torch, device, batch_size
        self.threads = threads
        self.tokenizer = AutoTokenizer.from_pretrained(model_path, padding_side="left")
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype)
        self.model = AutoModelForCausalLM.from_pretrained(model_path, dtype=dtype).to(device)
        self.model.eval()
        self.parameters = sum(p.numel() for p in self.model.parameters())
        """The model's size (what `DreamConfig.reader = "auto"` weighs)."""

    def _generate(self, texts: Sequence[str], n: int, temperature: float,
                  max_tokens: int) -> list[list[str]]:
        enc = self.tokenizer(list(texts), return_tensors="pt", padding=True,
                             add_special_tokens=False).to(self.device)
        sample = temperature > 0
        kwargs: dict[str, Any] = {"do_sample": sample, "max_new_tokens": max_tokens,
                                  "num_return_sequences": n if sample else 1,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        # Pass sampling knobs explicitly so the model's generation_config defaults never apply.
        kwargs.update({"temperature": temperature, "top_p": 1.0, "top_k": 0} if sample
                      else {"temperature": None, "top_p": None, "top_k": None})
        with self._torch.inference_mode():
            out = self.model.generate(**enc, **kwargs)
        decoded = self.tokenizer.batch_decode(out[:, enc["input_ids"].shape[1]:],
                                              skip_special_tokens=True)
        per = n if sample else 1
        rows = [[d.strip() for d in decoded[i * per:(i + 1) * per]] for i in range(len(texts))]
        return rows if sample else [row * n for row in rows]

    def chat(self, conversations: list[Conversation], *, n: int = 1, temperature: float = 0.0,
             max_tokens: int = 128, seed: int | None = None) -> list[list[str]]:
        if not conversations:
            return []
        torch = self._torch
        texts = [self.tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True)
                 for c in conversations]
        threads = torch.get_num_threads()
        if self.device == "cpu":  # process-wide in torch: restored below
            torch.set_num_threads(self.threads or _idle_cores())
        try:
            return self._chat_sorted(texts, n, temperature, max_tokens, seed)
        finally:
            torch.set_num_threads(threads)

    def _chat_sorted(self, texts: list[str], n: int, temperature: float, max_tokens: int,
                     seed: int | None) -> list[list[str]]:
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        results: list[list[str]] = [[] for _ in texts]
        # Fewer prompts per batch when each expands into n sampled rows, to bound memory.
        step = max(1, self.batch_size // (n if temperature > 0 else 1))
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            for start in range(0, len(order), step):
                idx = order[start:start + step]
                for i, row in zip(idx, self._generate([texts[i] for i in idx], n, temperature,
                                                      max_tokens), strict=True):
                    results[i] = row
        return results
