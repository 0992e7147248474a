"""Operator routes under /admin: the session log, the adapter registry, learning runs.

Everything here acts on the caller's tenant only (the key's); another tenant's sessions,
versions, runs and insights answer 404, as if they did not exist.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from serve.adapters.registry import AdapterRegistry
from serve.api.errors import NotFound
from serve.api.responses import FastJSONResponse
from serve.api.schemas import SESSION_ID_PATTERN
from serve.learning.service import RunService
from store.erasure import SessionEraser
from store.sessions import SessionStore
from store.transcripts import transcript

router = APIRouter(prefix="/admin", tags=["admin"])


class NewRun(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dry_run: StrictBool = Field(
        False, description="true: collect, read insights and dream only; store the insights and "
                           "practice for review, train, promote and consume nothing.")


def _tenant(request: Request) -> int:
    return request.state.principal.tenant_id


def _sessions(request: Request) -> SessionStore:
    return request.app.state.sessions.for_tenant(_tenant(request))


def _registry(request: Request) -> AdapterRegistry:
    return request.app.state.registry.for_tenant(_tenant(request))


def _runs(request: Request) -> RunService:
    return request.app.state.runs.for_tenant(_tenant(request))


@router.get("/sessions")
async def list_sessions(
    request: Request,
    limit: int = Query(20, ge=1, le=100),
    after: str | None = Query(None, description="Continue after this session id.",
                              pattern=SESSION_ID_PATTERN),
):
    sessions = _sessions(request)
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
async def get_session(request: Request,
                      session_id: str = Path(..., pattern=SESSION_ID_PATTERN)):
    sessions = _sessions(request)
    found = await sessions.get_session(session_id)
    if found is None:
        raise NotFound(f"No session {session_id!r}.", param="session_id")
    session, turns = found
    return FastJSONResponse({**session, "transcript": transcript(turns), "turns": turns})


@router.delete("/sessions/{session_id}")
async def erase_session(request: Request,
                        session_id: str = Path(..., pattern=SESSION_ID_PATTERN),
                        rollback: bool = Query(
        False, description="If the active version learned from it, roll back at once to the "
                           "newest version that did not.")):
    return await _erase(request, rollback, session=session_id)


@router.delete("/sessions")
async def erase_user(request: Request,
                     user: str = Query(..., min_length=1, max_length=256, pattern=r"^[^\x00]+$"),
                     rollback: bool = Query(False)):
    return await _erase(request, rollback, user=user)


async def _erase(request: Request, rollback: bool, **subject: str) -> FastJSONResponse:
    eraser: SessionEraser = request.app.state.eraser.for_tenant(_tenant(request))
    done = await eraser.erase(**subject)
    if done is None:
        [(kind, value)] = subject.items()
        raise NotFound(f"No sessions of {kind} {value!r}.", param=kind)
    registry = _registry(request)
    state = await registry.restore_untainted("erasure") if rollback else None
    return FastJSONResponse({"object": "erasure", **done, "adapters": state})


@router.get("/adapters")
async def list_adapters(request: Request):
    registry = _registry(request)
    return FastJSONResponse(await registry.overview())


@router.post("/adapters/pin")
async def pin(request: Request):
    registry = _registry(request)
    return FastJSONResponse(await registry.set_pinned(True))


@router.post("/adapters/unpin")
async def unpin(request: Request):
    registry = _registry(request)
    return FastJSONResponse(await registry.set_pinned(False))


@router.post("/adapters/{version}/promote")
async def promote(version: str, request: Request):
    registry = _registry(request)
    return FastJSONResponse(await registry.promote(version))


@router.post("/rollback")
async def rollback(request: Request):
    registry = _registry(request)
    return FastJSONResponse(await registry.rollback())


@router.post("/runs")
async def start_run(request: Request, body: NewRun | None = None):
    runs = _runs(request)
    dry_run = body.dry_run if body is not None else False
    return FastJSONResponse(await runs.start(dry_run=dry_run), status_code=202)


@router.get("/runs")
async def list_runs(request: Request, limit: int = Query(20, ge=1, le=100)):
    runs = _runs(request)
    return FastJSONResponse({"object": "list", "data": await runs.list(limit)})


@router.get("/runs/{run_id}")
async def get_run(run_id: int, request: Request):
    runs = _runs(request)
    return FastJSONResponse(await runs.get(run_id))


@router.get("/runs/{run_id}/insights")
async def list_run_insights(run_id: int, request: Request):
    """What the run derived, session by session: insights and the practice kept for each."""
    runs = _runs(request)
    return FastJSONResponse({"object": "list", "data": await runs.insights(run_id)})


@router.get("/insights")
async def list_insights(
    request: Request,
    status: Literal["quarantined", "active", "rejected", "retired", "deferred"] = Query(
        "quarantined"),
    limit: int = Query(50, ge=1, le=500),
):
    runs = _runs(request)
    return FastJSONResponse({"object": "list", "data": await runs.runs.insights(status, limit)})


@router.post("/insights/{insight_id}/release")
async def release_insight(insight_id: int, request: Request):
    return await _review(request, insight_id, "active")


@router.post("/insights/{insight_id}/reject")
async def reject_insight(insight_id: int, request: Request):
    return await _review(request, insight_id, "rejected")


async def _review(request: Request, insight_id: int, status: str) -> FastJSONResponse:
    runs = _runs(request)
    row = await runs.runs.review_insight(insight_id, status)
    if row is None:
        raise NotFound(f"No quarantined insight {insight_id}.", param="insight_id")
    return FastJSONResponse(row)

