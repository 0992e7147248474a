"""Hot-swap under load: concurrent streams while adapters are promoted and rolled back.

    .venv/bin/python bench/hotswap.py [--engine-url URL] [--streams 8] [--cycles 3]

Builds two real LoRA adapters (random weights, so they change outputs), registers them, then
keeps `--streams` streaming chat requests in flight while it promotes and rolls back repeatedly.
Prints failed requests (target 0) and, per switch, the time from the admin call to the first
token served by the new version (target <= 1 s), next to the same TTFT on an idle switch-free
request for reference.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import httpx
import orjson
from stack import running_stack

from store.adapter_folders import publish
from store.adapters import AdapterStore
from store.db import open_pool

ASK = [{"role": "user", "content": "Tell me about the history of tea."}]


def make_adapter(model_path: str, out: Path, seed: int) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                      init_lora_weights=False)
    get_peft_model(model, lora).save_pretrained(out)
    return out


async def register(database_url: str, folder: Path, root: Path, base: str) -> str:
    path, sha = publish(folder, root)
    pool = await open_pool(database_url, 1)
    try:
        row = await AdapterStore(pool).create_version(
            run_id=None, parent_id=None, base_model=base, path=str(path), sha256=sha,
            config={}, metrics={})
    finally:
        await pool.close()
    return row["name"]


async def first_token(http: httpx.AsyncClient, api: str, max_tokens: int = 4) -> tuple[str, float]:
    """(model that served, seconds to its first content token) for one streamed request."""
    start = time.perf_counter()
    body = {"model": "lucid", "messages": ASK, "max_tokens": max_tokens, "stream": True}
    async with http.stream("POST", f"{api}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("data: {"):
                chunk = orjson.loads(line[6:])
                if chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                    return chunk["model"], time.perf_counter() - start
    raise RuntimeError("stream ended without content")


async def load(api: str, auth: dict[str, str], streams: int, stop: asyncio.Event,
               counts: dict[str, int]) -> None:
    async def one_client(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            body = {"model": "lucid", "messages": ASK, "max_tokens": 48, "stream": True,
                    "temperature": 0.8}
            try:
                async with http.stream("POST", f"{api}/v1/chat/completions", json=body) as r:
                    r.raise_for_status()
                    finished = False
                    async for line in r.aiter_lines():
                        if line.startswith("data: {"):
                            chunk = orjson.loads(line[6:])
                            if "error" in chunk:
                                raise RuntimeError(chunk["error"])
                        finished = finished or line == "data: [DONE]"
                    if not finished:
                        raise RuntimeError("stream ended without [DONE]")
                counts["ok"] += 1
            except Exception as exc:  # noqa: BLE001 - every failure counts
                counts["failed"] += 1
                print("request failed:", exc, flush=True)

    async with httpx.AsyncClient(timeout=300, headers=auth) as http:
        await asyncio.gather(*(one_client(http) for _ in range(streams)))


async def run(stack, names: list[str], streams: int, cycles: int) -> None:
    api = stack.api_url
    counts = {"ok": 0, "failed": 0}
    stop = asyncio.Event()
    async with httpx.AsyncClient(timeout=300, headers=stack.auth) as http:
        idle = [(await first_token(http, api))[1] for _ in range(5)]
        background = asyncio.create_task(load(api, stack.auth, streams, stop, counts))
        await asyncio.sleep(3)
        switches: list[float] = []
        plan = []
        for _ in range(cycles):
            plan += [(f"adapters/{names[0]}/promote", names[0]),
                     (f"adapters/{names[1]}/promote", names[1]),
                     ("rollback", names[0]), ("rollback", stack.settings.base_model_id)]
        for action, target in plan:
            start = time.perf_counter()
            response = await http.post(f"{api}/admin/{action}")
            response.raise_for_status()
            while True:
                model, _ = await first_token(http, api)
                if model == target:
                    switches.append(time.perf_counter() - start)
                    break
            await asyncio.sleep(1.5)
        stop.set()
        await background
    print(f"\n{streams} concurrent streams, {len(plan)} switches (promote/rollback)")
    print(f"requests completed: {counts['ok']}, failed: {counts['failed']}  (target 0)")
    print(f"promote/rollback call -> first token of new version: p50 "
          f"{statistics.median(switches) * 1e3:.0f} ms, max {max(switches) * 1e3:.0f} ms "
          f"(target <= 1000 ms); idle TTFT without a switch: p50 "
          f"{statistics.median(idle) * 1e3:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine-url")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--cycles", type=int, default=3)
    args = parser.parse_args()
    with running_stack(args.engine_url) as stack:
        base = stack.settings.base_model_id
        names = [asyncio.run(register(
            stack.database_url, make_adapter(stack.settings.model_path, stack.tmp / f"a{i}", i),
            stack.tmp / "adapters", base)) for i in (1, 2)]
        asyncio.run(run(stack, names, args.streams, args.cycles))


if __name__ == "__main__":
    main()
