"""`GET /health`: 200 only while the engine answers, else 503 with `Retry-After`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from serve.api.errors import EngineUnavailable
from serve.api.responses import FastJSONResponse
from serve.engine.client import Engine

router = APIRouter(tags=["health"])


@router.get("/health")
async def health(request: Request):
    engine: Engine = request.app.state.engine
    if not await engine.healthy():
        raise EngineUnavailable("The engine is not answering.")
    return FastJSONResponse({"status": "ok"})
