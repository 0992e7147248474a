"""The system under benchmark: PostgreSQL, vLLM and one Lucid API replica, started for a run;
with `worker=True` also a Redis broker and a Celery worker (learning runs).

PostgreSQL: DATABASE_URL, else an embedded one in a temporary folder. vLLM: `engine_url` when
given (a running server), else one is started with the settings `make run` uses. The API
registers LUCID_ADMIN_KEY, else a fresh admin key; `Stack.auth` sends it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serve.config.settings import Settings  # noqa: E402
from serve.launch.broker import embedded_redis  # noqa: E402
from serve.launch.launcher import child_env  # noqa: E402
from serve.launch.processes import ChildProcess, EngineProcess, worker_command  # noqa: E402
from store.embedded import embedded_postgres  # noqa: E402
from store.keys import new_key  # noqa: E402
from store.migrate import migrate  # noqa: E402


@dataclass(frozen=True)
class Stack:
    settings: Settings
    database_url: str
    engine_url: str
    api_url: str
    tmp: Path
    auth: dict[str, str]  # headers with the admin key the API registered at start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_stack(engine_url: str | None = None, worker: bool = False) -> Iterator[Stack]:
    settings = Settings()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        database_url = settings.database_url or stack.enter_context(embedded_postgres(tmp / "pg"))
        migrate(database_url)
        engine_url = engine_url or settings.engine_url
        if not engine_url:
            engine = EngineProcess(settings, free_port(), tmp / "vllm.log")
            stack.callback(engine.stop)
            print("starting vLLM ...", flush=True)
            engine.start()
            engine.wait_ready(settings.engine_start_timeout_s)
            engine_url = engine.url
        port = free_port()
        key = settings.admin_key or new_key()[1]
        env = {**os.environ, "DATABASE_URL": database_url, "LUCID_ENGINE_URL": engine_url,
               "LUCID_PORT": str(port), "LUCID_MODEL": settings.model_path,
               "LUCID_MODEL_NAME": settings.base_model_id, "LUCID_VAR_DIR": str(tmp),
               "LUCID_ADMIN_KEY": key}
        if worker:
            broker_url = stack.enter_context(embedded_redis(tmp / "redis"))
            env["LUCID_BROKER_URL"] = broker_url
            run_settings = settings.model_copy(update={
                "database_url": database_url, "engine_url": engine_url,
                "broker_url": broker_url, "var_dir": tmp})
            celery = ChildProcess(worker_command(run_settings, beat=False),
                                  child_env(run_settings), tmp / "worker.log")
            stack.callback(celery.stop, 60)
            celery.start()
        with open(tmp / "api.log", "wb") as log:
            api = subprocess.Popen([sys.executable, "-m", "serve", "api"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        stack.callback(lambda: (api.send_signal(signal.SIGTERM), api.wait(30)))
        api_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{api_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Stack(settings, database_url, engine_url, api_url, tmp,
                    {"Authorization": f"Bearer {key}"})
