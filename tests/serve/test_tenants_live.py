"""Keys and tenants against a real replica, the real vLLM and a real LoRA adapter, driven by the
official `openai` client: 401 and 429 arrive as the client's own exceptions, each tenant's
`lucid` is its own adapter, and another tenant's adapter and sessions do not exist for it."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest
from openai import OpenAI

from tests.keys import AUTH
from tests.serve.real_adapters import make_adapter, register

HI = [{"role": "user", "content": "Say hi."}]


def new_key(api, **body) -> dict:
    response = httpx.post(f"{api.url}/admin/keys", headers=AUTH, json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def client(api, key: str) -> OpenAI:
    return OpenAI(base_url=f"{api.url}/v1", api_key=key, max_retries=0, timeout=120)


def test_the_openai_client_gets_401_and_429_as_its_own_errors(api):
    with client(api, "lucid-000000000000-not-a-key-that-was-ever-made") as wrong:
        with pytest.raises(openai.AuthenticationError) as refused:
            wrong.chat.completions.create(model="lucid", messages=HI, max_tokens=4)
    assert refused.value.code == "invalid_api_key"
    limited = new_key(api, scopes=["chat"], rpm=1)
    with client(api, limited["key"]) as c:
        c.chat.completions.create(model="lucid", messages=HI, max_tokens=4)
        with pytest.raises(openai.RateLimitError) as slow:
            c.chat.completions.create(model="lucid", messages=HI, max_tokens=4)
    assert 1 <= int(slow.value.response.headers["retry-after"]) <= 60
    chat_only = {"Authorization": f"Bearer {limited['key']}"}
    assert httpx.get(f"{api.url}/admin/adapters", headers=chat_only).status_code == 403


def test_each_tenant_is_served_its_own_adapter_and_sees_only_its_own(
        api, database_url, db, base_settings, tmp_path):
    a = new_key(api, scopes=["chat", "admin"], tenant=f"live-{uuid.uuid4().hex[:8]}")
    b = new_key(api, scopes=["chat", "admin"], tenant=f"live-{uuid.uuid4().hex[:8]}")
    a_id = db.execute("SELECT id FROM tenants WHERE name = %s", (a["tenant"],)).fetchone()["id"]
    version = register(database_url, make_adapter(base_settings.model_path, tmp_path / "a", 31),
                       base_settings.var_dir / "adapters", base_settings.base_model_id,
                       tenant_id=a_id)
    a_admin = {"Authorization": f"Bearer {a['key']}"}
    b_admin = {"Authorization": f"Bearer {b['key']}"}
    assert httpx.post(f"{api.url}/admin/adapters/{version['name']}/promote", headers=b_admin,
                      timeout=120).status_code == 404
    assert httpx.post(f"{api.url}/admin/adapters/{version['name']}/promote", headers=a_admin,
                      timeout=120).status_code == 200
    with client(api, a["key"]) as ca, client(api, b["key"]) as cb:
        raw = ca.chat.completions.with_raw_response.create(
            model="lucid", messages=HI, max_tokens=4, temperature=0)
        assert raw.parse().model == version["name"]
        session = raw.headers["x-session-id"]
        assert cb.chat.completions.create(model="lucid", messages=HI, max_tokens=4,
                                          temperature=0).model == base_settings.base_model_id
        with pytest.raises(openai.NotFoundError):
            cb.chat.completions.create(model=version["name"], messages=HI, max_tokens=4)
        assert version["name"] in [m.id for m in ca.models.list()]
        assert version["name"] not in [m.id for m in cb.models.list()]
    assert httpx.get(f"{api.url}/admin/sessions/{session}", headers=a_admin).status_code == 200
    assert httpx.get(f"{api.url}/admin/sessions/{session}", headers=b_admin).status_code == 404
    # The operator's own `lucid` is untouched by tenant A's promotion.
    with client(api, AUTH["Authorization"].split()[1]) as op:
        assert op.chat.completions.create(model="lucid", messages=HI,
                                          max_tokens=4).model != version["name"]
