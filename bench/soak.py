"""Soak: sustained concurrent chat, streamed and not, for a fixed time, while a learning run works
on the worker and two adapter versions are promoted.

    .venv/bin/python bench/soak.py [--duration 300] [--concurrency 8] [--engine-url URL]

Starts PostgreSQL, Redis, a Celery worker, vLLM (unless --engine-url) and one API replica. Each
client alternates its requests between Lucid and the vLLM behind it (the peer), so both see the
same moment of the learning run and the same promotions. Every Lucid request carries its own
X-Request-Id; afterwards the turns table is read back and each request the client saw succeed
must be there exactly once. Prints requests, errors (target 0), lost and doubled turns (target
0), and p50/p99 of latency (whole answer) and time to first token (streams) for Lucid and for
vLLM direct, with the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field

import httpx
import orjson
import psycopg
from hotswap import make_adapter, register
from stack import running_stack

NAMES = ["Maple", "Juniper", "Corvin", "Tamsin", "Orrin", "Wrenna", "Bastien", "Ilse"]
THINGS = ["cat", "boat", "bakery", "bicycle", "violin", "garden", "robot", "lighthouse"]
QUESTIONS = ["What is a good name for a cat?", "Give me one tip for sleeping well.",
             "What is the capital of France?", "Suggest a snack for a hike."]


@dataclass
class Tally:
    ok: list[str] = field(default_factory=list)  # request ids the client saw succeed
    errors: list[str] = field(default_factory=list)
    latency: list[float] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)


def _body(rng: random.Random, model: str, stream: bool) -> dict:
    if rng.random() < 0.5:  # something to learn from, as users say it in passing
        text = f"My {rng.choice(THINGS)} is called {rng.choice(NAMES)}. Any advice?"
    else:
        text = rng.choice(QUESTIONS)
    return {"model": model, "messages": [{"role": "user", "content": text}], "max_tokens": 32,
            "temperature": 0.7, "stream": stream, "user": f"soak-{rng.randrange(50)}"}


async def _one(http: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict,
               tally: Tally) -> None:
    request_id = f"soak-{uuid.uuid4().hex}"
    start = time.perf_counter()
    try:
        if body["stream"]:
            first = None
            done = False
            async with http.stream("POST", f"{url}/v1/chat/completions", json=body,
                                   headers={**headers, "X-Request-Id": request_id}) as response:
                if response.status_code != 200:
                    raise RuntimeError(f"status {response.status_code}")
                async for line in response.aiter_lines():
                    if line.startswith("data: {"):
                        chunk = orjson.loads(line[6:])
                        if "error" in chunk:
                            raise RuntimeError(chunk["error"])
                        if first is None and chunk.get("choices") and \
                                chunk["choices"][0]["delta"].get("content"):
                            first = time.perf_counter() - start
                    done = done or line == "data: [DONE]"
            if not done:
                raise RuntimeError("stream ended without [DONE]")
            if first is not None:
                tally.ttft.append(first)
        else:
            response = await http.post(f"{url}/v1/chat/completions", json=body,
                                       headers={**headers, "X-Request-Id": request_id})
            if response.status_code != 200:
                raise RuntimeError(f"status {response.status_code}: {response.text[:200]}")
        tally.latency.append(time.perf_counter() - start)
        tally.ok.append(request_id)
    except Exception as exc:  # noqa: BLE001 - every failure counts
        tally.errors.append(f"{request_id}: {exc}")


async def load(targets: list[tuple[str, dict[str, str], str]], seconds: float, concurrency: int,
               seed: int) -> list[Tally]:
    """Each client sends to each (url, headers, model) target in turn until the time is up."""
    tallies = [Tally() for _ in targets]
    deadline = time.monotonic() + seconds

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        async with httpx.AsyncClient(timeout=300) as http:
            turn = n
            while time.monotonic() < deadline:
                k = turn % len(targets)
                url, headers, model = targets[k]
                await _one(http, url, headers, _body(rng, model, stream=rng.random() < 0.5),
                           tallies[k])
                turn += 1

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return tallies


async def soak(url: str, auth: dict[str, str], engine: tuple[str, str], names: list[str],
               seconds: float, concurrency: int) -> tuple:
    started = time.monotonic()

    async def timed_operator() -> list[str]:
        events = []
        async with httpx.AsyncClient(timeout=120, headers=auth) as http:
            for at, action in ((0.10, "runs"), (0.35, f"adapters/{names[0]}/promote"),
                               (0.65, f"adapters/{names[1]}/promote")):
                await asyncio.sleep(max(0.0, started + at * seconds - time.monotonic()))
                response = await http.post(f"{url}/admin/{action}")
                events.append(f"t={time.monotonic() - started:5.0f}s POST /admin/{action}: "
                              f"{response.status_code}")
        return events

    (tally, peer), events = await asyncio.gather(
        load([(url, auth, "lucid"), (engine[0], {}, engine[1])], seconds, concurrency, 1),
        timed_operator())
    return tally, peer, events


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def check_turns(database_url: str, ok: list[str]) -> tuple[int, int]:
    """(lost, doubled): requests that succeeded for the client but have no turn, or two."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT request_id, count(*) FROM turns WHERE request_id = ANY(%s)"
                            " GROUP BY request_id", (ok,)).fetchall()
    counts = dict(rows)
    return sum(1 for r in ok if r not in counts), sum(1 for n in counts.values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--engine-url")
    args = parser.parse_args()
    with running_stack(args.engine_url, worker=True) as stack:
        base = stack.settings.base_model_id
        names = [asyncio.run(register(
            stack.database_url, make_adapter(stack.settings.model_path, stack.tmp / f"a{i}", i),
            stack.tmp / "adapters", base)) for i in (1, 2)]
        tally, peer, events = asyncio.run(soak(stack.api_url, stack.auth,
                                               (stack.engine_url, base), names,
                                               args.duration, args.concurrency))
        time.sleep(3)  # aborted turns are written in the background
        lost, doubled = check_turns(stack.database_url, tally.ok)
        with httpx.Client(timeout=30, headers=stack.auth) as http:
            runs = http.get(f"{stack.api_url}/admin/runs").json()["data"]

    total = len(tally.ok) + len(tally.errors)
    print(f"\nsoak: {args.duration:.0f} s, {args.concurrency} concurrent clients alternating "
          "Lucid / vLLM direct, half streamed")
    for line in events:
        print("  " + line)
    print(f"  learning run: {runs[0]['status'] if runs else 'none'}"
          f" (stage {runs[0].get('stage') if runs else '-'})")
    print(f"Lucid requests: {total}, errors: {len(tally.errors)} (target 0), lost turns: {lost}"
          f" (target 0), doubled turns: {doubled} (target 0)")
    for error in tally.errors[:5]:
        print("  error:", error)
    print("| | Lucid | vLLM direct | ratio |\n|---|---|---|---|")
    for name, ours, theirs in (("latency", tally.latency, peer.latency),
                               ("TTFT (streams)", tally.ttft, peer.ttft)):
        for q in (0.5, 0.99):
            a, b = _pct(ours, q), _pct(theirs, q)
            print(f"| {name} p{round(q * 100)} | {a * 1e3:.0f} ms | {b * 1e3:.0f} ms |"
                  f" {a / b:.2f} |")
    print(f"| requests | {total} | {len(peer.ok) + len(peer.errors)} | |")
    print(f"(vLLM direct: {len(peer.errors)} errors; mean latency Lucid "
          f"{statistics.mean(tally.latency or [float('nan')]):.2f} s, direct "
          f"{statistics.mean(peer.latency or [float('nan')]):.2f} s)")


if __name__ == "__main__":
    main()
