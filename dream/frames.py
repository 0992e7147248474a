"""Frames that outlast one message: a role-play or game, an imagined world, a paste announced in
one message and sent in the next. `session_sentences` reads a session's user messages in order
and keeps what the user says in their own voice, as `dream.sentence_types.user_sentences` does
for one message, until the user steps out ("ok stop the game", "OOC", "real life now:").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from dream.sentence_types import (
    HYPOTHETICAL,
    NOT_ASSERTED,
    QUOTED,
    ROLE_PLAY,
    announces_paste,
    ends_passage,
    passages,
)

# Leading filler before a step-out: "ok, stop the game", "haha anyway, for real".
_FILLER = (r"(?:(?:ok(?:ay)?|alright|right|fine|so|anyway|anyways|lol|haha|btw|but|and|now)\b"
           r"[\s,.!:;-]*)*")
# The user stepping out of a game or role-play; what follows the phrase is theirs again.
_STEP_OUT = re.compile(
    rf"^[(\[]?{_FILLER}(?:"
    r"(?:let'?s |we can |you can |please )?(?:stop|end|quit|pause|exit|leave|drop|finish) "
    r"(?:the |this |our |that )?(?:game|role[- ]?play(?:ing)?|rp|scene|story|pretending|playing|"
    r"character|scenario|simulation|interview|quiz)s?"
    r"|(?:i'?m |i am )?(?:done|finished) (?:playing|pretending|with (?:the|this|our) "
    r"(?:game|role[- ]?play|interview|story|scene))"
    r"|enough (?:role[- ]?play(?:ing)?|playing|pretending|of (?:the|this) (?:game|role[- ]?play))"
    r"|game over|end (?:of )?(?:the )?(?:game|role[- ]?play|scene|simulation)"
    r"|out of character|ooc|break(?:ing)? character"
    r"|(?:back (?:to|in)|in|for) real life(?: now)?|real life(?: now|(?=\s*[:,.!-]))|irl"
    r"|(?:the )?real (?:me|world)(?: now| here| again| speaking)?(?=\s*[:,.!-]|\s+now)"
    r"|for real(?: now| though)?|real talk|seriously though"
    r"|back to (?:reality|the real world|normal))\b[)\]]?[\s,.!:;-]*", re.I)
# The user's own world named against the fiction: "my real boss", "our actual house", "in reality".
_REAL_WORLD = re.compile(r"\b(?:my|our) (?:real|actual|real-life|irl)\b|\bin reality\b", re.I)
# A world the user asks the assistant to imagine ("imagine a world where ...", "what if ...").
_IMAGINED = re.compile(r"^(?:\w+[,.!]? )?(?:imagine|picture|suppose|what if|in a world where|"
                       r"in an? (?:alternate|parallel|other) (?:universe|world|reality)|"
                       r"hypothetically|let'?s say)\b", re.I)
# What would or might be, not what is: "my dog would be mayor", "we could have wings".
_UNREAL = re.compile(r"\b(?:would|could|might|'d)(?: (?:\w+ly|also|still|totally|so|even))? "
                     r"(?:be|have|become|get|make|rule|win|live|run|own|lead)\b", re.I)


@dataclass
class _Session:
    """The frames open after the messages read so far."""

    playing: bool = False  # a role-play or game the user has not stepped out of
    imagined: bool = False  # an imagined world is set up: what "would be" is in it
    paste_due: bool = False  # the last message announced material it did not hold

    def read(self, text: str) -> list[tuple[str, str]]:
        kinds = passages(text, pasted=self.paste_due)
        self.paste_due = bool(kinds) and kinds[-1][1] == QUOTED and announces_paste(kinds[-1][0])
        was_playing = self.playing
        out = self._frame(kinds)
        if not was_playing and not self.playing:
            self.playing = _sets_up_play(out)
        return out

    def _frame(self, kinds: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Types within the open frames, up to a step-out; after it, the rest read afresh."""
        out: list[tuple[str, str]] = []
        for i, (sentence, kind) in enumerate(kinds):
            if step := _STEP_OUT.match(sentence):
                self.playing = self.imagined = False
                rest = [sentence[step.end():].strip(), *(s for s, _ in kinds[i + 1:])]
                return out + self._frame(passages("\n".join(s for s in rest if s)))
            if self.playing and _REAL_WORLD.search(sentence):
                self.playing = False
            if self.playing:
                kind = ROLE_PLAY
            elif kind == HYPOTHETICAL and _IMAGINED.match(sentence):
                self.imagined = True
            elif self.imagined and kind not in NOT_ASSERTED and _UNREAL.search(sentence):
                kind = HYPOTHETICAL
            out.append((sentence, kind))
        return out


def _sets_up_play(kinds: list[tuple[str, str]]) -> bool:
    """A message sets up play that goes on in the next when its last role-play sentence is not
    followed by the user stepping out ("anyway, ..."): later paragraphs alone do not end it."""
    last = max((i for i, (_, kind) in enumerate(kinds) if kind == ROLE_PLAY), default=None)
    return last is not None and not any(ends_passage(s) for s, _ in kinds[last + 1:])


def session_passages(messages: Iterable[str]) -> Iterator[list[tuple[str, str]]]:
    """Each user message's (sentence, type) pairs, frames from earlier messages applied."""
    session = _Session()
    for text in messages:
        yield session.read(text)


def session_sentences(messages: Iterable[str]) -> Iterator[list[str]]:
    """For each of a session's user messages, the sentences said in the user's own voice."""
    for kinds in session_passages(messages):
        yield [sentence for sentence, kind in kinds if kind not in NOT_ASSERTED]
