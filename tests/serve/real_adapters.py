"""Real LoRA adapters on the real model, published and registered as a learning run would: for the
tests that drive promotion through the real engine (hot-swap, the dashboard)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from store.adapter_folders import publish
from store.adapters import AdapterStore
from store.db import open_pool
from store.sessions import DEFAULT_TENANT_ID


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


def register(database_url: str, src: Path, root: Path, base_model: str,
             run_id: int | None = None, metrics: dict | None = None,
             tenant_id: int = DEFAULT_TENANT_ID) -> dict:
    path, sha = publish(src, root)

    async def create() -> dict:
        pool = await open_pool(database_url, 1)
        try:
            return await AdapterStore(pool, tenant_id).create_version(
                run_id=run_id, parent_id=None, base_model=base_model, path=str(path),
                sha256=sha, config={"lora_r": 8}, metrics=metrics or {})
        finally:
            await pool.close()

    return asyncio.run(create())
