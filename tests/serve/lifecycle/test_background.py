"""Work that outlives its request: a spawned task runs to its end even when nobody else holds it,
is held only until then, `wait` returns once every task has finished (errors dropped), and
`cancel` stops the ones still running."""

from __future__ import annotations

import asyncio
import gc

from serve.lifecycle.background import BackgroundTasks


def test_a_spawned_task_is_held_until_it_is_done_and_then_let_go():
    finished: list[str] = []

    async def work(release: asyncio.Event) -> None:
        await release.wait()
        finished.append("closed the stream")

    async def go() -> None:
        tasks = BackgroundTasks()
        release = asyncio.Event()
        tasks.spawn(work(release))  # the returned task is dropped, as fire-and-forget does
        gc.collect()
        assert len(tasks) == 1
        release.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert finished == ["closed the stream"]
        assert len(tasks) == 0, "a finished task is let go"

    asyncio.run(go())


def test_wait_returns_once_every_task_has_finished_and_drops_errors():
    order: list[str] = []

    async def slow(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        order.append(name)

    async def fails() -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("unload failed")

    async def go() -> None:
        tasks = BackgroundTasks()
        tasks.spawn(slow("b", 0.03))
        tasks.spawn(fails())
        tasks.spawn(slow("a", 0.01))
        await tasks.wait()
        assert sorted(order) == ["a", "b"]
        assert len(tasks) == 0
        await tasks.wait()  # nothing left: returns at once

    asyncio.run(go())


def test_cancel_stops_running_tasks_and_waits_for_them():
    stopped: list[str] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stopped.append("cleaned up")
            raise

    async def go() -> None:
        tasks = BackgroundTasks()
        running = [tasks.spawn(forever()) for _ in range(3)]
        await asyncio.sleep(0)
        await asyncio.wait_for(tasks.cancel(), 5)
        assert all(t.cancelled() for t in running)
        assert stopped == ["cleaned up"] * 3
        assert len(tasks) == 0

    asyncio.run(go())
