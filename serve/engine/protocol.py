"""vLLM's OpenAI server as Lucid uses it: its routes, and what its error answers mean.

Every URL path and every error text of vLLM is here and nowhere else; the async client (the API),
the sync client (launcher, worker) and the generator (dream) build on it, and the rest of Lucid
sees typed errors only.
"""

from __future__ import annotations

import orjson

from serve.api.errors import (
    AdapterAlreadyLoaded,
    AdapterNotLoaded,
    APIError,
    ContextLengthExceeded,
    EngineError,
    InvalidRequest,
    ModelNotFound,
)

CHAT_PATH = "/v1/chat/completions"
HEALTH_PATH = "/health"
LOAD_ADAPTER_PATH = "/v1/load_lora_adapter"
UNLOAD_ADAPTER_PATH = "/v1/unload_lora_adapter"
ADMIN_TIMEOUT_S = 120  # loading an adapter reads its files; generous on a busy machine

# Substrings of vLLM's error messages (lower-cased) and what they mean.
CONTEXT_MARKERS = ("maximum context length",)
ALREADY_LOADED_MARKERS = ("already been loaded", "already loaded")
NOT_LOADED_MARKERS = ("cannot be found", "not found")


def engine_root(url: str) -> str:
    """`http://host:8100/v1/` and `http://host:8100` alike -> `http://host:8100`."""
    return url.rstrip("/").removesuffix("/v1")


def _message(status: int, body: bytes) -> tuple[str, str | None]:
    try:
        parsed = orjson.loads(body)
        err = parsed.get("error", parsed) if isinstance(parsed, dict) else {}
        if not isinstance(err, dict):  # {"error": "upstream timed out"}
            err = {"message": str(err)}
        message = str(err.get("message") or body[:500].decode(errors="replace"))
        param = err.get("param")
    except orjson.JSONDecodeError:
        message, param = body[:500].decode(errors="replace") or f"engine answered {status}", None
    return message, param if isinstance(param, str) else None


def engine_error(status: int, body: bytes, model: str | None = None) -> APIError:
    """Map an error answer of vLLM's chat route to the API's error, keeping its message."""
    message, param = _message(status, body)
    if status == 404 and model is not None:
        return ModelNotFound(model)
    if 400 <= status < 500:
        if any(marker in message.lower() for marker in CONTEXT_MARKERS):
            return ContextLengthExceeded(message)
        return InvalidRequest(message, param=param)
    return EngineError(f"The engine failed: {message}")


def adapter_error(route: str, name: str, status: int, body: bytes) -> APIError:
    """Map an error answer of vLLM's LoRA load or unload route to a typed error."""
    message, param = _message(status, body)
    lowered = message.lower()
    if route == LOAD_ADAPTER_PATH and any(m in lowered for m in ALREADY_LOADED_MARKERS):
        return AdapterAlreadyLoaded(name)
    if route == UNLOAD_ADAPTER_PATH and (status == 404 or
                                         any(m in lowered for m in NOT_LOADED_MARKERS)):
        return AdapterNotLoaded(name)
    if 400 <= status < 500:
        return InvalidRequest(message, param=param)
    return EngineError(f"The engine failed: {message}")
