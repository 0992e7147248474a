"""`POST /v1/feedback`: a rating and optional text on a chat completion of the caller's tenant.

Official OpenAI clients have no call for it (the README shows it with httpx and curl). The next
learning run reads it with its session (`serve.learning.stages.collect`).
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from serve.api.errors import NotFound
from serve.api.responses import FastJSONResponse
from serve.api.schemas import FeedbackRequest
from store.feedback import FeedbackStore

router = APIRouter(prefix="/v1", tags=["feedback"])


@router.post("/feedback")
async def create_feedback(body: FeedbackRequest, request: Request):
    store: FeedbackStore = request.app.state.feedback.for_tenant(
        request.state.principal.tenant_id)
    row = await store.add(body.id, body.rating, body.text)
    if row is None:
        raise NotFound(f"No chat completion with id {body.id!r}.", param="id")
    return FastJSONResponse({
        "id": f"fb_{row['id']}", "object": "feedback", "completion_id": body.id,
        "rating": row["rating"], "text": row["text"], "session_id": row["session_id"],
        "turn": row["seq"], "created_at": int(row["created_at"].timestamp())})
