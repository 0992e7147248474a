"""A model's size from its safetensors headers: the bundled model's, a folder without weights
and an id that is in no cache."""

from __future__ import annotations

import json
import struct

from serve.engine.model_size import parameter_count
from tests.dream.conftest import MODEL


def test_the_size_is_read_from_the_weights_headers(tmp_path):
    for shard, shapes in (("a.safetensors", [[3, 4], [5]]), ("b.safetensors", [[2, 2, 2]])):
        header = {f"t{i}": {"dtype": "F32", "shape": s, "data_offsets": [0, 0]}
                  for i, s in enumerate(shapes)}
        header["__metadata__"] = {"format": "pt"}
        raw = json.dumps(header).encode()
        (tmp_path / shard).write_bytes(struct.pack("<Q", len(raw)) + raw)
    assert parameter_count(str(tmp_path)) == 12 + 5 + 8


def test_unknown_sizes_are_none(tmp_path):
    assert parameter_count(str(tmp_path)) is None  # no weights
    (tmp_path / "broken.safetensors").write_bytes(b"\x01")
    assert parameter_count(str(tmp_path)) is None
    assert parameter_count("nobody/no-such-model") is None


def test_the_bundled_model_has_135m_parameters():
    assert 130_000_000 < parameter_count(str(MODEL)) < 140_000_000
