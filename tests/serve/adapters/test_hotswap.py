"""Hot-swap against the real vLLM with real LoRA adapters: promotion and rollback take effect
for the next request, and streams in flight during them all complete.
The fast sibling with a fake engine is test_registry.py."""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from tests.keys import ADMIN_KEY, AUTH
from tests.serve.real_adapters import make_adapter, register

pytestmark = pytest.mark.slow

ASK = [{"role": "user", "content": "Name three fruits."}]


@pytest.fixture(scope="module")
def versions(database_url, base_settings, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("adapters")
    root = base_settings.var_dir / "adapters"
    return [register(database_url, make_adapter(base_settings.model_path, tmp / f"a{i}", i),
                     root, base_settings.base_model_id) for i in (1, 2)]


@pytest.fixture
def replica(start_api):
    api = start_api()
    yield api
    while httpx.post(f"{api.url}/admin/rollback", headers=AUTH).status_code == 200:
        pass  # leave the base model active for other tests


def greedy(client: OpenAI) -> tuple[str, str]:
    reply = client.chat.completions.create(model="lucid", messages=ASK, max_tokens=12,
                                           temperature=0)
    return reply.model, reply.choices[0].message.content


def test_promote_and_rollback_take_effect_on_the_next_request(replica, versions, base_settings):
    v1, v2 = versions
    with OpenAI(base_url=f"{replica.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
        base_model, base_text = greedy(client)
        assert base_model == base_settings.base_model_id

        assert httpx.post(f"{replica.url}/admin/adapters/{v1['name']}/promote",
                          headers=AUTH).status_code == 200
        model, text = greedy(client)
        assert model == v1["name"] and text != base_text
        listed = {m.id: m for m in client.models.list()}
        assert listed[v1["name"]].model_extra["parent"] == base_settings.base_model_id

        assert httpx.post(f"{replica.url}/admin/adapters/{v2['name']}/promote",
                          headers=AUTH).status_code == 200
        assert greedy(client)[0] == v2["name"]

        assert httpx.post(f"{replica.url}/admin/rollback", headers=AUTH).status_code == 200
        assert greedy(client) == (v1["name"], text)
        assert httpx.post(f"{replica.url}/admin/rollback", headers=AUTH).status_code == 200
        assert greedy(client) == (base_model, base_text)


def test_streams_in_flight_survive_promotions_and_rollbacks(replica, versions):
    v1, v2 = versions
    results: list[tuple[set[str], str | None]] = []
    errors: list[BaseException] = []
    started = threading.Barrier(7)

    def stream() -> None:
        try:
            with OpenAI(base_url=f"{replica.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
                chunks = client.chat.completions.create(
                    model="lucid", messages=ASK, max_tokens=64, temperature=0.8, stream=True)
                models, finish = set(), None
                for n, chunk in enumerate(chunks):
                    if n == 1:
                        started.wait(60)
                    models.add(chunk.model)
                    if chunk.choices and chunk.choices[0].finish_reason:
                        finish = chunk.choices[0].finish_reason
                results.append((models, finish))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=stream) for _ in range(6)]
    for t in threads:
        t.start()
    started.wait(60)
    for action in (f"adapters/{v1['name']}/promote", f"adapters/{v2['name']}/promote",
                   "rollback", "rollback", f"adapters/{v2['name']}/promote"):
        assert httpx.post(f"{replica.url}/admin/{action}", headers=AUTH).status_code == 200
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 6
    assert all(finish in ("stop", "length") for _, finish in results)
    assert all(len(models) == 1 for models, _ in results), "a stream changed version midway"


def test_a_corrupt_real_adapter_is_refused_and_the_current_version_keeps_serving(
        replica, versions, base_settings, database_url, tmp_path):
    v1, _ = versions
    bad = register(database_url, make_adapter(base_settings.model_path, tmp_path / "c", 5),
                   base_settings.var_dir / "adapters", base_settings.base_model_id)
    weights = Path(bad["path"]) / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01  # one bit of one weight: the file still loads, the checksum does not match
    weights.write_bytes(bytes(data))
    with OpenAI(base_url=f"{replica.url}/v1", api_key=ADMIN_KEY, max_retries=0) as client:
        assert httpx.post(f"{replica.url}/admin/adapters/{v1['name']}/promote",
                          headers=AUTH).status_code == 200
        before = greedy(client)
        refused = httpx.post(f"{replica.url}/admin/adapters/{bad['name']}/promote", headers=AUTH)
        assert refused.status_code == 400
        assert "published checksum" in refused.json()["error"]["message"]
        assert greedy(client) == before and before[0] == v1["name"]
        assert bad["name"] not in {m.id for m in client.models.list()}
