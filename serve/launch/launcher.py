"""`make run`: the whole system on the embedded default, in one foreground process.

Starts what is not configured (an embedded PostgreSQL without DATABASE_URL, a vLLM server without
LUCID_ENGINE_URL, an embedded Redis without LUCID_BROKER_URL), a Celery worker with the nightly
beat, applies migrations, serves the API, and prints how to talk to it. Ctrl-C stops every
process it started.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import ExitStack

import uvicorn
import uvloop

from serve.app.main import create_app
from serve.config.settings import ALIAS_MODEL, Settings
from serve.launch.broker import embedded_redis
from serve.launch.devkey import ensure_dev_key, read_dev_key
from serve.launch.modelprep import ensure_default_model
from serve.launch.processes import ChildProcess, EngineProcess, worker_command
from serve.launch.supervisor import EngineSupervisor
from serve.lifecycle.drain import DrainingServer
from serve.observe.log_format import configure
from store.embedded import embedded_postgres
from store.migrate import migrate

log = logging.getLogger("lucid")


def child_env(settings: Settings) -> dict[str, str]:
    """The environment for a child process: the resolved settings, explicitly."""
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": settings.database_url or "", "LUCID_ENGINE_URL": settings.engine_url or "",
        "LUCID_BROKER_URL": settings.broker_url or "", "LUCID_VAR_DIR": str(settings.var_dir),
        "LUCID_MODEL": settings.model_path, "LUCID_MODEL_NAME": settings.base_model_id,
    })
    return env


def _shown_key(settings: Settings) -> str:
    """The dev key `make run` made (never a configured LUCID_ADMIN_KEY: that is a secret)."""
    if settings.admin_key:
        return "$LUCID_ADMIN_KEY"
    return read_dev_key(settings) or "<an API key>"


def banner(settings: Settings) -> str:
    base = f"http://{settings.host}:{settings.port}/v1"
    return (
        f"\nLucid is serving {settings.base_model_id} at {base}  (Ctrl-C stops everything)\n\n"
        "    from openai import OpenAI\n"
        f'    client = OpenAI(base_url="{base}", api_key="{_shown_key(settings)}")\n'
        f'    print(client.chat.completions.create(model="{ALIAS_MODEL}", messages=[{{"role": '
        '"user", "content": "Hello!"}]).choices[0].message.content)\n'
    )


def api_server(settings: Settings) -> uvicorn.Server:
    app = create_app(settings)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, loop="uvloop",
        http="httptools", log_level="warning", timeout_graceful_shutdown=30,
        # Our own access line (serve/observe/access.py) replaces uvicorn's; uvicorn's other
        # records go through the root handler `configure_logging` installed: JSON too.
        access_log=False, log_config=None,
    )
    return DrainingServer(config, app.state.drain, settings.drain_timeout_s)


async def _serve_and_announce(server: uvicorn.Server, settings: Settings) -> None:
    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.05)
        print(banner(settings), flush=True)

    task = asyncio.create_task(announce())
    await server.serve()
    task.cancel()


def configure_logging(settings: Settings | None = None) -> None:
    """The process's logs, once at start: LUCID_LOG_FORMAT (JSON lines by default) on stderr."""
    configure((settings or Settings()).log_format)


def serve_api(settings: Settings | None = None) -> None:
    """One API replica against the database and engine the settings name (no children)."""
    settings = settings or Settings()
    if not settings.database_url or not settings.engine_url:
        raise ValueError("an API replica needs DATABASE_URL and LUCID_ENGINE_URL")
    api_server(settings).run()  # uvicorn sets up uvloop and signal handling


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)  # unwinds the ExitStack: the engine and PostgreSQL are stopped


def run(settings: Settings | None = None) -> None:
    """Start everything, serve until Ctrl-C or SIGTERM, then stop everything it started."""
    settings = settings or Settings()
    ensure_default_model(settings)
    # uvicorn restores this handler after its own shutdown and re-raises the signal into it.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        _run(settings)
    except KeyboardInterrupt:
        pass
    print("Lucid stopped.", flush=True)


def _run(settings: Settings) -> None:
    with ExitStack() as stack:
        database_url = settings.database_url
        if database_url is None:
            database_url = stack.enter_context(embedded_postgres(settings.var_dir / "pg"))
            print(f"PostgreSQL: embedded, data in {settings.var_dir / 'pg'}", flush=True)
        migrate(database_url)
        print(ensure_dev_key(settings, database_url), flush=True)
        engine_url = settings.engine_url
        if engine_url is None:
            engine = EngineProcess(settings, settings.engine_port, settings.log_dir / "vllm.log")
            stack.callback(engine.stop)
            print(f"vLLM: starting {settings.model_path} (log: {engine.log_path}) ...", flush=True)
            engine.start()
            engine.wait_ready(settings.engine_start_timeout_s)
            engine_url = engine.url
            supervisor = EngineSupervisor(engine, settings.engine_start_timeout_s)
            stack.callback(supervisor.stop)  # before engine.stop: no restart while stopping
            supervisor.start()
        broker_url = settings.broker_url
        if broker_url is None:
            broker_url = stack.enter_context(embedded_redis(settings.var_dir / "redis"))
            print(f"Redis (Celery broker): embedded, data in {settings.var_dir / 'redis'}",
                  flush=True)
        settings = settings.model_copy(update={"database_url": database_url,
                                               "engine_url": engine_url, "broker_url": broker_url})
        worker = ChildProcess(worker_command(settings), child_env(settings),
                              settings.log_dir / "worker.log")
        stack.callback(worker.stop, 60)  # stopped before the broker and database (LIFO)
        worker.start()
        print(f"Celery worker + nightly beat ({settings.learn_schedule}, "
              f"{settings.schedule_timezone}): log {worker.log_path}", flush=True)
        uvloop.run(_serve_and_announce(api_server(settings), settings))
