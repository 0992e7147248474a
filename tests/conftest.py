"""Shared fixtures: a real PostgreSQL, a real Redis broker, the real vLLM with the real model
(started once per test session), and the API as its own process, driven by the official `openai`
client.

PostgreSQL: a fresh database on the server named by DATABASE_URL when set, else an embedded
server in a temporary folder. Redis: LUCID_TEST_BROKER_URL when set, else an embedded one.
The engine and the model come from the same settings `make run` uses, so the suite runs what a
newcomer runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from serve.config.settings import Settings
from serve.launch.broker import embedded_redis
from serve.launch.processes import EngineProcess
from store.embedded import embedded_postgres
from store.migrate import migrate
from store.runs import RunStore
from tests.keys import ADMIN_KEY
from tests.tenants import new_tenant

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("DATABASE_URL")
    if not external:
        with embedded_postgres(tmp_path_factory.mktemp("pg")) as url:
            migrate(url)
            yield url
        return
    name = f"lucid_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(external, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = psycopg.conninfo.make_conninfo(external, dbname=name)
    migrate(url)
    try:
        yield url
    finally:
        with psycopg.connect(external, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def broker_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("LUCID_TEST_BROKER_URL"):
        yield os.environ["LUCID_TEST_BROKER_URL"]
        return
    with embedded_redis(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def db(database_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


@pytest.fixture
def tenant(db: psycopg.Connection) -> int:
    """A tenant of this test's own."""
    return new_tenant(db)


@pytest.fixture
def runs(database_url: str, tenant: int) -> Iterator[RunStore]:
    """The learning-run store of this test's tenant."""
    store = RunStore.connect(database_url, tenant)
    yield store
    store.close()


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The settings a newcomer gets, with a private var/ for anything the tests write."""
    default = Settings()
    return Settings(var_dir=tmp_path_factory.mktemp("var"), model=default.model_path,
                    model_name=default.base_model_id, engine_dtype="float32")


@pytest.fixture(scope="session")
def engine_url(base_settings: Settings) -> Iterator[str]:
    """The real vLLM with the real model, once for the whole session."""
    if os.environ.get("LUCID_TEST_ENGINE_URL"):  # reuse an engine already running (local dev)
        yield os.environ["LUCID_TEST_ENGINE_URL"]
        return
    engine = EngineProcess(base_settings, free_port(), base_settings.log_dir / "vllm.log")
    engine.start()
    try:
        engine.wait_ready(base_settings.engine_start_timeout_s)
        yield engine.url
    finally:
        engine.stop()


class APIProcess:
    """`python -m serve api` as its own process: one API replica, as deployed."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.env.get('LUCID_ADMIN_KEY', ADMIN_KEY)}"}

    def start(self, timeout_s: float = 60) -> APIProcess:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "serve", "api"], cwd=ROOT,
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"API exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v1/models", timeout=1, headers=self.auth).status_code \
                        == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"API not up: {self.log_path.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(30)


@pytest.fixture(scope="session")
def api_env(base_settings: Settings, database_url: str, engine_url: str,
            broker_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url,
        "LUCID_BROKER_URL": broker_url,
        "LUCID_ENGINE_URL": engine_url,
        "LUCID_MODEL": base_settings.model_path,
        "LUCID_MODEL_NAME": base_settings.base_model_id,
        "LUCID_VAR_DIR": str(base_settings.var_dir),
        "LUCID_ADMIN_KEY": ADMIN_KEY,
    })
    return env


@pytest.fixture(scope="session")
def start_api(api_env: dict[str, str], base_settings: Settings):
    """Start another API replica on a fresh port; all are stopped at the end of the session."""
    started: list[APIProcess] = []

    def start(**extra_env: str) -> APIProcess:
        port = free_port()
        api = APIProcess({**api_env, **extra_env, "LUCID_PORT": str(port)}, port,
                         base_settings.log_dir / f"api-{port}.log")
        base_settings.log_dir.mkdir(parents=True, exist_ok=True)
        started.append(api.start())
        return api

    yield start
    for api in started:
        api.kill(signal.SIGTERM)


@pytest.fixture(scope="session")
def api(start_api) -> APIProcess:
    return start_api()


@pytest.fixture
def client(api: APIProcess):
    from openai import OpenAI

    with OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0, timeout=120) as c:
        yield c
