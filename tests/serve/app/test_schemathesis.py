"""Schemathesis against the OpenAPI document of a real replica (real vLLM, real PostgreSQL):
every operation, generated and stateful cases, all checks (no 5xx, responses matching the
document, schema-valid requests accepted, invalid ones refused). Answers are capped at 8 tokens
(`LUCID_MAX_COMPLETION_TOKENS`, shown in the document) so generated chats stay quick on a CPU.
POST /admin/runs is left out: it would queue real learning runs in the session's broker. Every
case sends an admin key of its own (a generated DELETE /admin/keys/... may revoke it, never the
suite's); the default tenant's settings it may change are put back afterwards."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from store.keys import new_key
from tests.keys import AUTH

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25


def test_the_api_keeps_its_openapi_document_under_generated_requests(api, start_api, tmp_path):
    # `api` has registered the suite's key (AUTH) in the same database, for the clean-up.
    own = new_key()[1]
    replica = start_api(LUCID_MAX_COMPLETION_TOKENS="8", LUCID_ADMIN_KEY=own)
    tenant = httpx.get(f"{replica.url}/admin/tenant", headers=AUTH).json()["settings"]
    st = Path(sys.executable).with_name("st")
    try:
        run = subprocess.run(
            [str(st), "run", f"{replica.url}/openapi.json", "--checks", "all",
             "--header", f"Authorization: Bearer {own}",
             "--max-examples", str(MAX_EXAMPLES), "--seed", "20261126", "--workers", "1",
             "--generation-database", "none", "--request-timeout", "120",
             "--exclude-operation-id", "start_run_admin_runs_post"],
            cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    finally:
        while httpx.post(f"{replica.url}/admin/rollback", headers=AUTH).status_code == 200:
            pass  # leave the base model active and the tenant unpinned for other tests
        httpx.post(f"{replica.url}/admin/adapters/unpin", headers=AUTH)
        restored = httpx.patch(f"{replica.url}/admin/tenant", headers=AUTH, json={
            "learn": tenant["learn"], "redact_at_rest": tenant["redact_at_rest"]})
        assert restored.status_code == 200, restored.text
    output = run.stdout + run.stderr
    counted = re.search(r"(\d+) generated, (\d+) passed", output)
    print(counted.group(0) if counted else output[-400:])
    assert run.returncode == 0, output[-6000:]
    assert counted and int(counted.group(1)) == int(counted.group(2)) >= 200, output[-2000:]
