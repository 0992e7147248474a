"""A chat turn as the service sees it: the request's context from arrival (`TurnContext`), and
the turn under way once its model and session are known (`PendingTurn`), which becomes the
`TurnRecord` the session log keeps when the answer is complete, cut short or failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from serve.adapters.catalog import Served
from serve.api.schemas import ChatCompletionRequest
from serve.chat.conversations import turn_digest
from store.keys import Principal
from store.sessions import TurnRecord


@dataclass(frozen=True)
class TurnContext:
    """What a chat request brings besides its body: its id, the session it names, who sent it,
    its Idempotency-Key, and when it arrived (latency and time-to-first-token count from here)."""

    request_id: str
    session_header: str | None
    started: float  # perf_counter() at arrival
    started_at: datetime
    principal: Principal
    idempotency_key: str | None = None

    @classmethod
    def now(cls, request_id: str, session_header: str | None, principal: Principal,
            idempotency_key: str | None = None) -> TurnContext:
        return cls(request_id, session_header, time.perf_counter(), datetime.now(UTC),
                   principal, idempotency_key)

    @property
    def tenant_id(self) -> int:
        return self.principal.tenant_id

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000


def wants_learning(req: ChatCompletionRequest, principal: Principal) -> bool:
    """Unless the request, its key or its tenant opted out."""
    return principal.learn and \
        (req.metadata or {}).get("learn") not in (False, "false", "False", "0", 0)


@dataclass(frozen=True)
class PendingTurn:
    """A turn whose answer is on its way: the request, its context, the model serving it and
    the session it belongs to."""

    req: ChatCompletionRequest
    ctx: TurnContext
    served: Served
    session_id: str

    def as_record(self, text: str, finish: str | None, usage: dict[str, Any], status: str,
                  latency_ms: float, ttft_ms: float | None,
                  completion_id: str | None = None) -> TurnRecord:
        """The row the session log keeps, given how the answer went and the completion's id."""
        req, ctx = self.req, self.ctx
        return TurnRecord(
            session_public_id=self.session_id,
            request_id=ctx.request_id,
            model_requested=req.model,
            model_served=self.served.engine_model,
            adapter_version_id=self.served.adapter_version_id,
            messages=[m.model_dump(exclude_none=True) for m in req.messages],
            params=req.logged_params(),
            response=text,
            finish_reason=finish,
            status=status,
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
            user_id=req.user,
            metadata=dict(req.metadata or {}),
            thread_digest=turn_digest(req.user, req.messages, text),
            started_at=ctx.started_at,
            learn=wants_learning(req, ctx.principal),
            idempotency_key=ctx.idempotency_key if status == "completed" else None,
            tenant_id=ctx.tenant_id,
            completion_id=completion_id,
            redact_at_rest=ctx.principal.redact_at_rest,
        )
