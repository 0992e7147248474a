"""A session's conversation in order, rebuilt from its turns, with the feedback on its answers.

Each turn carries the messages its request sent. A turn that continues the transcript so far adds
only its new messages; one that does not (a client sending just the latest message) adds all.

Feedback (`store.feedback`) is what the user said of an answer afterwards: a down-rated answer
leaves the transcript (it is never read, nor replayed), and the feedback's text follows in its
place as the user's next message (marked `"feedback": True`), where a reader reads it as it
reads a correction in chat.
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


def _said(feedback: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": feedback["text"], "feedback": True}] \
        if feedback.get("text") else []


def with_feedback(messages: list[dict[str, Any]],
                  feedback: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`messages` (a `transcript`) with each down-rated answer (feedback rows with `seq` and
    `text`) replaced by what the user said of it."""
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for row in feedback:
        by_turn.setdefault(row["seq"], []).append(row)
    out: list[dict[str, Any]] = []
    for message in messages:
        rated = by_turn.get(message.get("turn", -1)) if message["role"] == "assistant" else None
        if not rated:
            out.append(message)
            continue
        for row in rated:
            out.extend(_said(row))
    return out


def excerpt(feedback: dict[str, Any]) -> list[dict[str, Any]]:
    """The rated turn alone (its request, then what the user said of its answer), for a session
    an earlier run already learnt from: reading the rest again would teach it again."""
    return [*feedback["messages"], *_said(feedback)]
