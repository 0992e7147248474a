"""DreamConfig's range checks, and the strict loader every config of a run shares."""

import pytest

from dream.config import DreamConfig, refuse_unknown


def test_defaults_are_valid_and_frozen():
    config = DreamConfig()
    assert 0 < config.heldout_fraction < 1
    assert config.teacher_samples >= 2  # agreement needs more than one sample
    with pytest.raises(AttributeError):
        config.seed = 3  # type: ignore[misc]


@pytest.mark.parametrize(("field", "value", "error"), [
    ("teacher_samples", 0, ValueError),
    ("teacher_samples", 17, ValueError),
    ("agreement_threshold", 1.5, ValueError),
    ("heldout_fraction", 0.95, ValueError),
    ("teacher_temperature", -0.1, ValueError),
    ("paraphrases", 1.5, TypeError),
    ("tasks", True, TypeError),
    ("seed", "7", TypeError),
    ("max_prompt_chars", 10, ValueError),
])
def test_out_of_range_fields_are_rejected(field, value, error):
    with pytest.raises(error):
        DreamConfig(**{field: value})


def test_floats_accept_ints():
    assert DreamConfig(agreement_threshold=1, replay_fraction=0).agreement_threshold == 1


def test_round_trip_and_unknown_keys():
    config = DreamConfig(seed=9, teacher_samples=3)
    assert DreamConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="nope"):
        DreamConfig.from_dict({"nope": 1})


def test_unknown_keys_are_refused_naming_the_config_and_every_key():
    with pytest.raises(ValueError, match=r"unknown DreamConfig fields: \['nope', 'seeed'\]"):
        DreamConfig.from_dict({"seed": 1, "seeed": 2, "nope": 3})


def test_from_dict_keeps_the_defaults_it_is_not_given_and_checks_ranges():
    assert DreamConfig.from_dict({"seed": 4}) == DreamConfig(seed=4)
    assert DreamConfig.from_dict({}) == DreamConfig()
    with pytest.raises(ValueError, match="teacher_samples"):
        DreamConfig.from_dict({"teacher_samples": 0})


def test_refuse_unknown_says_what_the_keys_were_meant_to_be():
    refuse_unknown(DreamConfig, {"seed": 1, "tasks": 0})  # every key known: nothing to say
    with pytest.raises(ValueError, match=r"unknown DreamConfig sections: \['night'\]"):
        refuse_unknown(DreamConfig, {"seed": {}, "night": {}}, "sections")
