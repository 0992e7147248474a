"""Checks an adapter version must pass before the engine is asked to load it: its files are the
ones published (the registry's sha256), it was trained on the base model this server runs, and
its LoRA rank fits the engine's limit. A refusal leaves the serving version as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from serve.api.errors import AdapterInvalid
from store.adapter_folders import verify


def check_adapter(row: dict[str, Any], base_model_id: str, max_lora_rank: int) -> None:
    """Raise AdapterInvalid unless version `row` (a registry row) is safe to load."""
    name, folder = row["name"], Path(row["path"])
    if row.get("base_model") and row["base_model"] != base_model_id:
        raise AdapterInvalid(name, f"it was trained on {row['base_model']}, this server runs "
                                   f"{base_model_id}")
    if not folder.is_dir():
        raise AdapterInvalid(name, f"its folder {folder} is missing")
    config_path = folder / "adapter_config.json"
    try:
        config = json.loads(config_path.read_text())
    except (OSError, ValueError) as exc:
        raise AdapterInvalid(name, f"adapter_config.json is unreadable ({exc})") from exc
    rank = config.get("r")
    if not isinstance(rank, int) or isinstance(rank, bool) or rank < 1:
        raise AdapterInvalid(name, f"adapter_config.json has no valid rank r ({rank!r})")
    if rank > max_lora_rank:
        raise AdapterInvalid(name, f"its rank {rank} is above the engine's limit {max_lora_rank}")
    if not verify(folder, row["sha256"]):
        raise AdapterInvalid(name, "its files do not match the published checksum (corrupt or "
                                   "changed after publishing)")
