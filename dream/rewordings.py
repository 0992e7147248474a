"""Other ways a user asks the same question, by rule: "What is my dog's name?" is also "What did I
name my dog?", "What do I call my dog?" and "What's my dog called?".

A small model writes few usable paraphrases, and a fact learned from one wording is rarely
recalled in another; these rewordings give each derived question its common English
alternatives for the same relation (names, favourites, places, birthplaces, work, jobs, people).
`reword(derived, clause)` returns the alternatives, never the question itself.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dream.questions import Derived

# Kinds of place a statement may name ("Tallowmere, a village in the hills", "the town of X").
_KIND = re.compile(r"\b(?:a|an|the)\s+(?:(?:small|little|big|tiny|quiet|busy|old|lovely)\s+)?"
                   r"(town|city|village|country|island|state|region|county|province|valley|"
                   r"neighbou?rhood|district|suburb|hamlet)\b", re.I)
_PERSONS = {"friend", "best friend", "boss", "teacher", "partner", "wife", "husband", "sister",
            "brother", "mother", "father", "mom", "dad", "son", "daughter", "neighbour",
            "neighbor", "roommate", "colleague", "coworker", "doctor", "dentist", "manager",
            "coach", "tutor", "mentor", "girlfriend", "boyfriend", "cousin", "grandmother",
            "grandfather", "grandma", "grandpa", "aunt", "uncle"}


def place_kind(clause: str) -> str | None:
    """"I live in Grindlewick, a small town by the sea" -> "town"."""
    m = _KIND.search(clause)
    return m.group(1).lower() if m else None


def _pronoun(owner: str) -> tuple[str, str]:
    """("I", "my") for "my dog", ("we", "our") for "our team's project"."""
    return ("we", "our") if owner.lower().startswith("our ") else ("I", "my")


def _name_forms(owner: str) -> list[str]:
    if not re.match(r"^(?:my|our) ", owner, re.I):
        return []
    i, _ = _pronoun(owner)
    return [f"What is {owner}'s name?", f"What is the name of {owner}?",
            f"What's {owner} called?", f"What is {owner} called?", f"What did {i} name {owner}?",
            f"What do {i} call {owner}?", f"Do you remember what {owner} is called?"]


def _forms(d: Derived, clause: str) -> list[str]:
    q, np = d.question, d.subject
    kind = place_kind(clause)
    if d.relation == "name":
        return _name_forms(np)
    if m := re.match(r"^What (?:is|are) (my|our) favou?rite (.+)\?$", q):
        mine, thing = m.group(1), m.group(2)
        i = "we" if mine == "our" else "I"
        return [f"Which {thing} do {i} like best?", f"What {thing} do {i} like the most?",
                f"What is {mine} favorite {thing}?", f"What's {mine} favourite {thing}?",
                f"Which {thing} is {mine} favourite?",
                f"What is {mine} favourite {thing} called?"]
    if d.relation == "location" and (m := re.match(r"^Where (do|does) (.+) live\?$", q)):
        forms = [f"Where {m.group(1)} {m.group(2)} live these days?"]
        if kind:
            forms += [f"Which {kind} {m.group(1)} {m.group(2)} live in?",
                      f"What {kind} {m.group(1)} {m.group(2)} live in?"]
        return forms
    if d.relation in {"place", "born_place"}:
        return _place_forms(d, kind)
    if d.relation == "workplace" and (m := re.match(r"^Where (do|does) (.+) work\?$", q)):
        aux, who = m.group(1), m.group(2)
        mine = "my" if who == "I" else "our" if who == "we" else f"{who}'s"
        return [f"What is the name of the place where {who} work{'s' if aux == 'does' else ''}?",
                f"Where is {mine} workplace?", f"Which place {aux} {who} work at?"]
    if d.relation == "job":
        who = np
        aux = "do" if who in {"I", "we"} else "does"
        mine = "my" if who == "I" else "our" if who == "we" else f"{who}'s"
        return [f"What {aux} {who} do for a living?", f"What is {mine} job?",
                f"What is {mine} occupation?", f"What {aux} {who} work as?"]
    if d.relation in {"attribute", "identity"} and (
            m := re.match(r"^Who (?:is|was) ((?:my|our) ([\w' -]+))\?$", q)):
        if m.group(2).lower() in _PERSONS or m.group(2).split()[-1].lower() in _PERSONS:
            return [f"What is {m.group(1)}'s name?", f"What is the name of {m.group(1)}?",
                    f"Do you remember who {m.group(1)} is?"]
    return []


def _place_forms(d: Derived, kind: str | None) -> list[str]:
    q = d.question
    if m := re.match(r"^Where (was|were) (.+) born\?$", q):
        be, who = m.group(1), m.group(2)
        forms = []
        if who == "I":
            forms += ["Where am I from?", "What is my hometown?", "Where is my hometown?"]
        elif who == "we":
            forms += ["Where are we from?"]
        elif re.match(r"^(?:my|our) ", who):
            forms += [f"Where is {who} from?", f"What is {who}'s hometown?"]
        if kind:
            forms.append(f"Which {kind} {be} {who} born in?")
        return forms
    if m := re.match(r"^Where (did|do|does) (.+?) (\w+)( up| out| back| over)?\?$", q):
        aux, who, verb, particle = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        forms = [f"In which place {aux} {who} {verb}{particle}?"]
        if kind:
            forms.append(f"Which {kind} {aux} {who} {verb}{particle} in?")
        if verb == "grow" and particle == " up":
            be = "am" if who == "I" else "are" if who == "we" else "is"
            forms.append(f"Where {be} {who} from?")
        return forms
    return []


def reword(d: Derived, clause: str) -> list[Derived]:
    """Derived questions with the same answer and checker, asked in other common ways."""
    forms = dict.fromkeys(f for f in _forms(d, clause) if f.lower() != d.question.lower())
    return [replace(d, question=f, extra={**d.extra, "reworded_from": d.question})
            for f in forms]
