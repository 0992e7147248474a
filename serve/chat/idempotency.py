"""`Idempotency-Key` on chat requests: a retried POST gets the first response and logs no turn.

The first request with a key claims it in PostgreSQL before it reaches the engine; its turn and
its response are committed together (`SessionStore.record_turn`). A retry with the same key and
the same request gets that response back (a streamed one is replayed as a stream), marked
`Idempotent-Replayed: true`; the same key with a different request is a 400; a retry while the
first is still running is a 409 with `Retry-After`. A request that fails releases its claim.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import AsyncIterator
from typing import Any

import orjson

from serve.api.errors import IDEMPOTENCY_HEADER, InvalidRequest
from serve.api.schemas import ChatCompletionRequest

KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_ACCEPTABLE = re.compile(KEY_PATTERN)


def check_key(value: str) -> str:
    if not _ACCEPTABLE.match(value):
        raise InvalidRequest(f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters.",
                             param=IDEMPOTENCY_HEADER, code="invalid_idempotency_key")
    return value


def fingerprint(req: ChatCompletionRequest, session_header: str | None) -> bytes:
    """What makes two requests the same request: every parameter, and the session named."""
    body = req.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(orjson.dumps([body, session_header],
                                       option=orjson.OPT_SORT_KEYS)).digest()


def completion_from_stream(first_chunk: dict[str, Any], text: str, finish: str | None,
                           usage: dict[str, Any]) -> dict[str, Any]:
    """The chat.completion a streamed response amounts to, kept to replay it."""
    return {"id": first_chunk.get("id"), "object": "chat.completion",
            "created": first_chunk.get("created"), "model": first_chunk.get("model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": usage or None}


async def replay_stream(completion: dict[str, Any], include_usage: bool) -> AsyncIterator[bytes]:
    """A stored completion as the SSE stream a streaming client expects."""
    choice = (completion.get("choices") or [{}])[0]
    head = {"id": completion.get("id"), "object": "chat.completion.chunk",
            "created": completion.get("created"), "model": completion.get("model")}
    message = choice.get("message") or {}
    events = [
        {**head, "choices": [{"index": 0, "delta": {"role": "assistant",
                                                     "content": message.get("content") or ""},
                              "finish_reason": None}]},
        {**head, "choices": [{"index": 0, "delta": {},
                              "finish_reason": choice.get("finish_reason")}]},
    ]
    if include_usage and completion.get("usage"):
        events.append({**head, "choices": [], "usage": completion["usage"]})
    for event in events:
        yield b"data: " + orjson.dumps(event) + b"\n\n"
    yield b"data: [DONE]\n\n"
