"""The chat-completions request as Lucid accepts it: OpenAI's parameters, validated up front.

Unknown extra parameters are accepted and ignored (clients such as LangChain and LiteLLM send a
few); only the parameters below reach the engine.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_MESSAGES_PER_REQUEST = 2048
MAX_STOP_SEQUENCES = 4
MAX_METADATA_PAIRS = 16
SESSION_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"

Role = Literal["system", "developer", "user", "assistant", "tool"]


class TextPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: Literal["text"]
    text: str


class Message(BaseModel):
    # What `_content_unless_tool_call` enforces, said in the schema too: content is required,
    # except on an assistant message that carries tool_calls.
    model_config = ConfigDict(extra="allow", json_schema_extra={"anyOf": [
        {"required": ["content"], "properties": {"content": {"not": {"type": "null"}}}},
        {"required": ["role", "tool_calls"], "properties": {
            "role": {"const": "assistant"}, "tool_calls": {"type": "array", "minItems": 1}}},
    ]})
    role: Role
    content: str | list[TextPart] | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _content_unless_tool_call(self) -> Message:
        extra = self.model_extra or {}
        if self.content is None and not (self.role == "assistant" and extra.get("tool_calls")):
            raise ValueError("content is required")
        return self

    def text(self) -> str:
        """The message's text, parts joined."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    model: str = Field(min_length=1)
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES_PER_REQUEST)]
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = Field(None, ge=1, le=1, description="Only n=1 is supported.")
    presence_penalty: float | None = Field(None, ge=-2, le=2)
    frequency_penalty: float | None = Field(None, ge=-2, le=2)
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=20)
    response_format: dict[str, Any] | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    user: str | None = Field(None, max_length=256)
    metadata: dict[str, str | int | float | bool] | None = None

    @field_validator("messages", mode="before")
    @classmethod
    def _non_empty(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("messages must contain at least one message")
        return value

    @field_validator("stop")
    @classmethod
    def _stop_limit(cls, value: str | list[str] | None) -> str | list[str] | None:
        if isinstance(value, list) and len(value) > MAX_STOP_SEQUENCES:
            raise ValueError(f"at most {MAX_STOP_SEQUENCES} stop sequences")
        return value

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(value) > MAX_METADATA_PAIRS:
            raise ValueError(f"at most {MAX_METADATA_PAIRS} key-value pairs")
        for key, item in value.items():
            if len(key) > 64 or (isinstance(item, str) and len(item) > 512):
                raise ValueError("keys are at most 64 characters, values at most 512")
        return value

    # Fields forwarded to the engine as the client sent them; `model` and streaming are set apart.
    ENGINE_FIELDS: ClassVar[tuple[str, ...]] = (
        "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "seed",
        "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs",
        "response_format",
    )

    def engine_payload(self, engine_model: str,
                       default_max_tokens: int | None = None) -> dict[str, Any]:
        """The body sent to vLLM. Usage is always requested so that every turn logs its tokens;
        a request that names no token limit gets `default_max_tokens` (the server's cap)."""
        payload = self.model_dump(include=set(self.ENGINE_FIELDS), exclude_none=True)
        payload["model"] = engine_model
        if default_max_tokens is not None and self.max_tokens is None \
                and self.max_completion_tokens is None:
            payload["max_tokens"] = default_max_tokens
        payload["stream"] = self.stream
        if self.stream:
            payload["stream_options"] = {"include_usage": True}
        return payload

    def logged_params(self) -> dict[str, Any]:
        """Sampling parameters worth keeping with the turn."""
        keep = set(self.ENGINE_FIELDS) - {"messages"} | {"stream"}
        return self.model_dump(include=keep, exclude_none=True)

    def session_hint(self) -> str | None:
        """A session id the client chose through `metadata.session_id`."""
        value = (self.metadata or {}).get("session_id")
        return str(value) if value is not None else None


MAX_FEEDBACK_CHARS = 4000


class FeedbackRequest(BaseModel):
    """`POST /v1/feedback`: a judgement on one chat completion, by the `id` the client got."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=256,
                    description="The `id` of the chat completion (or of its stream's chunks).")
    rating: Literal[1, -1] = Field(description="+1: a good answer; -1: a bad one.")
    text: str | None = Field(None, max_length=MAX_FEEDBACK_CHARS,
                             description="What was wrong, or the right answer. A down-rated "
                                         "answer with text is learnt from in the next run.")

    @field_validator("text")
    @classmethod
    def _blank_is_none(cls, text: str | None) -> str | None:
        return text.strip() or None if text is not None else None
