"""The OpenAI-compatible routes: chat completions and models."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from serve.catalog import ModelCatalog
from serve.chat import ChatService, RequestContext
from serve.errors import ModelNotFound
from serve.responses import FastJSONResponse
from serve.schemas import ChatCompletionRequest

router = APIRouter(prefix="/v1", tags=["openai"])


@router.post("/chat/completions")
async def create_chat_completion(
    body: ChatCompletionRequest,
    request: Request,
    x_session_id: str | None = Header(None, description="Join (or name) this session."),
):
    chat: ChatService = request.app.state.chat
    ctx = RequestContext.now(request.state.request_id, x_session_id)
    if body.stream:
        chunks, session_id = await chat.stream(body, ctx)
        return StreamingResponse(
            chunks,
            media_type="text/event-stream",
            headers={"X-Session-Id": session_id, "Cache-Control": "no-cache"},
        )
    result, session_id = await chat.complete(body, ctx)
    return FastJSONResponse(result, headers={"X-Session-Id": session_id})


@router.get("/models")
async def list_models(request: Request):
    catalog: ModelCatalog = request.app.state.catalog
    return FastJSONResponse({"object": "list", "data": catalog.cards()})


@router.get("/models/{model}")
async def retrieve_model(model: str, request: Request):
    catalog: ModelCatalog = request.app.state.catalog
    for card in catalog.cards():
        if card["id"] == model:
            return FastJSONResponse(card)
    raise ModelNotFound(model)
