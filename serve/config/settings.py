"""Deploy-time configuration: one `Settings` object, read once from the environment.

Every field can be set as `LUCID_<FIELD>` (e.g. `LUCID_PORT=9000`); the database URL also as plain
`DATABASE_URL`. Nonsense fails at start-up, not on the first request.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
ALIAS_MODEL = "lucid"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUCID_", extra="ignore", frozen=True,
                                      populate_by_name=True)

    var_dir: Path = Field(Path("var"), description="Runtime data: model, embedded Postgres, logs.")
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("LUCID_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL. Unset: an embedded PostgreSQL under var/pg is started.",
    )
    db_pool_size: int = Field(8, ge=1, le=256, description="Connections in the API's pool.")

    model: str | None = Field(
        None,
        description="HF causal-LM folder or hub id to serve. Unset: bundled SmolLM2 under var/.",
    )
    model_name: str | None = Field(
        None, description="Public id of the base model in /v1/models. Unset: the folder's name."
    )
    engine_url: str | None = Field(
        None, description="URL of a running vLLM OpenAI server. Unset: the launcher starts one."
    )
    engine_port: int = Field(8100, ge=1, le=65535, description="Port of the vLLM it starts.")
    engine_dtype: str = Field("bfloat16", description="vLLM --dtype.")
    max_model_len: int = Field(2048, ge=128, description="Context length (prompt + completion).")
    max_lora_rank: int = Field(16, ge=1, le=512, description="vLLM --max-lora-rank.")
    max_loras: int = Field(2, ge=1, le=64, description="Adapters resident at once in vLLM.")
    kv_cache_gib: int = Field(2, ge=1, description="KV cache size on CPU (VLLM_CPU_KVCACHE_SPACE).")
    engine_start_timeout_s: float = Field(600, gt=0, description="Wait this long for vLLM.")
    engine_timeout_s: float = Field(600, gt=0, description="Longest a chat request may take.")

    broker_url: str | None = Field(
        None,
        validation_alias=AliasChoices("LUCID_BROKER_URL", "CELERY_BROKER_URL"),
        description="Celery broker (Redis). Unset: an embedded Redis under var/redis is started.",
    )
    learn_schedule: str = Field("0 3 * * *", description="Cron for the nightly learning run.")
    timezone: str | None = Field(None, description="Zone of the schedule. Unset: local time.")
    learn_max_sessions: int = Field(500, ge=1, description="Sessions one learning run takes.")
    learn_overrides: dict = Field(
        default_factory=dict,
        description="JSON overrides of OPSDConfig/DreamConfig/GateConfig/NightsConfig fields, "
                    "by section.",
    )

    drain_timeout_s: float = Field(
        30, ge=0, description="On SIGTERM, wait this long for requests in flight (new get 503).")
    max_completion_tokens: int | None = Field(
        None, ge=1, description="Most tokens one answer may have: more asked is a 400, none asked "
                                "gets this many. Unset: the context length is the only limit.")
    max_body_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="Largest request body the API reads (else 413).")
    max_request_chars: int = Field(
        400_000, ge=1, description="Most characters a chat request's messages may hold (else 400).")

    admin_key: str | None = Field(
        None, description="A key (lucid-<12 hex>-<secret>) registered at start for the default "
                          "tenant with the chat and admin scopes, e.g. from a Secret. Unset: "
                          "`make run` creates one on first start and keeps it in var/admin-key.")
    rate_rpm: int | None = Field(
        None, ge=1, description="Requests per minute per key, unless the key sets its own. "
                                "Unset: unlimited.")
    rate_tpm: int | None = Field(
        None, ge=1, description="Tokens (prompt + completion) per minute per key, unless the "
                                "key sets its own. Unset: unlimited.")

    rate_limit_store: str | None = Field(
        None, description="A Redis URL where every API replica counts the rate limits, so N "
                           "replicas let a key through its limits once, not N times (the "
                           "deployment's Redis). Unset: each replica counts in its memory.")

    host: str = Field("127.0.0.1", description="Address the API listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port the API listens on.")
    log_format: Literal["json", "text"] = Field(
        "json", description="API logs: one JSON object per line, or plain text lines.")

    @field_validator("engine_dtype")
    @classmethod
    def _known_dtype(cls, value: str) -> str:
        allowed = {"auto", "bfloat16", "float16", "float32", "half", "float"}
        if value not in allowed:
            raise ValueError(f"engine_dtype must be one of {sorted(allowed)}")
        return value

    @field_validator("learn_schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("learn_schedule must be a 5-field cron expression, e.g. '0 3 * * *'")
        return value

    @field_validator("admin_key")
    @classmethod
    def _key_shape(cls, value: str | None) -> str | None:
        from store.keys import KEY_PATTERN

        if value and not KEY_PATTERN.match(value):
            raise ValueError("LUCID_ADMIN_KEY must read lucid-<12 hex digits>-<20 to 128 of "
                             "A-Z a-z 0-9 _ -> (python -c 'from store.keys import new_key; "
                             "print(new_key()[1])' makes one)")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgres://", "postgresql://")):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value or None

    @model_validator(mode="after")
    def _model_exists_if_local(self) -> Settings:
        if self.model and self.model.startswith((".", "/")) and not Path(self.model).is_dir():
            raise ValueError(f"LUCID_MODEL={self.model!r} is not a folder")
        return self

    @cached_property
    def default_model_dir(self) -> Path:
        return (self.var_dir / "models" / DEFAULT_MODEL_NAME).resolve()

    @cached_property
    def model_path(self) -> str:
        """What vLLM and the trainers load: a folder or a hub id."""
        return self.model or str(self.default_model_dir)

    @cached_property
    def base_model_id(self) -> str:
        """The base model's public id, as clients name it in `model`."""
        return self.model_name or Path(self.model_path.rstrip("/")).name

    @cached_property
    def admin_key_file(self) -> Path:
        """Where `make run` keeps the dev admin key it created (mode 0600)."""
        return self.var_dir / "admin-key"

    @cached_property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @cached_property
    def adapters_dir(self) -> Path:
        """Where published adapter versions live (shared with every API replica and engine)."""
        return (self.var_dir / "adapters").resolve()

    @cached_property
    def schedule_timezone(self) -> str:
        if self.timezone:
            return self.timezone
        local = Path("/etc/localtime")
        if local.is_symlink() and "zoneinfo/" in str(local.resolve()):
            return str(local.resolve()).split("zoneinfo/", 1)[1]
        return "UTC"
