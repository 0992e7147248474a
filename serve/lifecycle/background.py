"""Fire-and-forget work a service starts and must not lose: closing a stream, logging an aborted
turn, unloading an adapter once its requests drain. asyncio keeps only weak references to tasks,
so each one is held here until done; at shutdown they are awaited (`wait`) or cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait(self) -> None:
        """Until every task started so far has finished (their errors are dropped)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def cancel(self) -> None:
        """Cancel every task and wait until they have stopped."""
        for task in self._tasks:
            task.cancel()
        await self.wait()
