"""The OpenAI-compatible routes: chat completions and models."""

from __future__ import annotations

from fastapi import APIRouter, Header, Request
from fastapi.responses import StreamingResponse

from serve.adapters.catalog import ModelCatalog
from serve.api.errors import ModelNotFound
from serve.api.responses import FastJSONResponse
from serve.api.schemas import SESSION_ID_PATTERN, ChatCompletionRequest
from serve.chat.idempotency import KEY_PATTERN, check_key
from serve.chat.service import ChatService
from serve.chat.turns import TurnContext

router = APIRouter(prefix="/v1", tags=["openai"])


@router.post("/chat/completions")
async def create_chat_completion(
    body: ChatCompletionRequest,
    request: Request,
    # The patterns are checked by check_session_id / check_key (errors naming the header);
    # json_schema_extra only documents them.
    x_session_id: str | None = Header(None, description="Join (or name) this session.",
                                      json_schema_extra={"pattern": SESSION_ID_PATTERN}),
    idempotency_key: str | None = Header(
        None, description="Retries with the same key get the first response; one turn is logged.",
        json_schema_extra={"pattern": KEY_PATTERN}),
):
    chat: ChatService = request.app.state.chat
    request.state.chat = (body.model, body.stream)  # labels of the request counter
    key = check_key(idempotency_key) if idempotency_key is not None else None
    ctx = TurnContext.now(request.state.request_id, x_session_id, request.state.principal, key)
    if body.stream:
        chunks, session_id, replayed = await chat.stream(body, ctx)
        return StreamingResponse(
            chunks,
            media_type="text/event-stream",
            headers={"X-Session-Id": session_id, "Cache-Control": "no-cache",
                     **_replayed(replayed)},
        )
    result, session_id, replayed = await chat.complete(body, ctx)
    return FastJSONResponse(result, headers={"X-Session-Id": session_id, **_replayed(replayed)})


def _replayed(replayed: bool) -> dict[str, str]:
    return {"Idempotent-Replayed": "true"} if replayed else {}


@router.get("/models")
async def list_models(request: Request):
    catalog: ModelCatalog = request.app.state.catalog
    return FastJSONResponse({"object": "list",
                             "data": catalog.cards(request.state.principal.tenant_id)})


@router.get("/models/{model}")
async def retrieve_model(model: str, request: Request):
    catalog: ModelCatalog = request.app.state.catalog
    for card in catalog.cards(request.state.principal.tenant_id):
        if card["id"] == model:
            return FastJSONResponse(card)
    raise ModelNotFound(model)
