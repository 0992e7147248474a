"""OPSDConfig rejects out-of-range values by field name and round-trips through JSON."""

import json

import pytest

from distill.config import CONFIG_NAME, DEFAULT_TARGET_MODULES, OPSDConfig


@pytest.mark.parametrize("field, value", [
    ("beta", -0.1), ("beta", 1.01),
    ("top_k", 0), ("top_k", -3),
    ("clip", 0.0), ("clip", -1.0),
    ("lora_r", 0),
    ("lora_alpha", 0),
    ("lora_dropout", 1.0), ("lora_dropout", -0.1),
    ("target_modules", []), ("target_modules", "q_proj"),
    ("target_modules", ["q_proj", "lm_head"]), ("target_modules", ["embed_tokens"]),
    ("learning_rate", 0.0),
    ("steps", 0),
    ("batch_size", 0),
    ("max_new_tokens", 0),
    ("sample_temperature", 0.0),
    ("teacher", "student"),
    ("teacher_mix", 1.5), ("teacher_mix", -0.1),
    ("verify_teacher", "yes"), ("verify_teacher", 1),
    ("reuse_teacher_answers", "no"),
    ("epochs", 101.0),
    ("seed", -1),
    ("max_grad_norm", 0.0),
    ("dtype", "float16"),
    ("device", "not-a-device"),
])
def test_bad_value_raises_naming_the_field(field, value):
    with pytest.raises(ValueError, match=rf"OPSDConfig\.{field}\b"):
        OPSDConfig(**{field: value})


def test_defaults_are_valid_and_production_sized():
    c = OPSDConfig()
    assert c.beta == 0.0 and c.top_k is None and c.clip is None
    assert (c.lora_r, c.lora_alpha, c.steps, c.batch_size) == (16, 32, 30, 8)
    assert c.target_modules == list(DEFAULT_TARGET_MODULES)
    assert c.teacher == "base" and c.dtype == "float32" and c.device == "auto"


def test_edges_and_optional_values_are_accepted():
    OPSDConfig(beta=0.0, top_k=1, clip=0.5, max_grad_norm=None, lora_dropout=0.0)
    OPSDConfig(beta=1.0, teacher="frozen_current", dtype="bfloat16", device="cpu")


def test_round_trip_through_dict_and_json():
    c = OPSDConfig(beta=0.25, top_k=64, clip=5.0, steps=3, target_modules=["q_proj", "v_proj"])
    assert OPSDConfig.from_dict(c.to_dict()) == c
    assert OPSDConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_unknown_key_is_rejected():
    data = OPSDConfig().to_dict() | {"learning_rat": 1e-4}
    with pytest.raises(ValueError, match="learning_rat"):
        OPSDConfig.from_dict(data)


def test_from_dict_checks_values_too():
    with pytest.raises(ValueError, match=r"OPSDConfig\.beta"):
        OPSDConfig.from_dict({"beta": 2.0})


def test_save_writes_json_that_loads_back(tmp_path):
    c = OPSDConfig(beta=0.1, steps=7)
    path = c.save(tmp_path / "adapter")
    assert path == tmp_path / "adapter" / CONFIG_NAME
    assert json.loads(path.read_text())["steps"] == 7
    assert OPSDConfig.load(tmp_path / "adapter") == c


def test_steps_grow_with_the_practice_set_up_to_the_cap():
    c = OPSDConfig(steps=30, epochs=2.0, batch_size=8, max_steps=100)
    assert c.total_steps(40) == 30  # 2 passes over 40 prompts is 10 steps: the floor holds
    assert c.total_steps(200) == 50
    assert c.total_steps(10_000) == 100
    assert OPSDConfig(epochs=0, steps=7).total_steps(10_000) == 7
    with pytest.raises(ValueError, match="max_steps"):
        OPSDConfig(steps=30, max_steps=10)
