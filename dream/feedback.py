"""What the user said of an answer, read in the light of the question it answered.

A down-rated answer's text stands in the transcript where the answer was, as the user's next
message, marked `"feedback": True` (`store.transcripts`). Most feedback reads as it stands: "No,
my cat is called Quillon." is a correction in the user's words. But the commonest feedback is a
bare value ("Marenport", "no, it's Marenport, not Paris", "1987 actually"), which says nothing
alone. After a question asking what or who something is ("What is the capital of Veloria?"), it
answers that question, and is read as the statement the two make together: "The capital of
Veloria is Marenport.". A question about the assistant ("your name") is left alone: feedback
does not change who the assistant is for everyone.
"""

from __future__ import annotations

import re
from typing import Any

from dream.value_kinds import value_phrase, values

_ASKED = re.compile(r"^\s*(?:what|who|which)\s*(?P<verb>'s|s|is|are|was|were)\s+(?P<subject>[^?]+?)"
                    r"\s*\?+\s*$", re.I)
_NAMED = re.compile(r"\s+(?P<how>called|named)$", re.I)
_OPENER = re.compile(r"^(?:(?:no+|nope|wrong|incorrect|actually|sorry|"
                     r"(?:(?:that|this|your answer|the answer|it)\s*(?:'s| is| was) )?"
                     r"(?:wrong|incorrect|not (?:right|correct|true)))\b[\s,.!:;-]*)*"
                     r"(?:(?:it|that|the answer|the right answer)\s*(?:'s|is|was|should be)\s+|"
                     r"its\s+)?", re.I)
_TRAILER = re.compile(r"(?:[\s,;]+(?:not\s+.+|actually|though|lol))?[\s.!]*$", re.I)
_THEIRS = re.compile(r"\b(?:you|your|yours|yourself)\b", re.I)


def statement_of(question: str, said: str) -> str | None:
    """The statement a bare value `said` makes as the answer to `question`; None when the
    question does not ask what or who something is, or `said` is more than a value."""
    asked = _ASKED.match(question.strip())
    if asked is None or _THEIRS.search(asked["subject"]):
        return None
    value = _TRAILER.sub("", _OPENER.sub("", said.strip()), count=1).strip()
    if not value or not value_phrase(value) or not values(" " + value):
        return None
    subject = asked["subject"]
    verb = "are" if asked["verb"].lower() in ("are", "were") else "is"
    named = _NAMED.search(subject)
    if named:
        subject, verb = subject[:named.start()], f"{verb} {named['how'].lower()}"
    return f"{subject[:1].upper()}{subject[1:]} {verb} {value}."


def read_feedback(transcript: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`transcript` with each bare-value feedback message replaced by the statement it makes
    with the question before it; every other message as it is."""
    out: list[dict[str, Any]] = []
    asked = ""
    for message in transcript:
        if message.get("role") != "user":
            out.append(message)
            continue
        if message.get("feedback") and isinstance(message.get("content"), str):
            made = statement_of(asked, message["content"])
            out.append({**message, "content": made} if made else message)
            continue
        asked = message["content"] if isinstance(message.get("content"), str) else ""
        out.append(message)
    return out
