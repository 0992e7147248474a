"""A session's conversation in order, rebuilt from its turns.

Each turn carries the messages its request sent. A turn that continues the transcript so far adds
only its new messages; one that does not (a client sending just the latest message) adds all.
"""

from __future__ import annotations

from typing import Any


def _key(message: dict[str, Any]) -> tuple[str, str]:
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content)
    return message.get("role", ""), (content or "").strip()


def transcript(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for turn in turns:
        messages = turn["messages"]
        so_far = [_key(m) for m in out]
        continues = [_key(m) for m in messages[: len(out)]] == so_far
        out.extend(messages[len(out):] if continues else messages)
        out.append({"role": "assistant", "content": turn["response"], "turn": turn["seq"]})
    return out
