"""Operator routes under /admin: the session log, the adapter registry, learning runs."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from serve.errors import NotFound
from serve.registry import AdapterRegistry
from serve.responses import FastJSONResponse
from serve.runs import RunService
from serve.transcripts import transcript
from store.sessions import SessionStore

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/sessions")
async def list_sessions(
    request: Request,
    limit: int = Query(20, ge=1, le=100),
    after: str | None = Query(None, description="Continue after this session id."),
):
    sessions: SessionStore = request.app.state.sessions
    if after is not None and not await sessions.session_exists(after):
        raise NotFound(f"No session {after!r}.", param="after")
    rows, has_more = await sessions.list_sessions(limit, after)
    return FastJSONResponse({
        "object": "list",
        "data": rows,
        "first_id": rows[0]["id"] if rows else None,
        "last_id": rows[-1]["id"] if rows else None,
        "has_more": has_more,
    })


@router.get("/sessions/{session_id}")
async def get_session(session_id: str, request: Request):
    sessions: SessionStore = request.app.state.sessions
    found = await sessions.get_session(session_id)
    if found is None:
        raise NotFound(f"No session {session_id!r}.", param="session_id")
    session, turns = found
    return FastJSONResponse({**session, "transcript": transcript(turns), "turns": turns})


@router.get("/adapters")
async def list_adapters(request: Request):
    registry: AdapterRegistry = request.app.state.registry
    return FastJSONResponse(await registry.overview())


@router.post("/adapters/pin")
async def pin(request: Request):
    registry: AdapterRegistry = request.app.state.registry
    return FastJSONResponse(await registry.set_pinned(True))


@router.post("/adapters/unpin")
async def unpin(request: Request):
    registry: AdapterRegistry = request.app.state.registry
    return FastJSONResponse(await registry.set_pinned(False))


@router.post("/adapters/{version}/promote")
async def promote(version: str, request: Request):
    registry: AdapterRegistry = request.app.state.registry
    return FastJSONResponse(await registry.promote(version))


@router.post("/rollback")
async def rollback(request: Request):
    registry: AdapterRegistry = request.app.state.registry
    return FastJSONResponse(await registry.rollback())


@router.post("/runs")
async def start_run(request: Request):
    runs: RunService = request.app.state.runs
    return FastJSONResponse(await runs.start(), status_code=202)


@router.get("/runs")
async def list_runs(request: Request, limit: int = Query(20, ge=1, le=100)):
    runs: RunService = request.app.state.runs
    return FastJSONResponse({"object": "list", "data": await runs.list(limit)})


@router.get("/runs/{run_id}")
async def get_run(run_id: int, request: Request):
    runs: RunService = request.app.state.runs
    return FastJSONResponse(await runs.get(run_id))
