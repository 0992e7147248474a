"""Learning runs through the admin API (fake engine, real PostgreSQL, a real Redis broker): a dry
run is queued as the worker's task with its flag on the run row; the task (run by the
in-process worker of tests/serve/inprocess_worker.py) ends it succeeded, and the API lists its
insights with their run and session, and per run what each session taught. A bad body is a 400
in OpenAI's format and queues nothing. The stages' side is tests/serve/learning/test_dry_run.py;
a real worker runs real runs in tests/serve/learning/test_run.py."""

from __future__ import annotations

import pytest

from tests.serve.inprocess_worker import take_task

PET = "Hi! My tortoise's name is Pebble and he is 12."


def runs_of(api, tenant: dict[str, str]) -> int:
    return len(api.get("/admin/runs", headers=tenant).json()["data"])


def without_key(api, method: str, path: str, **kwargs):
    """The request with no Authorization header at all (the client sends the suite's key)."""
    request = api.build_request(method, path, **kwargs)
    del request.headers["Authorization"]
    return api.send(request)


def test_a_dry_run_is_queued_run_by_the_task_and_its_insights_are_listed(
        learning_http, tenant_admin, worker):
    api, tenant = learning_http, tenant_admin
    said = api.post("/v1/chat/completions", headers=tenant, json={
        "model": "lucid", "messages": [{"role": "user", "content": PET}]})
    session = said.headers["x-session-id"]

    started = api.post("/admin/runs", headers=tenant, json={"dry_run": True})
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["status"] == "queued" and run["dry_run"] is True and run["task_id"]
    assert worker.run(run["task_id"])["status"] == "succeeded"

    done = api.get(f"/admin/runs/{run['id']}", headers=tenant).json()
    assert (done["status"], done["dry_run"], done["adapters"]) == ("succeeded", True, None)
    assert done["metrics"]["sessions_consumed"] is False and done["session_ids"] == [session]
    active = api.get("/admin/insights", headers=tenant, params={"status": "active"}).json()
    [insight] = [r for r in active["data"] if r["run_id"] == run["id"]]
    assert insight["session_id"] == session and insight["dry_run"] is True
    assert "Pebble" in insight["text"]

    taught = api.get(f"/admin/runs/{run['id']}/insights", headers=tenant)
    assert taught.status_code == 200
    [row] = taught.json()["data"]
    assert row["id"] == insight["id"] and row["session_id"] == session
    assert row["practice"] and all(q["question"] for q in row["practice"])
    assert any("Pebble" in (q["reference"] or "") for q in row["practice"]), row["practice"]

    assert api.get("/admin/adapters", headers=tenant).json()["data"] == []


def test_a_run_without_a_body_is_not_dry(learning_http, tenant_admin, broker_url):
    started = learning_http.post("/admin/runs", headers=tenant_admin)
    assert started.status_code == 202, started.text
    run = started.json()
    assert run["dry_run"] is False
    assert take_task(broker_url, run["task_id"]) == (run["task_id"], {"run_id": run["id"]})


@pytest.mark.parametrize("body, param, code", [
    ({"dry_run": "yes"}, "dry_run", "invalid_value"),
    ({"dry_run": 1}, "dry_run", "invalid_value"),
    ({"dry_run": True, "steps": 3}, "steps", "unknown_parameter"),
    ([True], None, "invalid_body"),
])
def test_a_bad_body_is_a_400_and_queues_no_run(learning_http, tenant_admin, body, param, code):
    before = runs_of(learning_http, tenant_admin)
    refused = learning_http.post("/admin/runs", headers=tenant_admin, json=body)
    assert refused.status_code == 400, refused.text
    error = refused.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param,
                                                              code)
    assert error["message"]
    assert runs_of(learning_http, tenant_admin) == before


def test_runs_need_an_admin_key_and_another_tenants_run_is_404(learning_http, tenant_admin,
                                                                broker_url):
    api, tenant = learning_http, tenant_admin
    before = runs_of(api, tenant)
    anonymous = without_key(api, "POST", "/admin/runs", json={"dry_run": True})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "missing_api_key"
    assert runs_of(api, tenant) == before
    run = api.post("/admin/runs", headers=tenant, json={"dry_run": True}).json()
    take_task(broker_url, run["task_id"])
    assert api.get(f"/admin/runs/{run['id']}/insights", headers=tenant).json()["data"] == []
    for other in (api.get(f"/admin/runs/{run['id']}/insights"),  # the operator's tenant
                  api.get("/admin/runs/987654321/insights", headers=tenant)):
        assert other.status_code == 404 and other.json()["error"]["param"] == "run_id"
    assert without_key(api, "GET", f"/admin/runs/{run['id']}/insights").status_code == 401
