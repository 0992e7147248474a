"""The teacher's view of a practice prompt: the insight as privileged context, an earlier turn in
which the teacher recalled it to the user, and one in which it answered a question about it in a
sentence. The dream's teacher filter and the distillation trainer both ask this teacher.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dream.insights import insight_from_text, recap, second_person
from dream.questions import derive

TEACHER_TEMPLATE = "Use the following information when answering.\n\n{context}"
RECALL_ASK = "What do you remember about me?"
DEMO_ASK = "What did I tell you?"


def teacher_chat(prompt: list[dict[str, Any]], context: str | None) -> list[dict[str, Any]]:
    """The teacher's view of a prompt: the privileged context as the system message, ahead of
    the prompt's own system message when it has one; for a rendered insight, an earlier exchange
    in which the teacher recalls it to the user in the second person (`recap`), then one in which
    it answers a question about it in a sentence (`_demonstration`). No context: the prompt
    unchanged. The teacher filter and the distillation trainer both use this, so they ask the
    same teacher.

    Why the recap: the context says "the user", and with it alone the small teacher answers
    "The user's sailboat is ...", which the student then learns to say to the user. With the
    recap turn it answers "You told me: your sailboat ..." and copies names better.
    `bench/teacher.py` (SmolLM2-135M, 10 made-up facts, 20 probes no test uses, 4 samples each
    at the dream's temperature 0.3): "the user" in 55% -> 2% of answers, correct 0.80 -> 0.91
    (greedy 0.85 both).

    Why the demonstration: after the recap alone the teacher answers half the questions in the
    recap's list form ("You told me:\n- Your office moved to ..."), and the student learned that
    form with the facts, for general questions too. Answering one of the insight's own questions
    in a sentence first, it answers in sentences: greedy, on the 40 probes of
    bench/data/facts.jsonl and world_facts.jsonl, recap form 0.50 -> 0.00, correct 0.93 -> 0.93,
    "the user" 0.07 -> 0.00."""
    messages = [dict(m) for m in prompt]
    context = (context or "").strip()
    if not context:
        return messages
    system = TEACHER_TEMPLATE.format(context=context)
    if messages and messages[0]["role"] == "system":
        system, messages = f"{system}\n\n{messages[0]['content']}", messages[1:]
    said = recap(context)
    if not said:
        return [{"role": "system", "content": system}, *messages]
    asked = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
    question, answer = _demonstration(context, asked.strip().lower())
    return [{"role": "system", "content": system},
            {"role": "user", "content": RECALL_ASK}, {"role": "assistant", "content": said},
            {"role": "user", "content": question}, {"role": "assistant", "content": answer},
            *messages]


@lru_cache(maxsize=1024)
def _demonstration(context: str, asked: str) -> tuple[str, str]:
    """A question about the insight other than `asked` (lowercased), with the statement that
    answers it in the second person; without one, "what did I tell you" and the first
    statement."""
    statements = insight_from_text(context).statements
    for d in derive(statements):
        if d.question.lower() != asked:
            said = next((s for s in statements if d.answer.lower() in s.lower()), statements[0])
            return d.question, second_person(said)
    return DEMO_ASK, second_person(statements[0])
