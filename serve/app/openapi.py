"""The OpenAPI document the API serves at /openapi.json, made to say what the API does: errors
come in OpenAI's format under any 4xx/5xx status (FastAPI's default lists a 422 the API never
sends), chat completions answer JSON or, when streaming, server-sent events, and the token cap
(`LUCID_MAX_COMPLETION_TOKENS`) shows as the maximum of `max_tokens`, and the routes that need
an API key say so (a bearer `securityScheme`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from serve.trust.auth import needed_scope

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {
        "type": "object",
        "required": ["message", "type"],
        "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                       "param": {"type": ["string", "null"]},
                       "code": {"type": ["string", "null"]}},
    }},
}


def install_openapi(app: FastAPI, max_completion_tokens: int | None = None) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas["Error"] = ERROR_SCHEMA
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        schema["components"]["securitySchemes"] = {"apiKey": {
            "type": "http", "scheme": "bearer",
            "description": "An API key: `chat` scope for /v1, `admin` for /admin."}}
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                if needed_scope(path) is not None:
                    operation["security"] = [{"apiKey": []}]
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = {
                    "description": "An error in OpenAI's format; the status tells which.",
                    "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Error"}}}}
        request = schemas.get("ChatCompletionRequest", {}).get("properties", {})
        for name in ("max_tokens", "max_completion_tokens"):
            if max_completion_tokens is not None and name in request:
                for branch in request[name].get("anyOf", [request[name]]):
                    if branch.get("type") == "integer":
                        branch["maximum"] = max_completion_tokens
        chat = schema.get("paths", {}).get("/v1/chat/completions", {}).get("post")
        if chat:
            chat["responses"]["200"]["content"]["text/event-stream"] = {
                "schema": {"type": "string", "description": "chat.completion.chunk events"}}
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
