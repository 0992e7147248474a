"""Every error the API answers with, and its OpenAI error body.

Each `APIError` carries OpenAI's status, type and code; `serve.app.error_handlers` turns them (and
FastAPI's validation errors) into `{"error": {"message", "type", "param", "code"}}`, and plain ASGI
middleware sends them with `send_error`. Every error response is counted in
`lucid_api_errors_total` (serve/observe/metrics.py) by type and code.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from serve.api.responses import FastJSONResponse
from serve.observe.metrics import count_error

IDEMPOTENCY_HEADER = "Idempotency-Key"


class APIError(Exception):
    """An error a client caused or must know about, with its OpenAI status, type and code."""

    status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code
        self.headers = headers or {}


# 400: the request itself is wrong.

class InvalidRequest(APIError):
    status = 400


class ContextLengthExceeded(InvalidRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message, param="messages", code="context_length_exceeded")


class RequestTooLarge(InvalidRequest):
    def __init__(self, message: str) -> None:
        super().__init__(message, param="messages", code="request_too_large")


class NulInUrl(InvalidRequest):
    def __init__(self) -> None:
        super().__init__("The URL holds a NUL character (%00), which no path or parameter can "
                         "contain.", code="invalid_url")


class IdempotencyKeyReused(InvalidRequest):
    def __init__(self) -> None:
        super().__init__(f"This {IDEMPOTENCY_HEADER} was used with a different request; use a "
                         "new key.", param=IDEMPOTENCY_HEADER, code="idempotency_key_reused")


class AdapterAlreadyLoaded(InvalidRequest):
    """The engine has an adapter under this name already. Names are fresh per version, so the
    weights are the ones asked for (another replica loaded them): callers treat it as success."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Adapter {name} is already loaded.", param="lora_name",
                         code="adapter_already_loaded")


class AdapterInvalid(InvalidRequest):
    """A version that fails its checks before loading (checksum, base model, rank)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Adapter {name} cannot be served: {reason}.", param="version",
                         code="adapter_invalid")


class AdapterRefused(InvalidRequest):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"The engine refused adapter {name}: {reason}. Nothing was changed.",
                         param="version", code="adapter_refused")


# 401 and 403: who is asking.

class Unauthorized(APIError):
    status = 401

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(APIError):
    status = 403

    def __init__(self, message: str) -> None:
        super().__init__(message, code="insufficient_scope")


# 404: what was named does not exist (or belongs to another tenant).

class NotFound(APIError):
    status = 404

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message, param=param, code=code or "not_found")


class ModelNotFound(NotFound):
    def __init__(self, model: str) -> None:
        super().__init__(
            f"The model `{model}` does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )


class AdapterNotLoaded(NotFound):
    """The engine has no adapter under this name (never loaded, or unloaded already)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Adapter {name} is not loaded.", param="lora_name",
                         code="adapter_not_loaded")


# 409: the request conflicts with the state it meets.

class RegistryConflict(APIError):
    status = 409

    def __init__(self, message: str) -> None:
        super().__init__(message, code="conflict")


class IdempotencyInProgress(APIError):
    status = 409
    type = "conflict"

    def __init__(self) -> None:
        super().__init__(f"A request with this {IDEMPOTENCY_HEADER} is still running; retry "
                         "shortly.", param=IDEMPOTENCY_HEADER, code="idempotency_in_progress",
                         headers={"Retry-After": "1"})


# 413 and 429: too much.

class RequestBodyTooLarge(APIError):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(f"The request body is larger than {limit} bytes.",
                         code="request_too_large")


class RateLimited(APIError):
    status = 429

    def __init__(self, what: str, limit: int, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"Rate limit reached for this API key: {limit} {what} per minute. "
                         f"Retry after {seconds} s.", code="rate_limit_exceeded",
                         headers={"Retry-After": str(seconds)})
        self.type = "tokens" if what == "tokens" else "requests"  # OpenAI's types for 429s


# 502 and 503: not the client's fault.

class EngineError(APIError):
    """The engine failed on a request it accepted."""

    status = 502
    type = "server_error"


class ServiceUnavailable(APIError):
    """Something this request needs is away for now: 503, and `Retry-After` says when to retry."""

    status = 503
    type = "service_unavailable"

    def __init__(self, message: str, code: str, retry_after: int = 5,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, code=code,
                         headers={"Retry-After": str(retry_after), **(headers or {})})


class EngineUnavailable(ServiceUnavailable):
    def __init__(self, message: str = "The engine is not ready; retry shortly.",
                 retry_after: int = 5) -> None:
        super().__init__(message, "engine_unavailable", retry_after)


class KeysUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("API keys cannot be checked right now (the database is unavailable); "
                         "retry shortly.", "keys_unavailable")


class SessionLogUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("The session log is unavailable; the turn was not stored. Retry "
                         "shortly.", "session_log_unavailable")


class BrokerUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("The task broker is unavailable; the run was not started.",
                         "broker_unavailable", retry_after=10)


class ShuttingDown(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__("This replica is shutting down; retry shortly.", "shutting_down",
                         headers={"Connection": "close"})


def error_body(message: str, type_: str, param: str | None, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


async def send_error(send: Any, exc: APIError) -> None:
    """Answer with `exc` from plain ASGI middleware (before any route runs), counted."""
    count_error(exc.type, exc.code)
    body = orjson.dumps(error_body(exc.message, exc.type, exc.param, exc.code))
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), str(v).encode()) for k, v in (exc.headers or {}).items()]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def error_response(exc: APIError) -> FastJSONResponse:
    count_error(exc.type, exc.code)
    return FastJSONResponse(
        error_body(exc.message, exc.type, exc.param, exc.code),
        status_code=exc.status,
        headers=exc.headers,
    )
