"""Reading a session: who says what the user asserted, as (statement, kind) pairs in the first
person, each updating what the session said before (corrections win, `dream.supersession`).

Two readers behind one call, chosen by `DreamConfig.reader`:
- **rules** (`dream.insights.extract_statements`): written rules, for small models such as the
  embedded SmolLM2-135M, which cannot be trusted to summarise;
- **model** (`dream.model_reader`): the served model through the engine's structured outputs,
  every statement checked against the user's words. It falls back to the rules when the engine
  cannot hold the model to a schema, when the reply is not the schema's JSON, or when the model
  found statements and none of them checked out;
- **auto**: the model when the generator reports at least `model_reader_min_params` parameters
  and structured outputs, else the rules.

What happened is counted into `counts`: which reader read, every fallback and its reason, and
each statement the model reader dropped and why. The model reader also writes a question about
each statement; those whose answer the user's words bear out go with the statements into the
insight and become practice (`dream.practice`), for statements the session still stands by.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from dream import model_reader
from dream.config import DreamConfig
from dream.feedback import read_feedback
from dream.generator import Generator
from dream.insights import extract_statements
from dream.redact import PLACEHOLDER
from dream.supersession import Memory
from dream.textnorm import normalize

log = logging.getLogger(__name__)


@dataclass
class Reading:
    """What a reader found in one session."""

    pairs: list[tuple[str, str]]
    """(statement in the first person, kind), in order, after the session's own updates."""
    questions: dict[str, tuple[str, str]] = field(default_factory=dict)
    """The model reader's (question, answer) by the statement it asks about (normalised, as
    `questions_for` looks it up)."""

    def questions_for(self, statements: list[str]) -> list[tuple[str, str]]:
        """The (question, answer) pairs about `statements`, in their order."""
        return [self.questions[k] for k in map(_key, statements) if k in self.questions]


def reader_for(config: DreamConfig, generator: Generator) -> str:
    """"rules" or "model": the configured reader, with "auto" decided by the generator's model
    size (`parameters`, when it knows it) and whether it offers structured outputs."""
    if config.reader != "auto":
        return config.reader
    size = getattr(generator, "parameters", None)
    large = isinstance(size, int) and size >= config.model_reader_min_params
    return "model" if large and isinstance(generator, model_reader.StructuredGenerator) else "rules"


def read_statements(transcript: list[dict[str, Any]], generator: Generator,
                    config: DreamConfig, counts: Counter | None = None) -> Reading:
    """What the user stated in `transcript`, in order, as the chosen reader reads it; feedback
    on an answer is read with the question it answered (`dream.feedback`)."""
    counts = counts if counts is not None else Counter()
    transcript = read_feedback(transcript)
    if reader_for(config, generator) == "model":
        reading = _by_model(transcript, generator, config, counts)
        if reading is not None:
            counts["read by model"] += 1
            return reading
    counts["read by rules"] += 1
    try:
        return Reading(extract_statements(transcript, config.max_statement_chars,
                                          config.max_statements))
    except Exception:  # one session the rules trip over must not fail every night to come
        log.exception("the rules could not read a session: it teaches nothing tonight")
        counts["failed: rules raised"] += 1
        return Reading([])


def _by_model(transcript: list[dict[str, Any]], generator: Generator, config: DreamConfig,
              counts: Counter) -> Reading | None:
    """The model reader's statements, or None (counted) when the rules must read instead."""
    if not isinstance(generator, model_reader.StructuredGenerator):
        counts["fallback: no structured outputs"] += 1
        return None
    dropped: Counter = Counter()
    try:
        found = model_reader.read(transcript, generator, dropped, config.reader_max_tokens,
                                  config.seed)
    except model_reader.Unusable:
        counts["fallback: unusable output"] += 1
        return None
    counts.update({f"dropped: {why}": n for why, n in dropped.items()})
    if not found and dropped:
        counts["fallback: nothing checked out"] += 1
        return None
    memory = Memory()
    questions = {}
    for statement in found:
        # As the rules do: a redacted value was the point of its statement; a long one is
        # pasted material rather than something the user stated.
        if PLACEHOLDER.search(statement.statement) or (
                len(statement.statement) > config.max_statement_chars):
            counts["dropped: redacted or too long"] += 1
            continue
        memory.learn(statement.statement, statement.kind)
        if statement.question:
            questions[_key(statement.statement)] = (statement.question, statement.answer)
    pairs = memory.pairs()[-config.max_statements:]
    # A question about a statement a later one replaced would teach the old value.
    standing = {_key(s) for s, _ in pairs}
    return Reading(pairs, {k: qa for k, qa in questions.items() if k in standing})


def _key(statement: str) -> str:
    """A statement whatever case and punctuation the session's memory gives it."""
    return normalize(statement)
