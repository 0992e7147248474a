"""The FastAPI application: wiring of settings, engine client, session store and routes.

`create_app(settings)` is what uvicorn serves; tests pass `engine=` a recording fake to exercise
routes without vLLM (the database stays real).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from serve.catalog import ModelCatalog
from serve.chat import ChatService
from serve.engine import Engine, VLLMEngine
from serve.errors import install_error_handlers
from serve.hotswap import AdapterSync
from serve.registry import AdapterRegistry
from serve.request_ids import RequestIdMiddleware
from serve.routes import admin, health, openai
from serve.runs import RunService
from serve.settings import Settings
from store.adapters import AdapterStore
from store.db import open_pool
from store.migrate import migrate
from store.runs import RunReader
from store.sessions import SessionStore


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    if not settings.database_url:
        raise ValueError("create_app needs settings.database_url (the launcher fills it in)")
    if engine is None and not settings.engine_url:
        raise ValueError("create_app needs settings.engine_url or an engine")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        assert settings.database_url is not None
        await asyncio.to_thread(migrate, settings.database_url)
        pool = await open_pool(settings.database_url, settings.db_pool_size)
        eng = engine or VLLMEngine(settings.engine_url or "", settings.engine_timeout_s)
        catalog = ModelCatalog(settings.base_model_id)
        sessions = SessionStore(pool)
        sync = AdapterSync(eng, catalog, AdapterStore(pool), settings.database_url,
                           drain_timeout_s=settings.engine_timeout_s)
        await sync.start()
        app.state.engine = eng
        app.state.catalog = catalog
        app.state.sessions = sessions
        app.state.chat = ChatService(eng, sessions, catalog)
        app.state.registry = AdapterRegistry(AdapterStore(pool), sync)
        app.state.runs = RunService(RunReader(pool), settings.broker_url)
        try:
            yield
        finally:
            await sync.stop()
            await app.state.chat.drain()
            if engine is None:
                await eng.aclose()
            await pool.close()

    app = FastAPI(title="Lucid", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(openai.router)
    app.include_router(health.router)
    app.include_router(admin.router)
    return app
