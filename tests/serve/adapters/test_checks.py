"""What an adapter version must pass before the engine is asked to load it: trained on the base
model served, its published folder present, a readable config with a rank the engine allows, and
files that still match the registry's checksum. Each refusal names the version and the reason.
Folders are published with the real `store.adapter_folders.publish`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from serve.adapters.checks import check_adapter
from serve.api.errors import AdapterInvalid
from store.adapter_folders import publish

BASE = "base-model"
MAX_RANK = 16


def version(tmp_path: Path, config: dict | str | None = None, name: str = "default-v3-1a2b3c4d",
            base_model: str | None = BASE) -> dict:
    """A registry row of a freshly published adapter folder (`config` None: no config file)."""
    src = tmp_path / "src"
    src.mkdir(parents=True)
    if config is not None:
        text = config if isinstance(config, str) else json.dumps(config)
        (src / "adapter_config.json").write_text(text)
    (src / "adapter_model.safetensors").write_bytes(bytes(range(256)) * 4)
    path, sha = publish(src, tmp_path / "published")
    return {"name": name, "path": str(path), "sha256": sha, "base_model": base_model}


def refusal(row: dict, base: str = BASE, max_rank: int = MAX_RANK) -> str:
    with pytest.raises(AdapterInvalid) as refused:
        check_adapter(row, base, max_rank)
    error = refused.value
    assert (error.status, error.code, error.param) == (400, "adapter_invalid", "version")
    assert error.message.startswith(f"Adapter {row['name']} cannot be served: ")
    return error.message


def test_a_published_adapter_of_the_served_base_passes(tmp_path):
    check_adapter(version(tmp_path, {"r": 8}), BASE, MAX_RANK)


def test_the_highest_rank_the_engine_allows_passes(tmp_path):
    check_adapter(version(tmp_path, {"r": MAX_RANK}), BASE, MAX_RANK)


def test_a_row_without_a_base_model_is_not_refused_for_it(tmp_path):
    check_adapter(version(tmp_path, {"r": 8}, base_model=None), BASE, MAX_RANK)


def test_another_base_model_is_refused(tmp_path):
    message = refusal(version(tmp_path, {"r": 8}, base_model="other-model"))
    assert "trained on other-model, this server runs base-model" in message


def test_a_missing_folder_is_refused(tmp_path):
    row = version(tmp_path, {"r": 8})
    shutil.rmtree(row["path"])
    assert f"its folder {row['path']} is missing" in refusal(row)


@pytest.mark.parametrize("config", [None, "{not json", "[1, 2"])
def test_a_missing_or_unreadable_config_is_refused(tmp_path, config):
    assert "adapter_config.json is unreadable" in refusal(version(tmp_path, config))


@pytest.mark.parametrize("rank", [0, -4, "8", None, True])
def test_a_rank_that_is_not_a_positive_integer_is_refused(tmp_path, rank):
    config = {"peft_type": "LORA"} if rank is None else {"r": rank}
    message = refusal(version(tmp_path, config))
    assert f"adapter_config.json has no valid rank r ({rank!r})" in message


def test_a_rank_above_the_engines_limit_is_refused(tmp_path):
    message = refusal(version(tmp_path, {"r": 64}))
    assert "its rank 64 is above the engine's limit 16" in message
    check_adapter(version(tmp_path / "again", {"r": 64}), BASE, 64)  # a larger limit allows it


def test_weights_changed_after_publishing_are_refused(tmp_path):
    row = version(tmp_path, {"r": 8})
    weights = Path(row["path"]) / "adapter_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[100] ^= 0x01
    weights.write_bytes(bytes(data))
    assert "do not match the published checksum" in refusal(row)


def test_a_file_added_after_publishing_is_refused(tmp_path):
    row = version(tmp_path, {"r": 8})
    (Path(row["path"]) / "extra.bin").write_bytes(b"\0")
    assert "do not match the published checksum" in refusal(row)


def test_a_row_whose_checksum_is_not_the_folders_is_refused(tmp_path):
    row = version(tmp_path, {"r": 8})
    assert "do not match the published checksum" in refusal({**row, "sha256": "0" * 64})
