"""The `lucid` command against a running API replica (real engine and PostgreSQL): operator
commands print what the admin API says and exit with codes a script can test. `lucid worker`'s
beat switch is checked on the command it would exec, without a broker. `lucid learn --dry-run`
runs against the same replica, its run taken off the real broker by the in-process worker (the
dream's model stood in by the scripted generator)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid

import httpx
import openai
import pytest
from openai import OpenAI
from typer.testing import CliRunner

from serve import cli
from serve.config.settings import Settings
from serve.launch.processes import worker_command
from tests.conftest import free_port
from tests.keys import ADMIN_KEY


def lucid(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "serve.cli", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "LUCID_URL": url, "LUCID_API_KEY": ADMIN_KEY,
                               "COLUMNS": "200"})


@pytest.mark.slow
def test_sessions_and_adapters_are_listed(api, client):
    reply = client.chat.completions.with_raw_response.create(
        model="lucid", messages=[{"role": "user", "content": "Hello from the CLI test"}],
        max_tokens=4, metadata={"learn": "false"})
    session = reply.headers["x-session-id"]
    listed = lucid(api.url, "sessions", "list", "--json", "--limit", "100")
    assert listed.returncode == 0, listed.stderr
    assert session in {s["id"] for s in json.loads(listed.stdout)}
    shown = lucid(api.url, "sessions", "show", session)
    assert shown.returncode == 0 and "Hello from the CLI test" in shown.stdout
    adapters = lucid(api.url, "adapters", "list")
    assert adapters.returncode == 0 and "serving:" in adapters.stdout


@pytest.mark.slow
def test_refusals_and_unreachable_servers_have_their_own_exit_codes(api):
    missing = lucid(api.url, "runs", "show", "987654")
    assert missing.returncode == 1 and "404" in missing.stdout
    promote = lucid(api.url, "adapters", "promote", "no-such-version")
    assert promote.returncode == 1 and "no-such-version" in promote.stdout
    nobody = lucid(f"http://127.0.0.1:{free_port()}", "adapters", "list")
    assert nobody.returncode == 3 and "make run" in nobody.stdout


@pytest.mark.slow
def test_forget_erases_a_session_and_insights_can_be_listed(api, client):
    reply = client.chat.completions.with_raw_response.create(
        model="lucid", messages=[{"role": "user", "content": "Forget me, CLI"}], max_tokens=4,
        user="cli-forget")
    session = reply.headers["x-session-id"]
    forgot = lucid(api.url, "sessions", "forget", session)
    assert forgot.returncode == 0, forgot.stdout + forgot.stderr
    assert "erased 1 sessions, 1 turns" in forgot.stdout
    assert lucid(api.url, "sessions", "show", session).returncode == 1
    assert lucid(api.url, "sessions", "forget", "--user", "cli-forget").returncode == 1  # gone
    assert lucid(api.url, "sessions", "forget").returncode == 2
    listed = lucid(api.url, "insights", "list", "--json")
    assert listed.returncode == 0 and isinstance(json.loads(listed.stdout), list)
    assert lucid(api.url, "insights", "release", "987654").returncode == 1


def test_worker_embeds_the_beat_unless_told_not_to(tmp_path):
    settings = Settings(var_dir=tmp_path)
    with_beat = worker_command(settings)
    assert "--beat" in with_beat and str(tmp_path / "celerybeat-schedule") in with_beat
    without = worker_command(settings, beat=False)
    assert "--beat" not in without and "--schedule" not in without
    # Everything else of the worker stays: same app, one run at a time.
    assert [a for a in with_beat if a not in {"--beat", "--schedule",
                                              str(tmp_path / "celerybeat-schedule")}] == without
    assert without[1:6] == ["-m", "celery", "-A", "serve.learning.tasks", "worker"]
    assert "--pool=solo" in without and "--concurrency=1" in without
    shown = CliRunner().invoke(cli.app, ["worker", "--help"])
    assert shown.exit_code == 0 and "--no-beat" in shown.output


@pytest.mark.slow
def test_keys_are_created_listed_and_revoked_and_a_missing_key_says_what_to_do(api):
    made = lucid(api.url, "keys", "create", "--name", "cli-made", "--scope", "chat", "--rpm",
                 "100")
    assert made.returncode == 0, made.stdout + made.stderr
    key = made.stdout.strip().splitlines()[-1]
    key_id = key.split("-")[1]
    with OpenAI(base_url=f"{api.url}/v1", api_key=key, max_retries=0) as chat:
        assert chat.models.list().data
    listed = lucid(api.url, "keys", "list", "--json")
    mine = [k for k in json.loads(listed.stdout) if k["key_id"] == key_id]
    assert mine and mine[0]["scopes"] == ["chat"] and mine[0]["rpm"] == 100
    assert key not in listed.stdout
    revoked = lucid(api.url, "keys", "revoke", key_id)
    assert revoked.returncode == 0 and key_id in revoked.stdout
    with OpenAI(base_url=f"{api.url}/v1", api_key=key, max_retries=0) as chat, \
            pytest.raises(openai.AuthenticationError):
        chat.models.list()
    shown = lucid(api.url, "tenant", "show")
    assert shown.returncode == 0 and json.loads(shown.stdout)["name"] == "default"
    keyless = subprocess.run([sys.executable, "-m", "serve.cli", "keys", "list"],
                             capture_output=True, text=True, timeout=120, cwd="/",
                             env={**os.environ, "LUCID_URL": api.url, "LUCID_API_KEY": "",
                                  "LUCID_VAR_DIR": "/nonexistent", "COLUMNS": "200"})
    assert keyless.returncode == 1 and "LUCID_API_KEY" in keyless.stdout


@pytest.mark.slow
def test_feedback_rates_a_real_completion_by_its_id_and_shows_with_the_session(api, client):
    """The real engine's completion id (plain and streamed), rated with `lucid feedback`."""
    reply = client.chat.completions.with_raw_response.create(
        model="lucid", messages=[{"role": "user", "content": "What is my cat called?"}],
        max_tokens=4, metadata={"learn": "false"})
    completion, session = reply.parse().id, reply.headers["x-session-id"]
    rated = lucid(api.url, "feedback", completion, "--rating", "-1", "--text",
                  "Her name is Quillon.")
    assert rated.returncode == 0, rated.stdout + rated.stderr
    assert f"-1 on turn 1 of session {session}" in rated.stdout
    shown = lucid(api.url, "sessions", "show", session)
    assert "feedback -1: Her name is Quillon." in shown.stdout
    with client.chat.completions.create(model="lucid", max_tokens=4, stream=True, messages=[
            {"role": "user", "content": "Say hi"}], metadata={"learn": "false"}) as stream:
        streamed = [chunk.id for chunk in stream][0]
    assert lucid(api.url, "feedback", streamed, "--rating", "1").returncode == 0
    unknown = lucid(api.url, "feedback", "chatcmpl-unknown", "--rating", "1")
    assert unknown.returncode == 1 and "No chat completion" in unknown.stdout


@pytest.mark.slow
def test_learn_dry_run_follows_the_run_and_prints_what_each_session_taught(api, worker):
    made = httpx.post(f"{api.url}/admin/keys", headers=api.auth, timeout=60, json={
        "tenant": f"cli-{uuid.uuid4().hex[:8]}", "scopes": ["chat", "admin"]})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    with OpenAI(base_url=f"{api.url}/v1", api_key=key, max_retries=0, timeout=120) as tenant:
        said = tenant.chat.completions.with_raw_response.create(
            model="lucid", max_tokens=8, messages=[{
                "role": "user", "content": "Hi! My tortoise's name is Pebble and he is 12."}])
    session = said.headers["x-session-id"]
    ran: list[dict] = []
    worker_thread = threading.Thread(target=lambda: ran.append(worker.run(timeout_s=60)))
    worker_thread.start()
    try:
        shown = subprocess.run(
            [sys.executable, "-m", "serve.cli", "learn", "--dry-run"], capture_output=True,
            text=True, timeout=120, env={**os.environ, "LUCID_URL": api.url,
                                         "LUCID_API_KEY": key, "COLUMNS": "200"})
    finally:
        worker_thread.join(90)
    assert ran and ran[0]["status"] == "succeeded", (ran, shown.stdout, shown.stderr)
    assert shown.returncode == 0, (shown.stdout, shown.stderr)
    run = httpx.get(f"{api.url}/admin/runs/{ran[0]['run_id']}", timeout=60,
                    headers={"Authorization": f"Bearer {key}"}).json()
    assert run["dry_run"] is True and run["status"] == "succeeded"
    output = shown.stdout
    assert f"started dry run {run['id']}" in output
    assert f"session {session}" in output and "Pebble" in output
    assert "    ? " in output  # its practice questions
