"""The model reader: the served model reads a session and returns what the user asserted as JSON
through the engine's structured outputs, and every statement is checked against the user's own
words before anything is learned from it.

For real deployments with a model that can read (7B and up, on a GPU). A model fills a schema
with whatever it likes: SmolLM2-135M, asked for the facts in "My dog is called Rusty and I live in
Porto.", returned a breed and an age the user never gave (../README, "Structured outputs"). So a
statement is kept only when
- the model says the user asserted it (not a question, a hypothetical, role-play, a paste),
- its value, and every number and capitalised name in it, occur in what the user wrote,
- it reads as a statement about the user's world ("The user's dog is called Rusty."),
and everything dropped is counted by reason. `dream.reading` chooses between this reader and the
rules, and falls back to the rules when the output is unusable.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import orjson

from dream.generator import Conversation
from dream.insights import first_person
from dream.textnorm import contains_phrase, normalize, numbers_in

KINDS = ("fact", "correction", "preference", "instruction")
ABOUT = ("self", "people", "things", "work", "own fiction", "world")

STATEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "statement": {"type": "string", "maxLength": 300},
        "kind": {"type": "string", "enum": list(KINDS)},
        "subject": {"type": "string", "maxLength": 80},
        "attribute": {"type": "string", "maxLength": 80},
        "value": {"type": "string", "maxLength": 120},
        "about": {"type": "string", "enum": list(ABOUT)},
        "asserted": {"type": "boolean"},
        "replaces": {"type": ["string", "null"], "maxLength": 300},
        "question": {"type": "string", "maxLength": 160},
        "answer": {"type": "string", "maxLength": 120},
    },
    "required": ["statement", "kind", "subject", "attribute", "value", "about", "asserted",
                 "replaces", "question", "answer"],
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"statements": {"type": "array", "items": STATEMENT_SCHEMA, "maxItems": 16}},
    "required": ["statements"],
    "additionalProperties": False,
}

INSTRUCTIONS = """Read the conversation and list what the user asserted about themselves, their \
people, their things, their work, their own fiction or their world: facts, corrections of what \
they said before, preferences, and standing instructions about how to answer them. Skip \
questions, hypotheticals, role-play, exercises, quoted or pasted text and sarcasm; a fact the \
user takes for granted inside a request counts ("a gift for my wife Ana" asserts the wife's \
name). One statement per fact, in the third person ("The user's dog is called Rusty."), with \
its subject, attribute and value copied from the user's words, whether the user asserts it, the \
earlier statement it replaces (or null), and one question a person might ask about it with its \
short answer. Answer with JSON only."""


@runtime_checkable
class StructuredGenerator(Protocol):
    """A generator that can be held to a JSON schema (the engine's structured outputs)."""

    def structured(self, conversations: list[Conversation], schema: dict[str, Any], *,
                   max_tokens: int = 512, seed: int | None = None) -> list[str]:
        """One completion per conversation, each valid JSON of `schema` (as text)."""
        ...


@dataclass(frozen=True)
class ReadStatement:
    """A statement the model found and the user's words bear out."""

    statement: str
    """In the first person, as the rules reader gives it ("My dog is called Rusty.")."""
    kind: str
    """"fact", "correction" or "preference" (a standing instruction is a preference)."""
    subject: str
    attribute: str
    value: str
    about: str
    replaces: str | None
    question: str
    answer: str
    """The model's question about it and its answer, when the answer checks out (else "")."""


class Unusable(ValueError):
    """The model's output could not be read as the schema's JSON."""


def request(transcript: list[dict[str, Any]]) -> Conversation:
    """The conversation the model reads: the instructions, then the session with each speaker
    named (only the user's words are evidence; the assistant's are context)."""
    lines = [f"{m['role'].upper()}: {m['content']}" for m in transcript
             if m.get("role") in ("user", "assistant") and isinstance(m.get("content"), str)]
    return [{"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": "\n".join(lines)}]


def parse(text: str) -> list[dict[str, Any]]:
    """The statements of one reply; Unusable when it is not the schema's shape."""
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise Unusable(f"not JSON: {exc}") from exc
    rows = data.get("statements") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise Unusable("no list of statements")
    fields = STATEMENT_SCHEMA["required"]
    good = [r for r in rows if isinstance(r, dict) and all(f in r for f in fields)]
    if len(good) != len(rows):
        raise Unusable("a statement lacks the schema's fields")
    return good


_WORD = re.compile(r"\b[\w'-]+")
_THIRD_PERSON = re.compile(r"^the user\b", re.I)


def _names(statement: str) -> list[str]:
    """Capitalised words after the first ("The user's friend Tobiah lives in Oslo." -> Tobiah,
    Oslo)."""
    words = _WORD.findall(statement)[1:]
    return [w for w in words if w[:1].isupper() and normalize(w) not in ("user", "i")]


def verify(row: dict[str, Any], user_words: str, dropped: Counter) -> ReadStatement | None:
    """The row as a ReadStatement when the user's words bear it out, else None (the reason is
    counted in `dropped`)."""
    statement = " ".join(str(row["statement"]).split())
    value = str(row["value"]).strip()
    if row["asserted"] is not True:
        dropped["not asserted"] += 1
        return None
    if row["kind"] not in KINDS or row["about"] not in ABOUT:
        dropped["unknown kind"] += 1
        return None
    if not _THIRD_PERSON.match(statement) or not value:
        dropped["not a statement about the user"] += 1
        return None
    if not contains_phrase(user_words, value) or not contains_phrase(statement, value):
        dropped["value not in the user's words"] += 1
        return None
    spoken = set(numbers_in(user_words))
    if not set(numbers_in(statement)) <= spoken or not all(
            contains_phrase(user_words, n) for n in _names(statement)):
        dropped["invented name or number"] += 1
        return None
    answer = str(row["answer"]).strip()
    question = " ".join(str(row["question"]).split())
    if not (question.endswith("?") and contains_phrase(user_words, answer)
            and set(numbers_in(answer)) <= spoken):
        question, answer = "", ""
    replaces = row["replaces"] if isinstance(row["replaces"], str) and row["replaces"] else None
    kind = "preference" if row["kind"] == "instruction" else row["kind"]
    return ReadStatement(first_person(statement), kind, str(row["subject"]).strip(),
                         str(row["attribute"]).strip(), value, row["about"], replaces,
                         question, answer)


def read(transcript: list[dict[str, Any]], generator: StructuredGenerator, dropped: Counter,
         max_tokens: int = 1024, seed: int | None = 0) -> list[ReadStatement]:
    """What the user asserted in `transcript`, as the model reads it and their words bear out.
    Raises Unusable when the reply is not the schema's JSON."""
    user_words = " ".join(m["content"] for m in transcript
                          if m.get("role") == "user" and isinstance(m.get("content"), str))
    [reply] = generator.structured([request(transcript)], SCHEMA, max_tokens=max_tokens,
                                   seed=seed)
    found = []
    for row in parse(reply):
        kept = verify(row, user_words, dropped)
        if kept is not None:
            found.append(kept)
    return found
