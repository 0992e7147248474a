"""Packaged data for dreaming and the gate: general prompts, a regression set, plain prose.

Loaded through importlib.resources so they work from a wheel as well as a checkout (the package
data must be declared in pyproject: `dream = ["data/*"]`). Records are validated on load.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import orjson

from dream.checkers import validate


def _read(name: str) -> str:
    return files("dream").joinpath("data", name).read_text(encoding="utf-8")


def _jsonl(name: str) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(_read(name).splitlines(), 1):
        if line.strip():
            row = orjson.loads(line)
            if not isinstance(row, dict):
                raise ValueError(f"{name}:{number}: expected a JSON object")
            rows.append(row)
    return rows


@cache
def _general_prompts() -> tuple[str, ...]:
    prompts = []
    for row in _jsonl("general_prompts.jsonl"):
        if not isinstance(row.get("prompt"), str) or not row["prompt"].strip():
            raise ValueError(f"general_prompts.jsonl: bad record {row!r}")
        prompts.append(row["prompt"].strip())
    return tuple(prompts)


def load_general_prompts() -> list[str]:
    """Ordinary assistant requests (how-to, explanations, short writing), one string each."""
    return list(_general_prompts())


def load_regression_set() -> list[dict[str, Any]]:
    """General-knowledge questions with checkers: {"question": str, "checker": dict}."""
    rows = _jsonl("general_regression.jsonl")
    for row in rows:
        if not isinstance(row.get("question"), str) or not row["question"].strip():
            raise ValueError(f"general_regression.jsonl: bad question in {row!r}")
        validate(row.get("checker"))
    return rows


def load_general_text() -> str:
    """A few paragraphs of ordinary English prose, for perplexity before and after training."""
    return _read("general_text.txt").strip() + "\n"


@cache
def _relations() -> tuple[dict[str, Any], ...]:
    rows = _jsonl("relations.jsonl")
    keys = {"relation", "kind", "cues", "asks", "facts"}
    for row in rows:
        if set(row) != keys or not all(isinstance(t, str) and t.count("{}") == 1
                                       for t in row["asks"]) or not row["asks"] \
                or not all(isinstance(c, str) and c == c.lower() and " " not in c
                           for c in row["cues"]) \
                or not all(isinstance(s, str) and a and all(isinstance(v, str) and v for v in a)
                           for s, a in row["facts"]):
            raise ValueError(f"relations.jsonl: bad record for {row.get('relation')!r}")
    return tuple(rows)


def load_relations() -> list[dict[str, Any]]:
    """General knowledge organised by relation: {"relation", "kind" (of subject), "cues" (words
    that signal it in a statement), "asks" (question templates with one "{}"), "facts"
    ([subject, [accepted answers]])}."""
    return list(_relations())
