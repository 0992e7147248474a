"""Settings fail fast on nonsense and derive the model's identity."""

import pytest
from pydantic import ValidationError

from serve.config.settings import Settings


def test_defaults_point_at_the_bundled_model(tmp_path):
    s = Settings(var_dir=tmp_path)
    assert s.model_path == str((tmp_path / "models" / "SmolLM2-135M-Instruct").resolve())
    assert s.base_model_id == "SmolLM2-135M-Instruct"


def test_any_hf_folder_or_hub_id_can_be_served(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    assert Settings(model=str(folder)).base_model_id == "my-model"
    assert Settings(model="org/some-llm").base_model_id == "some-llm"
    assert Settings(model="org/some-llm", model_name="prod").base_model_id == "prod"


@pytest.mark.parametrize("env", [
    {"LUCID_PORT": "0"}, {"LUCID_PORT": "http"}, {"DATABASE_URL": "mysql://x"},
    {"LUCID_ENGINE_DTYPE": "int3"}, {"LUCID_MODEL": "/no/such/folder"},
])
def test_nonsense_fails_at_start(monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        Settings()


def test_database_url_from_plain_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://h/db")
    assert Settings().database_url == "postgresql://h/db"


def test_urls_with_other_environment_names_can_also_be_given_by_field_name(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://from-env:6379/0")
    assert Settings().broker_url == "redis://from-env:6379/0"
    given = Settings(broker_url="redis://given:6379/1", database_url="postgresql://h/given")
    assert (given.broker_url, given.database_url) == ("redis://given:6379/1",
                                                      "postgresql://h/given")
