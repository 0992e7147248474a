"""Server-sent-event framing of streamed chat responses, as OpenAI's streaming API frames them:
each event is one `data: <JSON>` line and a blank line, and `data: [DONE]` ends the stream.
Every streamed byte the API sends (a relayed engine stream, a replayed one, an error ending a
stream) is framed here.
"""

from __future__ import annotations

from typing import Any

import orjson

DONE = b"data: [DONE]\n\n"


def event(payload: dict[str, Any]) -> bytes:
    """One JSON payload as an event."""
    return frame(orjson.dumps(payload))


def frame(data: bytes) -> bytes:
    """JSON that is already bytes as an event, unchanged (an engine's chunk is relayed as is)."""
    return b"data: " + data + b"\n\n"
