"""The one place errors become responses: `APIError`s, FastAPI's validation errors (never its 422
`{"detail": ...}`), Starlette's 404/405s and anything unexpected (a 500 without a stack trace) all
leave in OpenAI's error format, counted in `lucid_api_errors_total`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from serve.api.errors import APIError, InvalidRequest, error_body, error_response
from serve.api.responses import FastJSONResponse
from serve.observe.metrics import count_error

log = logging.getLogger(__name__)


def _param_from_loc(loc: tuple[Any, ...]) -> str | None:
    """('body', 'messages', 0, 'role') -> 'messages[0].role'."""
    parts = [p for p in loc if p not in ("body", "query", "path", "header")]
    # pydantic names the union branch it tried (e.g. 'str', 'list[...]'); that is not a parameter.
    parts = [p for p in parts if not (isinstance(p, str) and ("[" in p or p in {"str", "int"}))]
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or None


def validation_error(exc: RequestValidationError) -> APIError:
    errors = exc.errors()
    if not errors:
        return InvalidRequest("Invalid request.")
    first = errors[0]
    kind = first.get("type", "")
    if kind == "json_invalid":
        return InvalidRequest("The request body is not valid JSON.", code="invalid_json")
    if tuple(first.get("loc", ())) == ("body",):
        if kind == "missing":
            return InvalidRequest("The request needs a JSON object body.", code="invalid_body")
        return InvalidRequest("The request body must be a JSON object.", code="invalid_body")
    param = _param_from_loc(tuple(first.get("loc", ())))
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "missing":
        return InvalidRequest(f"Missing required parameter: '{param}'.", param=param,
                              code="missing_required_parameter")
    if kind == "extra_forbidden":
        return InvalidRequest(f"Unrecognized request argument supplied: {param}", param=param,
                              code="unknown_parameter")
    return InvalidRequest(f"Invalid value for '{param}': {msg}", param=param, code="invalid_value")


def _allowed_methods(request: Request) -> set[str]:
    allowed: set[str] = set()
    for route in request.app.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            allowed |= set(getattr(route, "methods", None) or ())
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> FastJSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> FastJSONResponse:
        return error_response(validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> FastJSONResponse:
        kind = {401: "authentication_error", 403: "permission_error", 404: "not_found_error",
                405: "invalid_request_error"}.get(exc.status_code, "invalid_request_error")
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = f"Unknown route: {request.method} {request.url.path}"
        count_error(kind, None)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # every method the path has, not only its first route's
            headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
        return FastJSONResponse(error_body(message, kind, None, None), status_code=exc.status_code,
                              headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> FastJSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        count_error("server_error", None)
        # Answered by Starlette's outermost layer, past the request-id middleware: add it here,
        # so that the client can quote the id the log line carries.
        request_id = getattr(request.state, "request_id", None)
        return FastJSONResponse(
            error_body("The server had an error while processing your request.", "server_error",
                       None, None),
            status_code=500, headers={"X-Request-Id": request_id} if request_id else None,
        )
