"""The `lucid` command against a running API replica (real engine and PostgreSQL): operator
commands print what the admin API says and exit with codes a script can test."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.slow


def lucid(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "serve.cli", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "LUCID_URL": url, "COLUMNS": "200"})


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


def test_refusals_and_unreachable_servers_have_their_own_exit_codes(api):
    missing = lucid(api.url, "runs", "show", "987654")
    assert missing.returncode == 1 and "404" in missing.stdout
    promote = lucid(api.url, "adapters", "promote", "no-such-version")
    assert promote.returncode == 1 and "no-such-version" in promote.stdout
    nobody = lucid(f"http://127.0.0.1:{free_port()}", "adapters", "list")
    assert nobody.returncode == 3 and "make run" in nobody.stdout
