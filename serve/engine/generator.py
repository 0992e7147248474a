"""The engine as a `dream.generator.Generator`: the dream, the teacher filter and the learning run
sample from vLLM through it, many requests at once, retrying while the engine restarts or is
overloaded. Synchronous: it runs in the Celery worker and in benchmarks, not on the chat path.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import orjson

from dream.generator import Conversation
from serve.engine.protocol import CHAT_PATH, engine_root


class EngineGenerator:
    """The engine as dream's `Generator`: chat completions posted many at once.

    vLLM batches concurrent requests itself, so a thread pool of blocking clients is all the
    client-side parallelism needed; `n` is sent as is (vLLM samples n choices in one request).
    Safe to call from several threads (the dream dreams sessions side by side): every request
    carries its own seed, and at most `concurrency` are in flight. `structured` holds replies to
    a JSON schema (vLLM's structured outputs), for `dream.model_reader`; `parameters` is the
    served model's size when the caller knows it (`serve.engine.model_size`).
    """

    concurrent = True

    def __init__(self, base_url: str, model: str, concurrency: int = 8, timeout_s: float = 300.0,
                 retries: int = 2, api_key: str | None = None, backoff_s: float = 0.5,
                 transport: httpx.BaseTransport | None = None,
                 parameters: int | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self.url = engine_root(base_url) + CHAT_PATH
        self.model, self.concurrency, self.retries = model, concurrency, retries
        self.parameters = parameters
        self.backoff_s = backoff_s
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(timeout=timeout_s, headers=headers, limits=limits,
                                    transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> EngineGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, messages: Conversation, n: int, temperature: float, max_tokens: int,
             seed: int | None, schema: dict[str, Any] | None = None) -> list[str]:
        if temperature == 0 and n > 1:  # greedy choices are identical; some servers reject n>1
            return self._one(messages, 1, temperature, max_tokens, seed, schema) * n
        body: dict[str, Any] = {"model": self.model, "messages": messages, "n": n,
                                "temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            body["seed"] = seed
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "reply", "schema": schema, "strict": True}}
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
        return self._many(conversations, n, temperature, max_tokens, seed, None)

    def structured(self, conversations: list[Conversation], schema: dict[str, Any], *,
                   max_tokens: int = 512, seed: int | None = None) -> list[str]:
        """One greedy reply per conversation, held by the engine to the JSON `schema`."""
        return [replies[0] for replies in self._many(conversations, 1, 0.0, max_tokens, seed,
                                                      schema)]

    def _many(self, conversations: list[Conversation], n: int, temperature: float,
              max_tokens: int, seed: int | None, schema: dict[str, Any] | None
              ) -> list[list[str]]:
        if not conversations:
            return []
        workers = min(self.concurrency, len(conversations))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            # Distinct seeds per conversation keep runs reproducible without every request
            # drawing the same random stream.
            futures = [pool.submit(self._one, conv, n, temperature, max_tokens,
                                   None if seed is None else seed + i, schema)
                       for i, conv in enumerate(conversations)]
            return [f.result() for f in futures]
