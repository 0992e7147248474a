"""Adapter folders in the published layout for fast registry tests: a real adapter_config.json
and a weights file of random bytes (the fake engine never reads weights), published with the
real `store.adapter_folders` so the registry's checksum is the real one."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from store.adapter_folders import publish


def published(root: Path, rank: int = 8) -> tuple[str, str]:
    """(folder, sha256) of a freshly published adapter with LoRA rank `rank`."""
    src = root / f"src-{uuid.uuid4().hex}"
    src.mkdir(parents=True)
    (src / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": rank, "lora_alpha": 2 * rank,
         "target_modules": ["q_proj", "v_proj"], "base_model_name_or_path": "base-model"}))
    (src / "adapter_model.safetensors").write_bytes(os.urandom(256))
    path, sha = publish(src, root / "published")
    return str(path), sha
