"""Keeps this API replica's model names in step with the adapter registry, without restarts.

On start, and on every `lucid_adapters` NOTIFY (PostgreSQL LISTEN, so no polling delay; the
payload names the tenant), it reads each tenant's `active` and `previous` versions, loads any the
engine lacks under their own fresh names, then flips that tenant's `lucid`. Requests already
running finish on the version they started with; a
version that is neither active nor previous is unloaded once this replica's requests on it have
drained. `previous` stays loaded, so a rollback is a flip. After a lost connection or a restart
the replica converges from the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import psycopg

from serve.adapters.catalog import AdapterEntry, ModelCatalog, Served
from serve.adapters.checks import check_adapter
from serve.api.errors import AdapterAlreadyLoaded, AdapterNotLoaded, APIError
from serve.engine.client import Engine
from serve.lifecycle.background import BackgroundTasks
from store.adapters import CHANNEL, AdapterStore

log = logging.getLogger(__name__)

DRAIN_POLL_S = 0.05
ENGINE_WATCH_S = 1.0  # how often the engine's health is read, to notice a restart


class AdapterSync:
    def __init__(self, engine: Engine, catalog: ModelCatalog, adapters: AdapterStore,
                 database_url: str, drain_timeout_s: float = 600,
                 max_lora_rank: int = 16) -> None:
        self.engine = engine
        self.max_lora_rank = max_lora_rank
        self.catalog = catalog
        self.adapters = adapters
        self.database_url = database_url
        self.drain_timeout_s = drain_timeout_s
        self._lock = asyncio.Lock()
        self.background = BackgroundTasks()  # unloads waiting for their requests to drain
        self._listener: asyncio.Task | None = None
        self._watcher: asyncio.Task | None = None
        self.engine_up = False
        self.listening = asyncio.Event()
        self.tenants: dict[int, str] = {}  # id -> name of each tenant read so far
        # Other channels this listener serves: name -> callback(payload).
        self.channels: dict[str, Callable[[str], None]] = {}

    async def start(self) -> None:
        try:
            await self.sync()
            self.engine_up = True
        except APIError:  # the engine is not up yet: the watcher syncs once it is
            log.warning("engine not ready for adapter sync; will retry", exc_info=True)
        self._listener = asyncio.create_task(self._listen())
        self._watcher = asyncio.create_task(self._watch_engine())

    async def stop(self) -> None:
        tasks = [t for t in (self._listener, self._watcher) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.background.cancel()

    async def _listen(self) -> None:
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self.database_url, autocommit=True
                ) as conn:
                    for channel in (CHANNEL, *self.channels):
                        await conn.execute(f"LISTEN {channel}")
                    self.listening.set()
                    await self.sync()  # catch up on whatever happened while not listening
                    async for note in conn.notifies():
                        if note.channel == CHANNEL:
                            await self.sync(int(note.payload) if note.payload.isdigit() else None)
                        elif (callback := self.channels.get(note.channel)) is not None:
                            callback(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception:
                self.listening.clear()
                log.warning("adapter listener lost its connection; reconnecting", exc_info=True)
                await asyncio.sleep(1)

    async def _watch_engine(self) -> None:
        """An engine that was unreachable and answers again has been restarted, and a restarted
        engine has no adapters: load the active and previous versions into it again."""
        while True:
            await asyncio.sleep(ENGINE_WATCH_S)
            healthy = await self.engine.healthy()
            if healthy and not self.engine_up:
                log.warning("the engine answers again; loading the adapters into it")
                try:
                    await self.sync(reload=True)
                except Exception:
                    log.exception("adapter reload after the engine came back failed; retrying")
                    healthy = False
            self.engine_up = healthy

    async def sync(self, tenant_id: int | None = None, reload: bool = False) -> None:
        """Make the engine and `lucid` match the registry's active/previous versions of one
        tenant, or of all (with `reload`, load them again even if the catalog has them: the
        engine restarted)."""
        async with self._lock:
            tenants = [tenant_id] if tenant_id is not None else await self.adapters.tenant_ids()
            for tid in tenants:
                await self._sync_tenant(tid, reload)

    async def _sync_tenant(self, tenant_id: int, reload: bool) -> None:
        state = await self.adapters.for_tenant(tenant_id).state()
        self.tenants[tenant_id] = state.tenant
        wanted = {row["name"]: row for row in (state.active, state.previous) if row}
        for name, row in wanted.items():
            if reload or name not in self.catalog.adapters:
                try:
                    await self._load(row, tenant_id)
                except APIError as exc:
                    log.error("engine refused adapter %s: %s", name, exc.message)
        active, serving = state.active, self.catalog.serving(tenant_id)
        if active is None:
            self.catalog.active.pop(tenant_id, None)
        elif active["name"] in self.catalog.adapters:
            self.catalog.active[tenant_id] = Served(active["name"], active["id"])
        else:  # the new version could not be loaded: the current one keeps serving
            log.error("keeping %s: active version %s is not loadable", serving, active["name"])
            wanted[serving.engine_model] = {}
        for name in [n for n, e in self.catalog.adapters.items()
                     if e.tenant_id == tenant_id and n not in wanted]:
            del self.catalog.adapters[name]
            self.background.spawn(self._unload_when_drained(name))

    def serving_by_tenant(self) -> dict[str, str]:
        """Tenant name -> the engine model its `lucid` runs on, for every tenant read so far."""
        return {name: self.catalog.serving(tenant_id).engine_model
                for tenant_id, name in self.tenants.items()}

    async def preload(self, row: dict, tenant_id: int) -> None:
        """Load a version before it is promoted, so that a refusal changes nothing."""
        async with self._lock:
            if row["name"] not in self.catalog.adapters:
                await self._load(row, tenant_id)

    async def _load(self, row: dict, tenant_id: int) -> None:
        started = time.perf_counter()
        # Checksum, base model and rank first (the digest reads every file: off the loop).
        await asyncio.to_thread(check_adapter, row, self.catalog.base_model_id,
                                self.max_lora_rank)
        try:
            await self.engine.load_adapter(row["name"], row["path"])
        except AdapterAlreadyLoaded:
            pass  # names are unique per weights: another replica loaded these very weights
        self.catalog.adapters[row["name"]] = AdapterEntry(
            name=row["name"], version_id=row["id"], parent=row["parent"] or
            self.catalog.base_model_id, created=int(row["created_at"].timestamp()),
            tenant_id=tenant_id)
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
            except AdapterNotLoaded:
                pass  # dropped, re-promoted and dropped again: an earlier drain unloaded it
            except APIError as exc:
                log.warning("could not unload adapter %s: %s", name, exc.message)
