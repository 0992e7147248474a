"""How many parameters a model has, read from its safetensors headers (no weights loaded, no
torch): what `DreamConfig.reader = "auto"` weighs to decide whether the model may read sessions.
A hub id is looked up in the local Hugging Face cache only; unknown is None."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path


def parameter_count(model: str) -> int | None:
    """Parameters of the model folder (or cached hub id) `model`; None when it cannot be read."""
    folder = Path(model)
    if not folder.is_dir():
        folder = _cached(model)
    if folder is None:
        return None
    shards = sorted(folder.glob("*.safetensors"))
    if not shards:
        return None
    try:
        return sum(_shard_parameters(shard) for shard in shards)
    except (OSError, ValueError, KeyError, struct.error):
        return None


def _shard_parameters(path: Path) -> int:
    """Elements of every tensor in one safetensors file, from its JSON header."""
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        if size > 100_000_000:
            raise ValueError(f"{path}: header of {size} bytes")
        header = json.loads(f.read(size))
    return sum(math.prod(t["shape"]) for name, t in header.items() if name != "__metadata__")


def _cached(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not a repo id, or not in the cache: the size is unknown
        return None
