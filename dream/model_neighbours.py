"""Neighbours the model writes itself, for statements the shipped knowledge set has no relation
for ("the new head of our lab", "the stand-up's dial-in code").

For each statement's first rule-derived question ("Who is the head of our lab?") the model is
asked for general-knowledge questions of the same kind about well-known, named things ("Who is
the head of NASA?"). A question is kept only when it is a plain question about a name the
statement does not mention and speaks of no one's own things (no "my", "our", "your"): a
question about the user's own fact, anchored to what the model answers today, would fight the
learning. They join the shipped set's neighbours (`dream.neighbours.plan`) after them: anchors
answered by the model as it is, and probes held out for the gate's locality check.
"""

from __future__ import annotations

import re

from dream.config import DreamConfig
from dream.generator import Generator
from dream.neighbours import Neighbour
from dream.practice import valid_question
from dream.questions import derive
from dream.textnorm import normalize, tokens

SYSTEM = ("You write general-knowledge questions. Given a question about someone's own life, "
          "write one question of the same kind about a real, well-known, named thing. Reply "
          "with the question only.")
SHOTS = [("When was our school founded?", "When was Harvard University founded?"),
         ("What breed is my dog?", "What breed of dog is Lassie?"),
         ("Who manages my team at work?", "Who is the chief executive of Toyota?")]
_OWN = {"my", "mine", "our", "ours", "your", "yours", "i", "we", "me", "us", "you"}


def conversation(question: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM}]
    for asked, general in SHOTS:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": general}]
    return messages + [{"role": "user", "content": question}]


_NAME = re.compile(r"(?<!^)\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*|\b\d+\b")


def names(question: str) -> list[str]:
    """Names (runs of capitalised words after the first word) and numbers in a question:
    "Where is Lake Tahoe?" -> ["Lake Tahoe"]."""
    return _NAME.findall(question)


def kept(reply: str, statement: str, asked: str) -> str | None:
    """The reply's question when it may stand beside `statement` as a neighbour, else None."""
    question = valid_question(reply)
    if question is None or normalize(question) == normalize(asked):
        return None
    # Every name new: "the dial-in code for Stand-up" asks the user's own fact again.
    said = set(tokens(statement))
    found = names(question)
    if not found or any(set(tokens(n)) <= said for n in found) or _OWN & set(tokens(question)):
        return None
    if normalize(question) in {normalize(a) for a, _ in SHOTS} | {normalize(g) for _, g in SHOTS}:
        return None  # an example echoed back
    return question


def model_neighbours(statements: list[str], generator: Generator,
                     config: DreamConfig) -> dict[str, list[Neighbour]]:
    """Up to `config.model_neighbours` questions the model wrote for each statement, in one
    batch of requests; statements without a derived question get none."""
    if config.model_neighbours == 0:
        return {}
    asked = {}
    for statement in dict.fromkeys(statements):
        derived = derive([statement])
        if derived:
            asked[statement] = derived[0].question
    if not asked:
        return {}
    replies = generator.chat([conversation(q) for q in asked.values()],
                             n=config.model_neighbours, temperature=config.creative_temperature,
                             max_tokens=config.question_max_tokens, seed=config.seed + 7)
    out: dict[str, list[Neighbour]] = {}
    for (statement, question), samples in zip(asked.items(), replies, strict=True):
        found = dict.fromkeys(q for q in (kept(r, statement, question) for r in samples) if q)
        out[statement] = [Neighbour(q, statement, "model") for q in found]
    return out
