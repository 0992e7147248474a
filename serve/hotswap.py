"""Keeps this API replica's model names in step with the adapter registry, without restarts.

On start, and on every `lucid_adapters` NOTIFY (PostgreSQL LISTEN, so no polling delay), it reads
the tenant's `active` and `previous` versions, loads any the engine lacks under their own fresh
names, then flips `lucid`. Requests already running finish on the version they started with; a
version that is neither active nor previous is unloaded once this replica's requests on it have
drained. `previous` stays loaded, so a rollback is a flip. After a lost connection or a restart
the replica converges from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time

import psycopg

from serve.catalog import AdapterEntry, ModelCatalog, Served
from serve.engine import Engine
from serve.errors import APIError
from store.adapters import CHANNEL, AdapterStore

log = logging.getLogger(__name__)

DRAIN_POLL_S = 0.05


class AdapterSync:
    def __init__(self, engine: Engine, catalog: ModelCatalog, adapters: AdapterStore,
                 database_url: str, drain_timeout_s: float = 600) -> None:
        self.engine = engine
        self.catalog = catalog
        self.adapters = adapters
        self.database_url = database_url
        self.drain_timeout_s = drain_timeout_s
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._listener: asyncio.Task | None = None
        self.listening = asyncio.Event()

    async def start(self) -> None:
        try:
            await self.sync()
        except APIError:  # the engine is not up yet: the listener converges once it is
            log.warning("engine not ready for adapter sync; will retry", exc_info=True)
        self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        tasks = [t for t in (self._listener, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    await self.sync()  # catch up on whatever happened while not listening
                    async for _ in conn.notifies():
                        await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                log.warning("adapter listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(1)

    async def sync(self) -> None:
        """Make the engine and `lucid` match the registry's active/previous versions."""
        async with self._lock:
            state = await self.adapters.state()
            wanted = {row["name"]: row for row in (state.active, state.previous) if row}
            for name, row in wanted.items():
                if name not in self.catalog.adapters:
                    try:
                        await self._load(row)
                    except APIError as exc:
                        log.error("engine refused adapter %s: %s", name, exc.message)
            active = state.active
            if active is None:
                self.catalog.active = Served(self.catalog.base_model_id)
            elif active["name"] in self.catalog.adapters:
                self.catalog.active = Served(active["name"], active["id"])
            else:  # the new version could not be loaded: the current one keeps serving
                log.error("keeping %s: active version %s is not loadable",
                          self.catalog.active, active["name"])
                wanted[self.catalog.active.engine_model] = {}
            for name in [n for n in self.catalog.adapters if n not in wanted]:
                del self.catalog.adapters[name]
                self._spawn(self._unload_when_drained(name))

    async def preload(self, row: dict) -> None:
        """Load a version before it is promoted, so that a refusal changes nothing."""
        async with self._lock:
            if row["name"] not in self.catalog.adapters:
                await self._load(row)

    async def _load(self, row: dict) -> None:
        started = time.perf_counter()
        try:
            await self.engine.load_adapter(row["name"], row["path"])
        except APIError as exc:
            # Names are unique per weights, so "already loaded" (another replica) is success.
            if "already" not in exc.message.lower():
                raise
        self.catalog.adapters[row["name"]] = AdapterEntry(
            name=row["name"], version_id=row["id"], parent=row["parent"] or
            self.catalog.base_model_id, created=int(row["created_at"].timestamp()))
        log.info("loaded adapter %s in %.0f ms", row["name"], (time.perf_counter() - started) * 1e3)

    async def _unload_when_drained(self, name: str) -> None:
        deadline = time.monotonic() + self.drain_timeout_s
        while self.catalog.in_flight(name) and time.monotonic() < deadline:
            await asyncio.sleep(DRAIN_POLL_S)
        async with self._lock:
            if name in self.catalog.adapters:  # promoted again meanwhile
                return
            try:
                await self.engine.unload_adapter(name)
            except APIError as exc:
                # Dropped, re-promoted and dropped again: an earlier drain already unloaded it.
                if "cannot be found" not in exc.message:
                    log.warning("could not unload adapter %s: %s", name, exc.message)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
