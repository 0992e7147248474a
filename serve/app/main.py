"""The FastAPI application: wiring of settings, engine client, session store and routes.

`create_app(settings)` is what uvicorn serves; tests pass `engine=` a recording fake to exercise
routes without vLLM (the database stays real).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from serve.adapters.catalog import ModelCatalog
from serve.adapters.hotswap import AdapterSync
from serve.adapters.registry import AdapterRegistry
from serve.app.error_handlers import install_error_handlers
from serve.app.openapi import install_openapi
from serve.app.routes import admin, dashboard, feedback, health, keys, metrics, openai
from serve.chat.service import ChatService
from serve.chat.spool import TurnSpool
from serve.config.settings import Settings
from serve.engine.client import Engine, VLLMEngine
from serve.learning.service import RunService
from serve.lifecycle.drain import Drain, DrainMiddleware
from serve.observe.access import AccessLogMiddleware
from serve.observe.metrics import Scraper
from serve.observe.request_ids import RequestIdMiddleware
from serve.trust.auth import AuthMiddleware, KeyCache
from serve.trust.limits import BodyLimitMiddleware, NulInUrlMiddleware
from serve.trust.ratelimit import RateLimiter
from serve.trust.shared_ratelimit import SharedRateLimiter
from store.adapters import AdapterStore
from store.db import open_pool
from store.erasure import SessionEraser
from store.feedback import FeedbackStore
from store.keys import KEYS_CHANNEL, KeyStore
from store.migrate import migrate
from store.runs import AsyncRunStore
from store.sessions import DEFAULT_TENANT_ID, SessionStore

log = logging.getLogger(__name__)
SPOOL_REPLAY_S = 2.0


async def _replay_forever(chat: ChatService) -> None:
    """Every few seconds, move turns spooled during a database outage into the database."""
    while True:
        await asyncio.sleep(SPOOL_REPLAY_S)
        try:
            if moved := await chat.replay_spool():
                log.info("replayed %d spooled turns into the database", moved)
        except Exception:
            log.warning("spool replay failed; retrying", exc_info=True)


@dataclass(frozen=True)
class _Running:
    """What the lifespan started and must stop."""

    pool: AsyncConnectionPool
    engine: Engine
    owns_engine: bool  # made here (not passed in by a test): closed at shutdown
    sync: AdapterSync
    spool: TurnSpool
    replayer: asyncio.Task[None]


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The API `settings` describe; its services start with the lifespan, on `engine` if given
    (a test's fake) or else on the vLLM at `settings.engine_url`."""
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url (the launcher fills it in)")
    if engine is None and not settings.engine_url:
        raise ValueError("create_app needs settings.engine_url or an engine")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = await _start_services(app, settings, engine)
        try:
            yield
        finally:
            await _stop_services(app, running)

    app = FastAPI(title="Lucid", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    install_openapi(app, settings.max_completion_tokens)
    _install_middleware(app, settings)
    _include_routers(app)
    return app


async def _start_services(app: FastAPI, settings: Settings, engine: Engine | None) -> _Running:
    """Migrate, connect, and put every service the routes use on `app.state`."""
    assert settings.database_url is not None
    await asyncio.to_thread(migrate, settings.database_url)
    pool = await open_pool(settings.database_url, settings.db_pool_size)
    eng = engine or VLLMEngine(settings.engine_url or "", settings.engine_timeout_s)
    catalog = ModelCatalog(settings.base_model_id)
    sessions = SessionStore(pool)
    await _open_keys(app, pool, settings)
    sync = AdapterSync(eng, catalog, AdapterStore(pool), settings.database_url,
                       drain_timeout_s=settings.engine_timeout_s,
                       max_lora_rank=settings.max_lora_rank)
    sync.channels[KEYS_CHANNEL] = app.state.key_cache.forget
    await sync.start()
    app.state.engine = eng
    app.state.catalog = catalog
    app.state.sessions = sessions
    app.state.eraser = SessionEraser(pool)
    app.state.feedback = FeedbackStore(pool)
    spool = TurnSpool(settings.var_dir / "spool")
    app.state.chat = ChatService(eng, sessions, catalog, settings.max_request_chars,
                                 idempotency_stale_s=settings.engine_timeout_s + 60,
                                 max_completion_tokens=settings.max_completion_tokens,
                                 spool=spool, limiter=app.state.limiter)
    await app.state.chat.replay_spool()  # what a replica that died here left, first
    replayer = asyncio.create_task(_replay_forever(app.state.chat))
    app.state.registry = AdapterRegistry(AdapterStore(pool), sync)
    app.state.runs = RunService(AsyncRunStore(pool), settings.broker_url)
    app.state.scraper = Scraper(AsyncRunStore(pool), sync.serving_by_tenant)
    return _Running(pool, eng, engine is None, sync, spool, replayer)


async def _open_keys(app: FastAPI, pool: AsyncConnectionPool, settings: Settings) -> None:
    """The key store and its cache; the operator's LUCID_ADMIN_KEY made valid if set."""
    key_store = KeyStore(pool)
    if settings.admin_key:
        await key_store.ensure(settings.admin_key, DEFAULT_TENANT_ID, ["admin", "chat"],
                               "LUCID_ADMIN_KEY")
    app.state.keys = key_store
    app.state.key_cache = KeyCache(key_store)


async def _stop_services(app: FastAPI, running: _Running) -> None:
    """Stop what `_start_services` started; spooled turns left over wait on disk."""
    running.replayer.cancel()
    await asyncio.gather(running.replayer, return_exceptions=True)
    await running.sync.stop()
    await app.state.chat.drain()
    try:
        await app.state.chat.replay_spool()  # a last try; what is left waits on disk
    except Exception:
        log.warning("spool not emptied at shutdown", exc_info=True)
    running.spool.close()
    if running.owns_engine:
        await running.engine.aclose()
    await running.pool.close()


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    """Each one added wraps the ones before: a request meets them from the last up."""
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.state.limiter = SharedRateLimiter(settings.rate_limit_store, settings.rate_rpm,
                                          settings.rate_tpm) \
        if settings.rate_limit_store else RateLimiter(settings.rate_rpm, settings.rate_tpm)
    app.add_middleware(AuthMiddleware, state=app.state)  # before any body is read
    app.add_middleware(NulInUrlMiddleware)
    app.state.drain = Drain()
    app.add_middleware(DrainMiddleware, drain=app.state.drain)
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so the id is set first


def _include_routers(app: FastAPI) -> None:
    for routes in (openai, feedback, health, admin, keys, metrics, dashboard):
        app.include_router(routes.router)
