"""OPSDConfig rejects out-of-range values by field name and round-trips through JSON; every config
of a run loads strictly; LearningConfig applies a run's overrides by section."""

import json

import pytest

from distill.config import (
    CONFIG_NAME,
    DEFAULT_TARGET_MODULES,
    GateConfig,
    LearningConfig,
    NightsConfig,
    OPSDConfig,
)
from dream.config import DreamConfig


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
    ("sample_ahead", 0), ("sample_ahead", 65),
    ("check_every", -1), ("check_size", 0),
    ("learned_share", 0.0), ("learned_share", 1.1),
    ("min_fact_share", 0.0), ("min_fact_share", 1.5),
    ("flat_loss", -0.1), ("flat_loss", 1.5),
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
    assert c.beta == 0.0 and c.top_k == 20 and c.clip is None
    assert (c.sample_ahead, c.check_every) == (4, 10)
    assert (c.lora_r, c.lora_alpha, c.steps, c.batch_size) == (16, 32, 30, 8)
    assert c.target_modules == list(DEFAULT_TARGET_MODULES)
    assert c.teacher == "base" and c.dtype == "float32" and c.device == "auto"


def test_edges_and_optional_values_are_accepted():
    OPSDConfig(beta=0.0, top_k=1, clip=0.5, max_grad_norm=None, lora_dropout=0.0)
    OPSDConfig(top_k=None, sample_ahead=1, check_every=0, learned_share=1.0, flat_loss=0.0)
    OPSDConfig(beta=1.0, teacher="frozen_current", dtype="bfloat16", device="cpu")


def test_round_trip_through_dict_and_json():
    c = OPSDConfig(beta=0.25, top_k=64, clip=5.0, steps=3, target_modules=["q_proj", "v_proj"])
    assert OPSDConfig.from_dict(c.to_dict()) == c
    assert OPSDConfig.from_dict(json.loads(json.dumps(c.to_dict()))) == c


def test_unknown_key_is_rejected():
    data = OPSDConfig().to_dict() | {"learning_rat": 1e-4}
    with pytest.raises(ValueError, match="learning_rat"):
        OPSDConfig.from_dict(data)


@pytest.mark.parametrize("config", [OPSDConfig, GateConfig, DreamConfig])
def test_every_config_refuses_unknown_keys_naming_itself_and_them(config):
    data = config().to_dict() | {"zeta": 1, "alpha": 2}
    with pytest.raises(ValueError, match=rf"unknown {config.__name__} fields: \['alpha', 'zeta'\]"):
        config.from_dict(data)


@pytest.mark.parametrize("config, changed", [
    (OPSDConfig, {"beta": 0.5, "target_modules": ["q_proj"]}),
    (GateConfig, {"min_learning_gain": 0.2, "device": "cpu"}),
    (DreamConfig, {"seed": 3}),
])
def test_every_config_round_trips_and_keeps_unnamed_defaults(config, changed):
    loaded = config.from_dict(changed)
    assert loaded == config(**changed)
    assert config.from_dict(json.loads(json.dumps(loaded.to_dict()))) == loaded


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


def test_gate_config_checks_its_margins():
    with pytest.raises(ValueError, match="min_learning_gain"):
        GateConfig.from_dict({"min_learning_gain": -0.1})
    with pytest.raises(ValueError, match="max_new_tokens"):
        GateConfig(max_new_tokens=0)


def test_no_overrides_are_the_defaults_saved_by_section():
    config = LearningConfig.from_overrides({})
    assert config == LearningConfig()
    # The shape stored on every run row and adapter version.
    assert config.to_dict() == {"opsd": OPSDConfig().to_dict(), "dream": DreamConfig().to_dict(),
                                "gate": GateConfig().to_dict(),
                                "nights": NightsConfig().to_dict()}


def test_learning_overrides_apply_and_round_trip():
    config = LearningConfig.from_overrides({"opsd": {"steps": 5, "beta": 0.1},
                                            "dream": {"heldout_fraction": 0.3},
                                            "gate": {"min_learning_gain": 0.2}})
    assert (config.opsd.steps, config.opsd.beta) == (5, 0.1)
    assert config.opsd.lora_r == OPSDConfig().lora_r  # what was not named keeps its default
    assert config.dream.heldout_fraction == 0.3 and config.gate.min_learning_gain == 0.2
    again = LearningConfig.from_overrides(json.loads(json.dumps(config.to_dict())))
    assert again == config


@pytest.mark.parametrize("overrides, match", [
    ({"train": {}}, r"unknown LearningConfig sections: \['train'\]"),
    ({"opsd": {"stepz": 5}}, r"unknown OPSDConfig fields: \['stepz'\]"),
    ({"dream": {"nope": 1}}, r"unknown DreamConfig fields: \['nope'\]"),
    ({"gate": {"nope": 1}}, r"unknown GateConfig fields: \['nope'\]"),
    ({"opsd": {"beta": 2.0}}, r"OPSDConfig\.beta"),
    ({"gate": {"max_regression_drop": 1.5}}, "max_regression_drop"),
])
def test_bad_learning_overrides_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        LearningConfig.from_overrides(overrides)


def test_a_night_trains_from_the_base_model_after_a_correction_or_every_n_nights():
    policy = NightsConfig()
    assert policy.consolidates(retired_earlier=1, stacked=2) == "correction"
    assert policy.consolidates(retired_earlier=0, stacked=30) is None  # stacking by default
    assert policy.consolidates(retired_earlier=1, stacked=0) is None   # nothing serves yet
    weekly = NightsConfig(consolidate_on_correction=False, consolidate_every=7)
    assert weekly.consolidates(1, 6) is None and weekly.consolidates(0, 7) == "every"
    assert LearningConfig.from_overrides({"nights": {"consolidate_every": 7}}).nights == \
        NightsConfig(consolidate_every=7)
    with pytest.raises(ValueError, match="consolidate_every"):
        NightsConfig(consolidate_every=-1)
