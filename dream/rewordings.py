"""Other ways a user asks the same question, by rule: "What is my dog's name?" is also "What did I
name my dog?", "What do I call my dog?" and "What's my dog called?".

A small model writes few usable paraphrases, and a fact learned from one wording is rarely
recalled in another; these rewordings give each derived question its common English
alternatives for the same relation (names, favourites, places, birthplaces, work, jobs, people),
and the everyday words for the same person or thing ("my grandmother" is also "my grandma"; the
make someone drives is their car). `reword(derived, clause)` returns the alternatives, never the
question itself.
"""

from __future__ import annotations

import re
from dataclasses import replace

from dream.derived import Derived
from dream.vocabulary import CHILDREN, PEOPLE, SAME

# Kinds of place a statement may name ("Tallowmere, a village in the hills", "the town of X").
_KIND = re.compile(r"\b(?:a|an|the)\s+(?:(?:small|little|big|tiny|quiet|busy|old|lovely)\s+)?"
                   r"(town|city|village|country|island|state|region|county|province|valley|"
                   r"neighbou?rhood|district|suburb|hamlet)\b", re.I)
# People the user did not name (a child they did): no "What did I name my mother?".
_NAMED_BY_OTHERS = PEOPLE - CHILDREN
# What someone in a role does for the user: "my teacher" is who teaches me.
_ROLE_VERBS = {"teacher": "teaches", "tutor": "tutors", "coach": "coaches", "mentor": "mentors",
               "instructor": "teaches", "trainer": "trains", "manager": "manages",
               "boss": "manages", "doctor": "treats"}


def place_kind(clause: str) -> str | None:
    """"I live in Grindlewick, a small town by the sea" -> "town"."""
    m = _KIND.search(clause)
    return m.group(1).lower() if m else None


def _pronoun(owner: str) -> tuple[str, str]:
    """("I", "my") for "my dog", ("we", "our") for "our team's project"."""
    return ("we", "our") if owner.lower().startswith("our ") else ("I", "my")


def _name_forms(owner: str, clause: str) -> list[str]:
    if not re.match(r"^(?:my|our) ", owner, re.I):
        return []
    i, _ = _pronoun(owner)
    forms = [f"What is {owner}'s name?", f"What is the name of {owner}?",
             f"What's {owner} called?", f"What is {owner} called?",
             f"Do you remember what {owner} is called?"]
    if owner.split()[-1].lower() in _NAMED_BY_OTHERS:
        return forms  # nobody "named" their mother
    forms += [f"What did {i} name {owner}?", f"What do {i} call {owner}?"]
    if re.search(r"\b(?:call|calls|called|nicknamed?)\b", clause, re.I):
        forms += [f"What nickname did {i} give {owner}?", f"What is {owner}'s nickname?"]
    return forms


def learning_topic(statements: list[str]) -> str | None:
    """What the user says they are learning: "I'm learning to play the zither" -> "the zither",
    "I am studying Portuguese" -> "Portuguese"; None when no statement says so (or it is long)."""
    for statement in statements:
        m = re.search(r"\bI(?:'m| am) (?:learning|studying|taking lessons in) (?:how )?"
                      r"(?:to (?:play|speak) )?([\w' -]+?)(?: lessons)?[.!,]?$", statement.strip())
        if m and len(m.group(1).split()) <= 3 and not m.group(1).startswith("to "):
            return m.group(1)
    return None


def _role_forms(d: Derived, topic: str | None) -> list[str]:
    """Who teaches the user what they are learning: "Who teaches me the zither?", "Who is my
    zither teacher?" for "my teacher" when a statement says what is being learned."""
    m = re.match(r"^Who (?:is|was) my (teacher|tutor|coach|instructor)\?$", d.question)
    if not topic or d.relation not in {"attribute", "identity"} or not m:
        return []
    role, subject = m.group(1), re.sub(r"^the ", "", topic)
    return [f"Who teaches me {topic}?", f"Who is my {subject} {role}?",
            f"What is my {subject} {role}'s name?"]


def _forms(d: Derived, clause: str) -> list[str]:
    q, np = d.question, d.subject
    kind = place_kind(clause)
    if d.relation == "name":
        return _name_forms(np, clause)
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
        role = m.group(2).split()[-1].lower()
        if role in PEOPLE:
            forms = [f"What is {m.group(1)}'s name?", f"What is the name of {m.group(1)}?",
                     f"Do you remember who {m.group(1)} is?"]
            if role in _ROLE_VERBS:
                me = "us" if m.group(1).lower().startswith("our ") else "me"
                forms.append(f"Who {_ROLE_VERBS[role]} {me}?")
            return forms
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


def same_words(question: str) -> list[str]:
    """The question with each everyday alternative for a word of it ("my grandmother" -> "my
    grandma", "my granny"), one word swapped at a time; capitalisation follows the original."""
    out = []
    for m in re.finditer(r"[A-Za-z]+", question):
        for other in SAME.get(m.group(0).lower(), ()):
            other = other.capitalize() if m.group(0)[0].isupper() else other
            rest = question[m.end():]
            if re.match(r"'(?!s\b)", rest) and not other.endswith("s"):
                rest = "'s" + rest[1:]  # "kids' names" -> "children's names"
            elif re.match(r"'s\b", rest) and other.endswith("s"):
                rest = "'" + rest[2:]  # "child's name" -> "kids' name"
            out.append(question[:m.start()] + other + rest)
    return out


def reword(d: Derived, clause: str, topic: str | None = None) -> list[Derived]:
    """Derived questions with the same answer and checker, asked in other common ways; `topic` is
    what the user said they are learning (see `learning_topic`)."""
    forms = [d.question, *_forms(d, clause), *_role_forms(d, topic)]
    forms += [other for f in forms for other in same_words(f)]
    if d.relation == "name" and re.search(r"\bdrives?\b", clause) and \
            re.match(r"^(?:my|our) [A-Z]", d.subject):
        # "I drive a green Volvo that I call Old Fennick": the make names the user's car.
        car = d.subject.split()[0] + " car"
        forms += [f.replace(d.subject, car) for f in [d.question, *_name_forms(d.subject, clause)]]
    forms = dict.fromkeys(f for f in forms if f.lower() != d.question.lower())
    return [replace(d, question=f, extra={**d.extra, "reworded_from": d.question})
            for f in forms]
