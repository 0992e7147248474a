"""Chat completion backends for dreaming: one Protocol, two implementations.

`HTTPGenerator` talks to an OpenAI-compatible server (vLLM in production); `HFGenerator` runs the
model in-process with transformers, for tests and for nights when no engine is up. Everything in
`dream/` depends only on the Protocol, so either backend can drive the whole pipeline.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol

import httpx
import orjson

if TYPE_CHECKING:  # torch loads only with HFGenerator: HTTP-only workers stay light
    import torch

Conversation = list[dict[str, Any]]


class Generator(Protocol):
    """Anything that completes chat conversations."""

    def chat(self, conversations: list[Conversation], *, n: int = 1, temperature: float = 0.0,
             max_tokens: int = 128, seed: int | None = None) -> list[list[str]]:
        """Return `n` completions for each conversation, in the order given."""
        ...


class HTTPGenerator:
    """Posts to `{base_url}/v1/chat/completions`, many requests at once.

    vLLM batches concurrent requests itself, so a thread pool of blocking clients is all the
    client-side parallelism needed; `n` is sent as is (vLLM samples n choices in one request).
    """

    def __init__(self, base_url: str, model: str, concurrency: int = 8, timeout_s: float = 300.0,
                 retries: int = 2, api_key: str | None = None, backoff_s: float = 0.5,
                 transport: httpx.BaseTransport | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.url = base_url.rstrip("/").removesuffix("/v1") + "/v1/chat/completions"
        self.model, self.concurrency, self.retries = model, concurrency, retries
        self.backoff_s = backoff_s
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(timeout=timeout_s, headers=headers, limits=limits,
                                    transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HTTPGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, messages: Conversation, n: int, temperature: float, max_tokens: int,
             seed: int | None) -> list[str]:
        if temperature == 0 and n > 1:  # greedy choices are identical; some servers reject n>1
            return self._one(messages, 1, temperature, max_tokens, seed) * n
        body: dict[str, Any] = {"model": self.model, "messages": messages, "n": n,
                                "temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            body["seed"] = seed
        payload = orjson.dumps(body)
        for attempt in range(self.retries + 1):
            try:
                response = self._client.post(self.url, content=payload)
                # 4xx other than overload is a bug in the request: retrying cannot help.
                if response.status_code < 500 and response.status_code != 429:
                    response.raise_for_status()
                    choices = sorted(orjson.loads(response.content)["choices"],
                                     key=lambda c: c.get("index", 0))
                    return [(c["message"].get("content") or "").strip() for c in choices]
                error: Exception = httpx.HTTPStatusError(
                    f"{response.status_code}: {response.text[:200]}", request=response.request,
                    response=response)
            except httpx.TransportError as exc:
                error = exc
            if attempt == self.retries:
                raise error
            time.sleep(self.backoff_s * 2**attempt)  # engine restarting or overloaded: wait
        raise AssertionError("unreachable")

    def chat(self, conversations: list[Conversation], *, n: int = 1, temperature: float = 0.0,
             max_tokens: int = 128, seed: int | None = None) -> list[list[str]]:
        if not conversations:
            return []
        workers = min(self.concurrency, len(conversations))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # Distinct seeds per conversation keep runs reproducible without every request
            # drawing the same random stream.
            futures = [pool.submit(self._one, conv, n, temperature, max_tokens,
                                   None if seed is None else seed + i)
                       for i, conv in enumerate(conversations)]
            return [f.result() for f in futures]


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
