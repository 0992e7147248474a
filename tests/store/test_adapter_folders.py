"""Adapters are published whole and immutable, under their digest."""

import pytest

from store.adapter_folders import digest, publish, sweep, verify


@pytest.fixture
def adapter(tmp_path):
    src = tmp_path / "trained"
    src.mkdir()
    (src / "adapter_config.json").write_text('{"r": 8}')
    (src / "adapter_model.safetensors").write_bytes(b"\x01\x02" * 1000)
    return src


def test_publish_copies_under_the_digest_and_verifies(adapter, tmp_path):
    root = tmp_path / "adapters"
    final, sha = publish(adapter, root)
    assert final.parent == root and sha.startswith(final.name)
    assert verify(final, sha)
    assert (final / "SHA256").read_text().strip() == sha
    assert not list(root.glob(".tmp-*"))


def test_same_weights_publish_to_the_same_folder_changed_weights_elsewhere(adapter, tmp_path):
    root = tmp_path / "adapters"
    first, sha = publish(adapter, root)
    assert publish(adapter, root) == (first, sha)
    (adapter / "adapter_model.safetensors").write_bytes(b"\x09" * 10)
    second, sha2 = publish(adapter, root)
    assert sha2 != sha and second != first and verify(first, sha)


def test_tampering_is_detected_and_a_damaged_copy_is_replaced(adapter, tmp_path):
    root = tmp_path / "adapters"
    final, sha = publish(adapter, root)
    (final / "adapter_model.safetensors").write_bytes(b"garbage")
    assert not verify(final, sha)
    again, sha2 = publish(adapter, root)
    assert again == final and sha2 == sha and verify(final, sha)


def test_digest_depends_on_names_and_contents(adapter):
    before = digest(adapter)
    (adapter / "adapter_config.json").rename(adapter / "renamed.json")
    assert digest(adapter) != before


def test_sweep_removes_leftovers_of_a_crashed_publish(tmp_path):
    root = tmp_path / "adapters"
    (root / ".tmp-dead").mkdir(parents=True)
    (root / ".tmp-dead" / "half").write_bytes(b"x")
    assert sweep(root) == 1 and not list(root.iterdir())
