"""Fixtures for dream/: a scripted generator for fast tests and the real model for slow ones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dream.teacher_view import TEACHER_TEMPLATE

MODEL = Path(__file__).resolve().parents[2] / "var" / "models" / "SmolLM2-135M-Instruct"
TEACHER_PREFIX = TEACHER_TEMPLATE.split("{")[0]


class ScriptedGenerator:
    """A stand-in model: the teacher repeats its context's statements (so it "knows" them),
    rewording requests get a polite reword, anything else a fixed reply. Records every call."""

    def __init__(self, reword: str = "Could you tell me {q}",
                 question: str = "What do you know about {name}?") -> None:
        self.reword, self.question = reword, question
        self.calls: list[dict] = []

    def reply(self, conversation: list[dict]) -> str:
        system = conversation[0]["content"] if conversation[0]["role"] == "system" else ""
        last = conversation[-1]["content"]
        if system.startswith(TEACHER_PREFIX):
            facts = [line[2:] for line in system.splitlines() if line.startswith("- ")]
            return " ".join(facts)
        if system.startswith("You reword"):
            return self.reword.format(q=last[0].lower() + last[1:])
        if system.startswith("You write questions"):
            names = re.findall(r"(?<=\s)[A-Z][a-z]+", last)
            return self.question.format(name=names[0] if names else "that")
        return "Sure. Here is a short answer."

    def chat(self, conversations, *, n=1, temperature=0.0, max_tokens=128, seed=None):
        self.calls.append({"conversations": conversations, "n": n, "temperature": temperature})
        return [[self.reply(c)] * n for c in conversations]


@pytest.fixture
def scripted() -> ScriptedGenerator:
    return ScriptedGenerator()


@pytest.fixture(scope="session")
def hf_generator():
    """The real model on CPU, loaded once for all slow dream tests."""
    if not (MODEL / "config.json").exists():
        pytest.skip(f"model not found at {MODEL}")
    from dream.generator import HFGenerator

    return HFGenerator(str(MODEL))
