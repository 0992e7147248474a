"""The form of an answer: the model's ordinary sentence, or the teacher's recap.

The teacher sees an earlier turn in which it recalls the user's statements as a list ("You told
me:\n- Your dog is called Rex."; `dream.teacher_view.teacher_chat`), and it often answers in that
form too. Distilled, the form travels with the fact, and a student that learned a night's facts
then answers "What is the capital of France?" with a recap. `in_recap_form` tells such answers
apart (a list of things the user said, or an opening that recalls them); `sentence_form` cuts the
asked fact out of one, as the sentence the model would otherwise say.
"""

from __future__ import annotations

import re

from dream.checkers import check

# Openings that recall what the user said instead of answering.
_RECALL_OPENING = re.compile(
    r"^\s*(?:you (?:told|tell) me|you (?:mentioned|said)(?: that)?\s*:|here(?:'s| is) what you "
    r"(?:told|said)|from what you (?:told|said)|the answer to your question is\s*:|"
    r"as you (?:told|mentioned)[^.\n]*:)", re.I)
# A list line about the user: "- Your dog is ...", "* You live ...", "1. Your ...".
_USER_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(?:your?|you're|you've)\b", re.I | re.M)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+")


def in_recap_form(answer: str) -> bool:
    """Whether an answer is a recap: it opens by recalling what the user said, or lists it."""
    return bool(_RECALL_OPENING.match(answer) or _USER_LINE.search(answer))


def sentence_form(answer: str, checker: dict | None = None) -> str | None:
    """A recap answer as one sentence: the first list line that passes `checker` (or the first
    line, without one), without its bullet. The answer itself when it is no recap; None when no
    line will do."""
    if not in_recap_form(answer):
        return answer
    lines = [_BULLET.sub("", line).strip() for line in answer.splitlines()]
    lines = [line for line in lines if line and not _RECALL_OPENING.match(line)
             and not line.endswith(":")]
    for line in lines:
        if checker is None or check(checker, line):
            return line if line[-1:] in ".!?" else f"{line}."
    return None
