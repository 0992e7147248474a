"""`make run`'s launcher: embedded PostgreSQL, the banner, Ctrl-C stopping everything, and a
second start reusing the data; the vLLM it would start is the session's (started by the same
EngineProcess code in conftest). One test starts the launcher's own vLLM, kills it, and sees it
restarted with the active adapter loaded again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.conftest import ROOT, free_port
from tests.keys import ADMIN_KEY, AUTH

pytestmark = pytest.mark.slow


def _launch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "serve"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def _wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], timeout_s: float = 90) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return content
        if proc.poll() is not None:
            raise AssertionError(f"launcher exited early:\n{content[-3000:]}")
        time.sleep(0.2)
    raise AssertionError(f"no {text!r} in:\n{log.read_text()[-3000:]}")


def test_run_starts_embedded_postgres_serves_and_stops_on_ctrl_c_or_sigterm(api_env, tmp_path):
    port = free_port()
    embedded = ("DATABASE_URL", "LUCID_DATABASE_URL", "LUCID_BROKER_URL", "CELERY_BROKER_URL")
    env = {k: v for k, v in api_env.items() if k not in embedded}
    env.update({"LUCID_VAR_DIR": str(tmp_path / "var"), "LUCID_PORT": str(port)})
    base_url = f"http://127.0.0.1:{port}/v1"

    log = tmp_path / "run1.log"
    proc = _launch(env, log)
    banner = _wait_for(log, "Ctrl-C stops everything", proc)
    assert base_url in banner and "from openai import OpenAI" in banner
    with OpenAI(base_url=base_url, api_key=ADMIN_KEY, max_retries=0) as client:
        raw = client.chat.completions.with_raw_response.create(
            model="lucid", messages=[{"role": "user", "content": "Hi"}], max_tokens=5)
        session = raw.headers["x-session-id"]
    worker_log = tmp_path / "var" / "log" / "worker.log"
    assert "Redis (Celery broker): embedded" in log.read_text()
    _wait_for(worker_log, "ready.", proc)  # the worker reached the embedded broker
    proc.send_signal(signal.SIGINT)
    assert proc.wait(90) == 0
    assert "Lucid stopped." in log.read_text()
    assert "Warm shutdown" in worker_log.read_text(), "the worker was not stopped cleanly"
    pg_dir = tmp_path / "var" / "pg"
    assert (pg_dir / "PG_VERSION").exists()
    assert not (pg_dir / "postmaster.pid").exists(), "embedded PostgreSQL left running"

    log2 = tmp_path / "run2.log"
    proc = _launch(env, log2)
    try:
        _wait_for(log2, "Ctrl-C stops everything", proc)
        shown = httpx.get(f"http://127.0.0.1:{port}/admin/sessions/{session}", headers=AUTH)
        assert shown.status_code == 200 and shown.json()["turn_count"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)  # what a service manager sends
        assert proc.wait(60) == 0
    assert not (pg_dir / "postmaster.pid").exists(), "SIGTERM left PostgreSQL running"


def test_a_dead_engine_is_restarted_and_gets_the_active_adapter_back(
        api_env, base_settings, database_url, tmp_path):
    from tests.serve.real_adapters import make_adapter, register

    port, engine_port = free_port(), free_port()
    env = {k: v for k, v in api_env.items() if k != "LUCID_ENGINE_URL"}
    env.update({"LUCID_VAR_DIR": str(tmp_path / "var"), "LUCID_PORT": str(port),
                "LUCID_ENGINE_PORT": str(engine_port), "LUCID_ENGINE_DTYPE": "float32"})
    url = f"http://127.0.0.1:{port}"
    ask = {"model": "lucid", "max_tokens": 3, "metadata": {"learn": "false"},
           "messages": [{"role": "user", "content": "Hi"}]}
    log = tmp_path / "run.log"
    proc = _launch(env, log)
    try:
        _wait_for(log, "Ctrl-C stops everything", proc, timeout_s=600)
        version = register(database_url, make_adapter(base_settings.model_path,
                                                       tmp_path / "a", 21),
                           base_settings.var_dir / "adapters", base_settings.base_model_id)
        assert httpx.post(f"{url}/admin/adapters/{version['name']}/promote",
                          headers=AUTH).status_code == 200
        assert httpx.post(f"{url}/v1/chat/completions", json=ask,
                          headers=AUTH).json()["model"] == \
            version["name"]

        engine_pid = int(subprocess.check_output(
            ["pgrep", "-f", f"api_server.*--port {engine_port}"]).split()[0])
        os.killpg(engine_pid, signal.SIGKILL)
        time.sleep(3)
        assert httpx.get(f"{url}/health").status_code == 503
        down = httpx.post(f"{url}/v1/chat/completions", json=ask, headers=AUTH)
        assert down.status_code == 503 and down.headers.get("retry-after"), down.text

        _wait_for(log, "vLLM restarted", proc, timeout_s=600)
        deadline = time.monotonic() + 60
        served = None
        while time.monotonic() < deadline:
            response = httpx.post(f"{url}/v1/chat/completions", json=ask, headers=AUTH, timeout=60)
            served = response.json().get("model") if response.status_code == 200 else None
            if served == version["name"]:
                break
            time.sleep(0.5)
        assert served == version["name"], response.text
        assert httpx.get(f"{url}/health").status_code == 200
    finally:
        while httpx.post(f"{url}/admin/rollback", headers=AUTH).status_code == 200:
            pass  # leave the base model active for the other replicas of this session
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(120) == 0
    assert not subprocess.run(["pgrep", "-f", f"port {engine_port}"]).returncode == 0, \
        "the engine outlived the launcher"
