"""`GET /metrics`: chat counters and histograms move by exactly what was served, the active-version
gauge follows promotions, learning metrics follow the database. A fake engine and the real
PostgreSQL (fast); the real-vLLM sibling is the slow test at the end.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg_pool import AsyncConnectionPool

from serve.config.settings import Settings
from store.runs import AsyncRunStore
from tests.keys import ADMIN_KEY, app_client
from tests.serve.adapter_files import published
from tests.serve.fake_engine import FakeEngine
from tests.tenants import new_tenant

CHAT = "/v1/chat/completions"
USER = [{"role": "user", "content": "hello there"}]  # the fake answers "echo: hello there"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def scrape(http) -> Samples:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def labelled(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels), v in samples.items() if n == name and v == 1]


def active_default(http) -> list[dict[str, str]]:
    """The default tenant's line of the active-version gauge (other tests' tenants have theirs)."""
    return [labels for labels in labelled(scrape(http), "lucid_adapter_active")
            if labels["tenant"] == "default"]


def _clean_registry(db) -> None:
    db.execute("DELETE FROM adapter_events; UPDATE adapter_aliases SET adapter_version_id = NULL;"
               " UPDATE turns SET adapter_version_id = NULL; DELETE FROM adapter_versions;"
               " UPDATE tenants SET pinned = false")


@pytest.fixture
def clean_registry(db):
    # The gauge and gate tests own the registry: start from a clean one and leave one.
    _clean_registry(db)
    yield
    _clean_registry(db)


@pytest.fixture
def http(database_url, clean_registry, tmp_path):
    settings = Settings(database_url=database_url, var_dir=tmp_path, model_name="base-model",
                        model="base-model")
    with app_client(settings, FakeEngine()) as client:
        client.adapter_root = tmp_path / "adapters"
        yield client


def new_version(http, n: int, metrics: dict | None = None) -> dict:
    store = http.app.state.registry.adapters
    path, sha = published(http.adapter_root)
    return http.portal.call(lambda: store.create_version(
        run_id=None, parent_id=None, base_model="base-model", path=path, sha256=sha,
        config={"lora_r": 8}, metrics=metrics or {}))


def test_chat_requests_move_counters_and_histograms_by_exactly_what_was_served(http):
    before = scrape(http)
    assert http.post(CHAT, json={"model": "lucid", "messages": USER}).status_code == 200
    streamed = http.post(CHAT, json={"model": "lucid", "messages": USER, "stream": True})
    assert streamed.status_code == 200 and streamed.text.endswith("data: [DONE]\n\n")
    assert http.post(CHAT, json={"model": "no-such-model", "messages": USER}).status_code == 404
    invalid = {"model": "lucid", "messages": USER, "temperature": "hot", "stream": True}
    assert http.post(CHAT, json=invalid).status_code == 400
    after = scrape(http)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    requests = "lucid_chat_requests_total"
    assert moved(requests, model="lucid", status="200", stream="false") == 1
    assert moved(requests, model="lucid", status="200", stream="true") == 1
    assert moved(requests, model="unknown", status="404", stream="false") == 1
    assert moved(requests, model="lucid", status="400", stream="true") == 1
    assert not any(dict(labels).get("model") == "no-such-model" for _, labels in after)
    errors = "lucid_api_errors_total"
    assert moved(errors, type="invalid_request_error", code="model_not_found") == 1
    assert moved(errors, type="invalid_request_error", code="invalid_value") == 1
    for histogram in ("lucid_chat_request_duration_seconds",
                      "lucid_chat_time_to_first_token_seconds"):
        assert moved(f"{histogram}_count", model="lucid") == 2, histogram
        assert moved(f"{histogram}_bucket", model="lucid", le="+Inf") == 2, histogram
        assert moved(f"{histogram}_sum", model="lucid") > 0, histogram
    assert moved("lucid_chat_prompt_tokens_total", model="lucid") == 2 * 7
    assert moved("lucid_chat_completion_tokens_total", model="lucid") == 2 * 3


def test_active_adapter_gauge_follows_promotion_and_rollback(http):
    assert active_default(http) == [
        {"tenant": "default", "version": "base-model"}]
    v1, v2 = new_version(http, 1), new_version(http, 2)
    for v in (v1, v2):
        assert http.post(f"/admin/adapters/{v['name']}/promote").status_code == 200
        assert active_default(http) == [
            {"tenant": "default", "version": v["name"]}]
    for name in (v1["name"], "base-model"):
        assert http.post("/admin/rollback").status_code == 200
        assert active_default(http) == [
            {"tenant": "default", "version": name}]


def _add_run(db, status: str, created_ago: float, started_ago: float | None = None,
             finished_ago: float | None = None, train_seconds: float | None = None) -> int:
    ago = "now() - %s::float8 * interval '1 second'"
    return db.execute(
        f"INSERT INTO learning_runs (tenant_id, status, created_at, started_at, finished_at,"
        f" metrics) VALUES (1, %s, {ago}, {ago}, {ago}, %s::jsonb) RETURNING id",
        (status, created_ago, started_ago, finished_ago,
         "{}" if train_seconds is None else f'{{"train_seconds": {train_seconds}}}'),
    ).fetchone()["id"]


def test_learning_metrics_reflect_the_runs_and_the_gate_in_the_database(http, db):
    before = scrape(http)
    runs = [_add_run(db, "queued", 5), _add_run(db, "queued", 3),
            _add_run(db, "failed", 50, 40, 10),
            _add_run(db, "succeeded", 690, 590, 0, train_seconds=420.5)]
    gated = new_version(http, 7)
    scores = {"candidate": {"heldout_accuracy": 0.75, "regression_accuracy": 0.8,
                            "perplexity": 21.5},
              "current": {"heldout_accuracy": 0.25, "regression_accuracy": 0.85,
                          "perplexity": 20.0}}
    store = http.app.state.registry.adapters
    http.portal.call(lambda: store.set_outcome(gated["id"], {**scores, "passed": False},
                                               "rejected"))
    try:
        after = scrape(http)
    finally:
        db.execute("DELETE FROM learning_runs WHERE id = ANY(%s)", (runs,))

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert value(after, "lucid_store_up") == 1
    assert moved("lucid_learning_runs", status="queued") == 2
    assert moved("lucid_learning_runs", status="failed") == 1
    assert moved("lucid_learning_runs", status="succeeded") == 1
    assert moved("lucid_learning_runs", status="running") == 0
    assert moved("lucid_learning_queue_depth") == 2
    duration = "lucid_learning_run_duration_seconds"
    assert moved(f"{duration}_count", status="succeeded") == 1
    assert moved(f"{duration}_bucket", status="succeeded", le="300.0") == 0
    assert moved(f"{duration}_bucket", status="succeeded", le="600.0") == 1
    assert moved(f"{duration}_bucket", status="failed", le="60.0") == 1
    assert moved(f"{duration}_sum", status="failed") == pytest.approx(30, abs=0.01)
    stage = "lucid_learning_last_run_stage_seconds"
    assert value(after, stage, stage="queued") == pytest.approx(100, abs=0.01)
    assert value(after, stage, stage="train") == 420.5
    assert value(after, stage, stage="total") == pytest.approx(590, abs=0.01)
    assert value(after, "lucid_learning_last_success_timestamp_seconds") == pytest.approx(
        time.time(), abs=60)
    for measured, numbers in scores.items():
        for score, number in numbers.items():
            assert value(after, f"lucid_gate_{score}", version=gated["name"],
                         measured=measured) == number
    assert after[("lucid_gate_passed", (("version", gated["name"]),))] == 0


def test_a_dry_run_is_not_the_last_learning_success(http, db):
    """A dry run trains nothing: an alert on `lucid_learning_last_success_timestamp_seconds`
    must still fire when only dry runs succeed."""
    tenant = new_tenant(db)
    for dry_run, finished_ago in ((False, 3600), (True, 0)):
        db.execute("INSERT INTO learning_runs (tenant_id, status, dry_run, started_at,"
                   " finished_at) VALUES (%s, 'succeeded', %s, now() - interval '2 hours',"
                   " now() - %s * interval '1 second')", (tenant, dry_run, finished_ago))
    pool = http.app.state.runs.runs.pool
    stats = http.portal.call(lambda: AsyncRunStore(pool, tenant).stats())
    assert stats["last_success"] == pytest.approx(time.time() - 3600, abs=60)


def test_chat_metrics_still_come_out_when_the_database_cannot_be_read(http, monkeypatch):
    assert http.post(CHAT, json={"model": "lucid", "messages": USER}).status_code == 200
    unopened = AsyncConnectionPool("postgresql://127.0.0.1:1/none", open=False)
    monkeypatch.setattr(http.app.state.scraper, "runs", AsyncRunStore(unopened))
    samples = scrape(http)
    assert value(samples, "lucid_store_up") == 0
    assert value(samples, "lucid_chat_requests_total", model="lucid", status="200",
                 stream="false") >= 1
    assert not any(name.startswith("lucid_learning_") for name, _ in samples)


@pytest.mark.slow
def test_real_chat_moves_counters_ttft_and_writes_a_json_access_line(start_api):
    """The sibling against the real vLLM, through the official client and a real replica."""
    import orjson
    from openai import OpenAI

    api = start_api(LUCID_LOG_FORMAT="json")
    before = parse(httpx.get(f"{api.url}/metrics").text)
    request_id = f"req-metrics-{uuid.uuid4().hex[:8]}"
    with OpenAI(base_url=f"{api.url}/v1", api_key=ADMIN_KEY, max_retries=0, timeout=120) as client:
        chunks = list(client.chat.completions.create(
            model="lucid", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8,
            temperature=0, stream=True, stream_options={"include_usage": True},
            extra_headers={"X-Request-Id": request_id}))
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens > 0

    requests = ("lucid_chat_requests_total", {"model": "lucid", "status": "200", "stream": "true"})
    deadline = time.monotonic() + 10
    while True:  # the request counter moves as the response starts; the scrape may race it
        after = parse(httpx.get(f"{api.url}/metrics").text)
        if value(after, requests[0], **requests[1]) > value(before, requests[0], **requests[1]):
            break
        assert time.monotonic() < deadline, "the chat request was never counted"
        time.sleep(0.1)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved(requests[0], **requests[1]) == 1
    assert moved("lucid_chat_time_to_first_token_seconds_count", model="lucid") == 1
    assert moved("lucid_chat_time_to_first_token_seconds_sum", model="lucid") > 0
    assert moved("lucid_chat_request_duration_seconds_count", model="lucid") == 1
    assert moved("lucid_chat_prompt_tokens_total", model="lucid") == usage.prompt_tokens
    assert moved("lucid_chat_completion_tokens_total", model="lucid") == usage.completion_tokens

    deadline = time.monotonic() + 10
    while True:
        lines = [orjson.loads(line) for line in api.log_path.read_text().splitlines()
                 if line.startswith("{")]
        access = [line for line in lines if line.get("request_id") == request_id
                  and line["logger"] == "lucid.access"]
        if access or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(access) == 1, lines[-5:]
    assert access[0]["path"] == CHAT and access[0]["status"] == 200
    assert access[0]["session_id"] and access[0]["latency_ms"] > 0
