"""A recording fake of the *engine* (and only the engine), for fast route tests.

It answers like vLLM's OpenAI server: the reply echoes the last user message word by word.
Every test that uses it has a sibling in test_chat.py that runs the real vLLM.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson

from serve.api.errors import (
    AdapterAlreadyLoaded,
    AdapterNotLoaded,
    EngineUnavailable,
    InvalidRequest,
)


def _usage(words: list[str]) -> dict[str, int]:
    return {"prompt_tokens": 7, "completion_tokens": len(words), "total_tokens": 7 + len(words)}


class FakeStream:
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks
        self.closed = False

    async def events(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield orjson.dumps(chunk)

    async def aclose(self) -> None:
        self.closed = True


class FakeEngine:
    def __init__(self) -> None:
        self.up = True
        self.payloads: list[dict[str, Any]] = []
        self.loaded: dict[str, str] = {}  # adapter name -> path
        self.refuse: set[str] = set()  # adapter paths the engine will not load

    def _reply(self, payload: dict[str, Any]) -> list[str]:
        if not self.up:
            raise EngineUnavailable()
        self.payloads.append(payload)
        last = payload["messages"][-1]["content"]
        return ["echo:", *[f" {w}" for w in str(last).split()]]

    async def chat(self, payload: dict[str, Any]) -> dict[str, Any]:
        words = self._reply(payload)
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
            "created": int(time.time()),
            "model": payload["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(words)},
                         "finish_reason": "stop"}],
            "usage": _usage(words),
        }

    async def open_stream(self, payload: dict[str, Any]) -> FakeStream:
        words = self._reply(payload)
        base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
                "created": 0, "model": payload["model"]}
        chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                        "finish_reason": None}]}]
        chunks += [
            {**base, "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}
            for w in words
        ]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        chunks.append({**base, "choices": [], "usage": _usage(words)})
        self.last_stream = FakeStream(chunks)
        return self.last_stream

    async def healthy(self) -> bool:
        return self.up

    async def load_adapter(self, name: str, path: str) -> None:
        if not self.up:
            raise EngineUnavailable()
        if path in self.refuse:
            raise InvalidRequest(f"Invalid LoRA adapter at {path}")
        if name in self.loaded:
            raise AdapterAlreadyLoaded(name)
        self.loaded[name] = path

    async def unload_adapter(self, name: str) -> None:
        if name not in self.loaded:
            raise AdapterNotLoaded(name)
        del self.loaded[name]

    async def aclose(self) -> None:
        pass
