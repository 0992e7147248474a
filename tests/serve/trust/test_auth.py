"""API keys through the app, with a fake engine (fast) and the real PostgreSQL: 401 without a
valid key, 403 with the wrong scope, keys stored only as digests, revocation, per-key rate
limits, opt-out per key and per tenant, and redaction at rest. The real-vLLM sibling (the
official openai client against a replica) is test_tenants_live.py."""

from __future__ import annotations

import uuid

import pytest

from serve.api.errors import RateLimited
from serve.trust.ratelimit import RateLimiter
from store.keys import KEY_PATTERN, new_key
from tests.keys import ADMIN_KEY

CHAT = {"model": "lucid", "messages": [{"role": "user", "content": "hi"}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def make_key(http, **body) -> str:
    response = http.post("/admin/keys", json={"name": f"t-{uuid.uuid4().hex[:6]}", **body})
    assert response.status_code == 201, response.text
    return response.json()["key"]


def turns_of(db, request_id: str) -> int:
    return db.execute("SELECT count(*) AS n FROM turns WHERE request_id = %s",
                      (request_id,)).fetchone()["n"]


@pytest.mark.parametrize("headers,code", [
    ({"Authorization": ""}, "missing_api_key"),
    (bearer("not-a-key"), "invalid_api_key"),
    (bearer(new_key()[1]), "invalid_api_key"),  # well formed, never issued
    ({"Authorization": f"Basic {ADMIN_KEY}"}, "missing_api_key"),
    (bearer(ADMIN_KEY[:-1] + ("x" if ADMIN_KEY[-1] != "x" else "y")), "invalid_api_key"),
])
def test_no_valid_key_is_a_401_in_openai_format_and_logs_nothing(http, db, headers, code):
    for method, path in [("POST", "/v1/chat/completions"), ("GET", "/v1/models"),
                         ("GET", "/admin/adapters"), ("POST", "/admin/rollback"),
                         ("GET", "/admin/sessions")]:
        response = http.request(method, path, headers=headers,
                                json=CHAT if method == "POST" else None)
        assert response.status_code == 401, (path, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["type"] == "invalid_request_error"
        assert error["message"]
        assert response.headers["www-authenticate"] == "Bearer"
        assert turns_of(db, response.headers["x-request-id"]) == 0


def test_open_routes_need_no_key(http):
    none = {"Authorization": ""}
    for path in ("/health", "/metrics", "/openapi.json", "/admin/", "/admin/assets/dashboard.js"):
        assert http.get(path, headers=none).status_code == 200, path


def test_a_chat_key_chats_but_gets_403_on_admin_routes(http):
    key = make_key(http, scopes=["chat"])
    assert http.post("/v1/chat/completions", json=CHAT, headers=bearer(key)).status_code == 200
    assert http.get("/v1/models", headers=bearer(key)).status_code == 200
    for method, path in [("GET", "/admin/adapters"), ("POST", "/admin/rollback"),
                         ("POST", "/admin/keys"), ("GET", "/admin/sessions")]:
        response = http.request(method, path, headers=bearer(key))
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "insufficient_scope"


def test_an_admin_only_key_cannot_chat(http):
    key = make_key(http, scopes=["admin"])
    assert http.get("/admin/adapters", headers=bearer(key)).status_code == 200
    assert http.post("/v1/chat/completions", json=CHAT,
                     headers=bearer(key)).status_code == 403


def test_a_key_is_shown_once_and_stored_only_as_its_digest(http, db):
    response = http.post("/admin/keys", json={"name": "ci", "scopes": ["chat"]})
    row = response.json()
    key = row["key"]
    assert KEY_PATTERN.match(key) and row["scopes"] == ["chat"] and row["tenant"] == "default"
    listed = http.get("/admin/keys").json()["data"]
    mine = [k for k in listed if k["key_id"] == row["key_id"]]
    assert mine and "key" not in mine[0] and key not in str(listed)
    stored = db.execute("SELECT * FROM api_keys WHERE key_id = %s", (row["key_id"],)).fetchone()
    assert key.split("-", 2)[2] not in str(stored) and len(bytes(stored["digest"])) == 32


def test_a_revoked_key_stops_working_at_once(http):
    key = make_key(http, scopes=["chat"])
    key_id = key.split("-")[1]
    assert http.post("/v1/chat/completions", json=CHAT, headers=bearer(key)).status_code == 200
    assert http.delete(f"/admin/keys/{key_id}").status_code == 200
    response = http.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_api_key"
    assert http.delete(f"/admin/keys/{key_id}").status_code == 404  # not twice


@pytest.mark.parametrize("body", [
    {"scopes": []}, {"scopes": ["root"]}, {"scopes": ["chat"], "rpm": 0},
    {"scopes": ["chat"], "tenant": "Not A Name!"}, {"scopes": ["chat"], "colour": "red"},
    {"scopes": ["chat"], "learn": 0}, {"scopes": ["chat"], "name": "nul\u0000"},
    {"scopes": ["chat"], "rpm": 2**40},
])
def test_bad_key_requests_are_400_and_create_nothing(http, db, body):
    before = db.execute("SELECT count(*) AS n FROM api_keys").fetchone()["n"]
    response = http.post("/admin/keys", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"]
    assert db.execute("SELECT count(*) AS n FROM api_keys").fetchone()["n"] == before


def test_requests_over_the_keys_rpm_get_429_with_retry_after(http, db):
    key = make_key(http, scopes=["chat"], rpm=2)
    for _ in range(2):
        assert http.post("/v1/chat/completions", json=CHAT, headers=bearer(key)).status_code \
            == 200
    response = http.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limit_exceeded"
    assert response.json()["error"]["type"] == "requests"
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert turns_of(db, response.headers["x-request-id"]) == 0
    # Another key is not affected.
    assert http.post("/v1/chat/completions", json=CHAT).status_code == 200


def test_tokens_over_the_keys_tpm_get_429(http):
    key = make_key(http, scopes=["chat"], tpm=5)  # the fake engine reports 3 + 2 tokens
    assert http.post("/v1/chat/completions", json=CHAT, headers=bearer(key)).status_code == 200
    response = http.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
    assert response.status_code == 429 and response.json()["error"]["type"] == "tokens"


def test_the_limiter_slides_its_window():
    now = [0.0]
    limiter = RateLimiter(default_rpm=2, clock=lambda: now[0])
    limiter.admit("k", None, None)
    now[0] = 30
    limiter.admit("k", None, None)
    with pytest.raises(RateLimited) as refused:
        limiter.admit("k", None, None)
    assert refused.value.headers["Retry-After"] == "30"  # the first request leaves at 60 s
    now[0] = 60.5
    limiter.admit("k", None, None)
    limiter.admit("other", 5, None)  # per key
    tokens = RateLimiter(default_tpm=100, clock=lambda: now[0])
    tokens.admit("k", None, None)
    tokens.spend("k", 60)
    now[0] = 70
    tokens.spend("k", 60)
    with pytest.raises(RateLimited) as refused:
        tokens.admit("k", None, None)
    assert refused.value.headers["Retry-After"] == "51"  # the first 60 tokens leave at 120.5
    now[0] = 121
    tokens.admit("k", None, None)


def learn_flag(http, headers, metadata=None, admin=None) -> bool:
    """Whether the session a chat request with `headers` landed in will be learned from (read
    with the `admin` headers: the same tenant's admin key; default: `headers`)."""
    response = http.post("/v1/chat/completions", headers=headers,
                         json={**CHAT, **({"metadata": metadata} if metadata else {})})
    assert response.status_code == 200
    session = http.get(f"/admin/sessions/{response.headers['x-session-id']}",
                       headers=headers if admin is None else admin).json()
    return session["learn"]


def test_opt_out_per_request_and_per_key(http):
    assert learn_flag(http, {}) is True
    assert learn_flag(http, {}, {"learn": "false"}) is False
    quiet = make_key(http, scopes=["chat"], learn=False)
    assert learn_flag(http, bearer(quiet), admin={}) is False


def test_opt_out_and_redaction_at_rest_per_tenant(http, db):
    tenant = f"t{uuid.uuid4().hex[:8]}"
    admin = make_key(http, scopes=["chat", "admin"], tenant=tenant)
    h = bearer(admin)
    assert http.get("/admin/tenant", headers=h).json()["settings"] == {
        "learn": True, "redact_at_rest": False}
    assert http.patch("/admin/tenant", headers=h, json={"learn": False}).json()["settings"] == {
        "learn": False, "redact_at_rest": False}
    assert learn_flag(http, h) is False
    assert http.patch("/admin/tenant", headers=h, json={}).json()["settings"]["learn"] is False
    assert http.patch("/admin/tenant", headers=h, json={"learn": "maybe"}).status_code == 400
    # The default tenant is untouched.
    assert http.get("/admin/tenant").json()["settings"]["learn"] is True

    secret = "Mail me at jane.doe@example.org or call +44 20 7946 0958."
    http.patch("/admin/tenant", headers=h, json={"redact_at_rest": True})
    response = http.post("/v1/chat/completions", headers=h, json={
        "model": "lucid", "user": "jane@example.org",
        "messages": [{"role": "user", "content": secret}]})
    assert response.status_code == 200
    stored = db.execute("SELECT t.messages, t.user_id FROM turns t WHERE t.request_id = %s",
                        (response.headers["x-request-id"],)).fetchone()
    text = stored["messages"][0]["content"]
    assert "jane.doe@example.org" not in text and "7946" not in text and "[email]" in text
    assert stored["user_id"] == "[email]"
    # Another tenant keeps its originals.
    plain = http.post("/v1/chat/completions", json={
        "model": "lucid", "messages": [{"role": "user", "content": secret}]})
    kept = db.execute("SELECT messages FROM turns WHERE request_id = %s",
                      (plain.headers["x-request-id"],)).fetchone()
    assert kept["messages"][0]["content"] == secret


def test_only_the_operator_manages_other_tenants_keys(http):
    tenant = f"t{uuid.uuid4().hex[:8]}"
    other_admin = make_key(http, scopes=["admin"], tenant=tenant)
    response = http.post("/admin/keys", headers=bearer(other_admin),
                         json={"scopes": ["admin"], "tenant": "default"})
    assert response.status_code == 403
    assert http.get("/admin/keys", headers=bearer(other_admin),
                    params={"tenant": "default"}).status_code == 403
    own = http.post("/admin/keys", headers=bearer(other_admin), json={"scopes": ["chat"]})
    assert own.status_code == 201 and own.json()["tenant"] == tenant
    # The operator lists the tenant's keys and revokes one (a leaked key at 3 a.m.).
    listed = http.get("/admin/keys", params={"tenant": tenant}).json()["data"]
    assert {k["key_id"] for k in listed} == {other_admin.split("-")[1], own.json()["key_id"]}
    assert http.get("/admin/keys", params={"tenant": "no-such-tenant"}).status_code == 404
    assert http.delete(f"/admin/keys/{own.json()['key_id']}").status_code == 200
    assert http.get("/admin/keys", headers=bearer(other_admin)).json()["data"][0]["key_id"] \
        == other_admin.split("-")[1]


def test_the_api_description_says_which_routes_need_a_key(http):
    document = http.get("/openapi.json", headers={"Authorization": ""}).json()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    paths = document["paths"]
    assert paths["/v1/chat/completions"]["post"]["security"] == [{"apiKey": []}]
    assert paths["/admin/keys"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in paths["/health"]["get"]
