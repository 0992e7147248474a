"""Answer checkers as data: a JSON-able dict names the test, `check` runs it.

Checkers travel with practice items into the database and the promotion gate, so they must be
plain data rather than code. Expected values always come from what the user said, never from the
model, which is what makes them a trustworthy filter on a small model's answers.
"""

from __future__ import annotations

import ast
import operator
import re
from typing import Any

from dream.textnorm import contains_phrase, normalize, numbers_in

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.USub: operator.neg, ast.UAdd: operator.pos}


def evaluate(expression: str) -> float:
    """Value of an arithmetic expression of numbers, + - * / and parentheses (nothing else)."""
    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) \
                and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise ValueError(f"not plain arithmetic: {expression!r}")

    return walk(ast.parse(expression, mode="eval"))


def _number_matches(answer: str, value: float, tolerance: float) -> bool:
    # Any number in the answer may carry the value: models restate the question's numbers
    # around the result ("Biscuit is 7, so in 3 years she will be 10").
    return any(abs(found - value) <= tolerance for found in numbers_in(answer))


def _first_at(answer: str, values: list[str]) -> int | None:
    """Where the earliest of `values` starts in the normalised answer (whole words), or None."""
    text = f" {normalize(answer)} "
    found = [text.find(f" {normalize(v)} ") for v in values if normalize(v)]
    found = [i for i in found if i >= 0]
    return min(found) if found else None


def _contains_unrejected(checker: dict[str, Any], answer: str) -> bool:
    # "Python over JavaScript": JavaScript may follow the chosen value, never come before it.
    accepted = _first_at(answer, checker["values"])
    if accepted is None:
        return False
    rejected = _first_at(answer, checker.get("rejects", []))
    return rejected is None or accepted < rejected


def check(checker: dict[str, Any], answer: str) -> bool:
    """Whether `answer` passes `checker`. Types:

    contains_any / contains_all / not_contains {"values": [...]}: whole-word, case-, space- and
    punctuation-insensitive containment; contains_any's optional "rejects" [...] are values the
    statement set the answer against ("Python over JavaScript"), failing an answer that names one
    before any accepted value. number {"value": 7, "tolerance": 0}: some number in the
    answer (digits in any format, or a word zero..twenty) equals value. arithmetic
    {"expression": "7 + 3"}: like number, with the value computed. all / any {"checks": [...]}.
    Behaviours (`dream.behaviours`): no_emoji {}; max_sentences {"value": 3}; language
    {"value": "spanish"}: mostly words of that language.
    """
    kind = checker.get("type")
    if kind == "contains_any":
        if checker.get("rejects"):
            return _contains_unrejected(checker, answer)
        return any(contains_phrase(answer, v) for v in checker["values"])
    if kind == "contains_all":
        return all(contains_phrase(answer, v) for v in checker["values"])
    if kind == "not_contains":
        return not any(contains_phrase(answer, v) for v in checker["values"])
    if kind == "number":
        return _number_matches(answer, float(checker["value"]),
                               float(checker.get("tolerance", 0.0)) + 1e-9)
    if kind == "arithmetic":
        return _number_matches(answer, evaluate(checker["expression"]),
                               float(checker.get("tolerance", 0.0)) + 1e-9)
    if kind == "all":
        return all(check(c, answer) for c in checker["checks"])
    if kind == "any":
        return any(check(c, answer) for c in checker["checks"])
    if kind == "no_emoji":
        return not _EMOJI.search(answer)
    if kind == "max_sentences":
        return bool(answer.strip()) and sentence_count(answer) <= int(checker["value"])
    if kind == "language":
        return _in_language(answer, checker["value"])
    raise ValueError(f"unknown checker type: {kind!r}")


_EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B50\u2B55\uFE0F]")
# Words frequent in running text of each language and rare in English (and English's own).
LANGUAGE_WORDS = {
    "spanish": {"el", "la", "los", "las", "es", "que", "y", "por", "para", "con", "una", "del"},
    "french": {"le", "la", "les", "est", "et", "des", "une", "pour", "avec", "que", "dans"},
    "german": {"der", "die", "das", "und", "ist", "nicht", "mit", "ein", "eine", "für", "auf"},
    "italian": {"il", "la", "che", "di", "è", "per", "una", "sono", "con", "gli", "del"},
    "portuguese": {"os", "que", "é", "uma", "para", "com", "não", "do", "da", "em", "um"},
    "dutch": {"de", "het", "een", "en", "niet", "van", "met", "voor", "op", "dat", "zijn"},
}
_ENGLISH = {"the", "and", "is", "of", "to", "you", "it", "that", "with", "for", "are", "this"}


def sentence_count(text: str) -> int:
    """Sentences in a reply: runs of text ended by . ! ? or a line break (list items count)."""
    return len([p for p in re.split(r"[.!?]+(?:\s+|$)|\n+", text.strip())
                if re.search(r"\w", p)])


def _in_language(answer: str, language: str) -> bool:
    words = re.findall(r"[^\W\d_]+", answer.lower())
    hits = sum(w in LANGUAGE_WORDS[language] for w in words)
    return hits >= 3 and hits > sum(w in _ENGLISH for w in words)


def validate(checker: Any) -> None:
    """Raise ValueError unless `checker` is a well-formed checker (used when loading data)."""
    if not isinstance(checker, dict) or "type" not in checker:
        raise ValueError(f"checker must be a dict with a type: {checker!r}")
    kind = checker["type"]
    if kind in {"contains_any", "contains_all", "not_contains"}:
        values = checker.get("values")
        if not isinstance(values, list) or not values \
                or not all(isinstance(v, str) and v.strip() for v in values):
            raise ValueError(f"{kind} needs a non-empty list of non-empty strings: {checker!r}")
        rejects = checker.get("rejects", [])
        if not isinstance(rejects, list) or not all(isinstance(v, str) and v.strip()
                                                    for v in rejects):
            raise ValueError(f"rejects must be a list of non-empty strings: {checker!r}")
    elif kind == "number":
        if not isinstance(checker.get("value"), int | float) or isinstance(checker["value"], bool):
            raise ValueError(f"number needs a numeric value: {checker!r}")
    elif kind == "arithmetic":
        evaluate(str(checker.get("expression", "")))
    elif kind == "no_emoji":
        pass
    elif kind == "max_sentences":
        if not isinstance(checker.get("value"), int) or checker["value"] < 1:
            raise ValueError(f"max_sentences needs a positive integer value: {checker!r}")
    elif kind == "language":
        if checker.get("value") not in LANGUAGE_WORDS:
            raise ValueError(f"language must be one of {sorted(LANGUAGE_WORDS)}: {checker!r}")
    elif kind in {"all", "any"}:
        checks = checker.get("checks")
        if not isinstance(checks, list) or not checks:
            raise ValueError(f"{kind} needs a non-empty list of checks: {checker!r}")
        for sub in checks:
            validate(sub)
    else:
        raise ValueError(f"unknown checker type: {kind!r}")
    tolerance = checker.get("tolerance", 0)
    if not isinstance(tolerance, int | float) or tolerance < 0:
        raise ValueError(f"tolerance must be a non-negative number: {checker!r}")


def values_of(checker: dict[str, Any]) -> list[str]:
    """The expected strings/numbers a checker looks for, as text (for grounding and dedupe)."""
    kind = checker.get("type")
    if kind in {"contains_any", "contains_all"}:
        return [str(v) for v in checker["values"]]
    if kind == "number":
        value = float(checker["value"])
        return [str(int(value)) if value.is_integer() else str(value)]
    if kind == "arithmetic":
        value = evaluate(checker["expression"])
        return [str(int(value)) if value.is_integer() else str(value)]
    if kind in {"all", "any"}:
        return [v for c in checker["checks"] for v in values_of(c)]
    return []
