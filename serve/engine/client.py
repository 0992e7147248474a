"""The async engine client: how the API talks to the vLLM OpenAI server it fronts.

`VLLMEngine` is the real one. Tests of routes may pass any object with the same methods (a
recording fake); every such test has a sibling against the real vLLM.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import httpx
import orjson

from serve.api.errors import EngineUnavailable
from serve.engine.protocol import (
    ADMIN_TIMEOUT_S,
    CHAT_PATH,
    HEALTH_PATH,
    LOAD_ADAPTER_PATH,
    UNLOAD_ADAPTER_PATH,
    adapter_error,
    engine_error,
    engine_root,
)


class EngineStream(Protocol):
    def events(self) -> AsyncIterator[bytes]:
        """The `data:` payloads of the server-sent events, `[DONE]` excluded."""
        ...

    async def aclose(self) -> None: ...


class Engine(Protocol):
    async def chat(self, payload: dict[str, Any]) -> dict[str, Any]: ...
    async def open_stream(self, payload: dict[str, Any]) -> EngineStream: ...
    async def healthy(self) -> bool: ...
    async def load_adapter(self, name: str, path: str) -> None:
        """Raises AdapterAlreadyLoaded when the engine has `name` already."""
    async def unload_adapter(self, name: str) -> None:
        """Raises AdapterNotLoaded when the engine does not have `name`."""
    async def aclose(self) -> None: ...


class _HTTPStream:
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    async def events(self) -> AsyncIterator[bytes]:
        async for line in self._response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                return
            yield data.encode()

    async def aclose(self) -> None:
        await self._response.aclose()


class VLLMEngine:
    """A vLLM OpenAI-compatible server at `base_url`, with runtime LoRA updating enabled."""

    def __init__(self, base_url: str, timeout_s: float = 600) -> None:
        self.base_url = engine_root(base_url)
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout_s, connect=5),
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=64),
        )

    async def chat(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self._client.post(
                CHAT_PATH, content=orjson.dumps(payload),
                headers={"content-type": "application/json"},
            )
        except httpx.TransportError as exc:
            raise EngineUnavailable() from exc
        if response.status_code != 200:
            raise engine_error(response.status_code, response.content, payload.get("model"))
        return orjson.loads(response.content)

    async def open_stream(self, payload: dict[str, Any]) -> EngineStream:
        request = self._client.build_request(
            "POST", CHAT_PATH, content=orjson.dumps(payload),
            headers={"content-type": "application/json"},
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TransportError as exc:
            raise EngineUnavailable() from exc
        if response.status_code != 200:
            body = await response.aread()
            await response.aclose()
            raise engine_error(response.status_code, body, payload.get("model"))
        return _HTTPStream(response)

    async def healthy(self) -> bool:
        try:
            response = await self._client.get(HEALTH_PATH, timeout=2)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def load_adapter(self, name: str, path: str) -> None:
        await self._admin(LOAD_ADAPTER_PATH, name, {"lora_name": name, "lora_path": path})

    async def unload_adapter(self, name: str) -> None:
        await self._admin(UNLOAD_ADAPTER_PATH, name, {"lora_name": name})

    async def _admin(self, route: str, name: str, body: dict[str, Any]) -> None:
        try:
            response = await self._client.post(route, json=body, timeout=ADMIN_TIMEOUT_S)
        except httpx.TransportError as exc:
            raise EngineUnavailable() from exc
        if response.status_code != 200:
            raise adapter_error(route, name, response.status_code, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()
