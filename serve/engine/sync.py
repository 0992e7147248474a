"""The blocking engine client, for code outside the API's event loop: the launcher waiting for a
vLLM it started, and the learning worker asking whether the engine is up and loading a candidate
adapter before it promotes it. Same routes and typed errors as the async client.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from serve.api.errors import EngineUnavailable
from serve.engine.protocol import (
    ADMIN_TIMEOUT_S,
    HEALTH_PATH,
    LOAD_ADAPTER_PATH,
    UNLOAD_ADAPTER_PATH,
    adapter_error,
    engine_root,
)

HEALTH_TIMEOUT_S = 3.0


class SyncEngine:
    """A vLLM OpenAI server at `base_url`, spoken to with blocking calls."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = engine_root(base_url)
        self._client = httpx.Client(base_url=self.base_url, transport=transport,
                                    timeout=httpx.Timeout(ADMIN_TIMEOUT_S, connect=5))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def healthy(self) -> bool:
        """True when the engine answers its health check now."""
        try:
            return self._client.get(HEALTH_PATH, timeout=HEALTH_TIMEOUT_S).status_code == 200
        except httpx.TransportError:
            return False

    def wait_healthy(self, timeout_s: float, gave_up: Callable[[], str | None] = lambda: None,
                     poll_s: float = 0.5) -> None:
        """Block until healthy. `gave_up()` returning a reason (the process died) stops the wait
        at once; either way a RuntimeError says why."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if (reason := gave_up()) is not None:
                raise RuntimeError(reason)
            if self.healthy():
                return
            time.sleep(poll_s)
        raise RuntimeError(f"the engine at {self.base_url} is not ready after {timeout_s:.0f} s")

    def load_adapter(self, name: str, path: str) -> None:
        """Raises AdapterAlreadyLoaded when the engine has `name` already."""
        self._admin(LOAD_ADAPTER_PATH, name, {"lora_name": name, "lora_path": path})

    def unload_adapter(self, name: str) -> None:
        """Raises AdapterNotLoaded when the engine does not have `name`."""
        self._admin(UNLOAD_ADAPTER_PATH, name, {"lora_name": name})

    def _admin(self, route: str, name: str, body: dict) -> None:
        try:
            response = self._client.post(route, json=body)
        except httpx.TransportError as exc:
            raise EngineUnavailable() from exc
        if response.status_code != 200:
            raise adapter_error(route, name, response.status_code, response.content)
