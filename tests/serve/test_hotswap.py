"""Hot-swap against the real vLLM with real LoRA adapters: promotion and rollback take effect
for the next request, and streams in flight during them all complete.
The fast sibling with a fake engine is test_registry.py."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import httpx
import pytest
from openai import OpenAI

from distill.publish import publish
from store.adapters import AdapterStore
from store.db import open_pool

pytestmark = pytest.mark.slow

ASK = [{"role": "user", "content": "Name three fruits."}]


def make_adapter(model_path: str, out: Path, seed: int) -> Path:
    """A real rank-8 LoRA on the real model, with random (non-zero) weights so it changes output."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                        init_lora_weights=False)
    get_peft_model(model, config).save_pretrained(out)
    return out


def register(database_url: str, src: Path, root: Path, base_model: str) -> dict:
    path, sha = publish(src, root)

    async def create() -> dict:
        pool = await open_pool(database_url, 1)
        try:
            return await AdapterStore(pool).create_version(
                run_id=None, parent_id=None, base_model=base_model, path=str(path), sha256=sha,
                config={"lora_r": 8}, metrics={})
        finally:
            await pool.close()

    return asyncio.run(create())


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
    while httpx.post(f"{api.url}/admin/rollback").status_code == 200:
        pass  # leave the base model active for other tests


def greedy(client: OpenAI) -> tuple[str, str]:
    reply = client.chat.completions.create(model="lucid", messages=ASK, max_tokens=12,
                                           temperature=0)
    return reply.model, reply.choices[0].message.content


def test_promote_and_rollback_take_effect_on_the_next_request(replica, versions, base_settings):
    v1, v2 = versions
    with OpenAI(base_url=f"{replica.url}/v1", api_key="x", max_retries=0) as client:
        base_model, base_text = greedy(client)
        assert base_model == base_settings.base_model_id

        assert httpx.post(f"{replica.url}/admin/adapters/{v1['name']}/promote").status_code == 200
        model, text = greedy(client)
        assert model == v1["name"] and text != base_text
        listed = {m.id: m for m in client.models.list()}
        assert listed[v1["name"]].model_extra["parent"] == base_settings.base_model_id

        assert httpx.post(f"{replica.url}/admin/adapters/{v2['name']}/promote").status_code == 200
        assert greedy(client)[0] == v2["name"]

        assert httpx.post(f"{replica.url}/admin/rollback").status_code == 200
        assert greedy(client) == (v1["name"], text)
        assert httpx.post(f"{replica.url}/admin/rollback").status_code == 200
        assert greedy(client) == (base_model, base_text)


def test_streams_in_flight_survive_promotions_and_rollbacks(replica, versions):
    v1, v2 = versions
    results: list[tuple[set[str], str | None]] = []
    errors: list[BaseException] = []
    started = threading.Barrier(7)

    def stream() -> None:
        try:
            with OpenAI(base_url=f"{replica.url}/v1", api_key="x", max_retries=0) as client:
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
        assert httpx.post(f"{replica.url}/admin/{action}").status_code == 200
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(results) == 6
    assert all(finish in ("stop", "length") for _, finish in results)
    assert all(len(models) == 1 for models, _ in results), "a stream changed version midway"
