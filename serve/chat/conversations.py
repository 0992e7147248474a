"""Which session a chat request belongs to.

A client may name its session (`X-Session-Id` or `metadata.session_id`). Otherwise a request whose
`messages` extend an earlier request's conversation (that request's messages plus the response it
got) joins that session, and anything else starts a new one. Matching uses digests of the
conversation up to each assistant message, so one indexed lookup answers it.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable

from serve.api.errors import InvalidRequest
from serve.api.schemas import SESSION_ID_PATTERN, Message

_SESSION_ID = re.compile(SESSION_ID_PATTERN)


def new_session_id() -> str:
    return f"sess_{uuid.uuid4().hex}"


def check_session_id(value: str, param: str) -> str:
    if not _SESSION_ID.match(value):
        raise InvalidRequest(
            f"Invalid session id {value[:40]!r}: use 1-128 letters, digits or '_.:-'.", param=param
        )
    return value


def _feed(h: hashlib._Hash, role: str, text: str) -> None:
    # Length-prefixed so that no two different conversations feed the same bytes.
    for part in (role.encode(), text.strip().encode()):
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)


def _start(user: str | None) -> hashlib._Hash:
    h = hashlib.sha256(b"lucid-thread-v1")
    _feed(h, "user-id", user or "")
    return h


def prefix_digests(user: str | None, messages: Iterable[Message]) -> list[bytes]:
    """Digests of every prefix of `messages` that ends with an assistant message, shortest first."""
    h = _start(user)
    out: list[bytes] = []
    for message in messages:
        _feed(h, message.role, message.text())
        if message.role == "assistant":
            out.append(h.copy().digest())
    return out


def turn_digest(user: str | None, messages: Iterable[Message], response: str) -> bytes:
    """The digest a later request's prefix has when it continues this turn."""
    h = _start(user)
    for message in messages:
        _feed(h, message.role, message.text())
    _feed(h, "assistant", response)
    return h.digest()
