"""Serving overhead: the same prompts sent to Lucid and straight to the vLLM it fronts, in one run.

    .venv/bin/python bench/serving.py [--engine-url URL] [--requests 16] [--rounds 4]

Starts vLLM (unless --engine-url) and a Lucid API replica with session logging on (PostgreSQL:
DATABASE_URL, else an embedded one in a temporary folder). For each concurrency (1 and 8) it
alternates rounds against vLLM and Lucid, greedy decoding so both generate the same tokens, and
prints throughput (completion tokens/s), the ratio Lucid/direct, and time-to-first-token p50/p95
with the difference Lucid adds. Targets: ratio >= 0.97, added p50 TTFT <= 5 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
import orjson
from stack import running_stack

PROMPTS = [
    "Explain how a bicycle stays upright.",
    "Write a short poem about the sea.",
    "What are three uses of vinegar at home?",
    "Describe the water cycle for a child.",
    "Give me a recipe idea with rice and beans.",
    "Why is the sky blue?",
    "Summarise the plot of a detective story you invent.",
    "List some tips for learning a new language.",
]


async def _one(http: httpx.AsyncClient, url: str, model: str, prompt: str, max_tokens: int):
    """(ttft seconds, completion tokens, total seconds) for one streamed request."""
    body = {"model": model, "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    start = time.perf_counter()
    ttft = None
    tokens = 0
    async with http.stream("POST", f"{url}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = orjson.loads(line[6:])
            if chunk.get("choices") and chunk["choices"][0]["delta"].get("content"):
                ttft = ttft if ttft is not None else time.perf_counter() - start
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
    return ttft or 0.0, tokens, time.perf_counter() - start


async def _round(url: str, headers: dict[str, str], model: str, n: int, concurrency: int,
                 max_tokens: int):
    """Run n requests with `concurrency` in flight; return (ttfts, tokens, wall seconds)."""
    queue = [PROMPTS[i % len(PROMPTS)] for i in range(n)]
    ttfts: list[float] = []
    tokens = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal tokens
        while queue:
            ttft, toks, _ = await _one(http, url, model, queue.pop(), max_tokens)
            ttfts.append(ttft)
            tokens += toks

    limits = httpx.Limits(max_connections=concurrency * 2)
    async with httpx.AsyncClient(timeout=600, limits=limits, headers=headers) as http:
        await _one(http, url, model, PROMPTS[0], 4)  # warm the connection
        start = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return ttfts, tokens, wall


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 \
        else values[0]


async def measure(direct: str, lucid: str, auth: dict[str, str], base_model: str,
                  args: argparse.Namespace) -> None:
    print(f"{'conc':>4} {'direct tok/s':>13} {'lucid tok/s':>12} {'ratio':>6} "
          f"{'TTFT p50 d/l ms':>16} {'p95 d/l ms':>14} {'added p50':>9} {'added p95':>9}")
    for concurrency in args.concurrency:
        runs: dict[str, tuple[list[float], int, float]] = {"direct": ([], 0, 0.0),
                                                           "lucid": ([], 0, 0.0)}
        for _ in range(args.rounds):  # alternate, so drift hits both sides alike
            for name, url, headers, model in (("direct", direct, {}, base_model),
                                              ("lucid", lucid, auth, "lucid")):
                t, k, w = await _round(url, headers, model, args.requests, concurrency,
                                       args.max_tokens)
                old = runs[name]
                runs[name] = (old[0] + t, old[1] + k, old[2] + w)
        d, lu = runs["direct"], runs["lucid"]
        d_tps, l_tps = d[1] / d[2], lu[1] / lu[2]
        d50, l50 = _pct(d[0], 50) * 1e3, _pct(lu[0], 50) * 1e3
        d95, l95 = _pct(d[0], 95) * 1e3, _pct(lu[0], 95) * 1e3
        print(f"{concurrency:>4} {d_tps:>13.1f} {l_tps:>12.1f} {l_tps / d_tps:>6.3f} "
              f"{d50:>7.1f}/{l50:<8.1f} {d95:>6.1f}/{l95:<7.1f} "
              f"{l50 - d50:>9.1f} {l95 - d95:>9.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine-url", help="a running vLLM to use instead of starting one")
    parser.add_argument("--requests", type=int, default=16, help="requests per round")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds per side")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    with running_stack(args.engine_url) as stack:
        print(f"model {stack.settings.base_model_id}, {args.requests} requests x {args.rounds} "
              f"rounds per side, {args.max_tokens} max tokens, greedy, logging to PostgreSQL on\n")
        asyncio.run(measure(stack.engine_url, stack.api_url, stack.auth,
                            stack.settings.base_model_id, args))
        logged = httpx.get(f"{stack.api_url}/admin/sessions", params={"limit": 1},
                           headers=stack.auth).json()["data"]
        assert logged, "Lucid logged no sessions"


if __name__ == "__main__":
    main()
