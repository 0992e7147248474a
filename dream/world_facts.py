"""Pattern families for facts about things in the user's world rather than about the user: a
relation of a named thing ("the capital of Veloria is Marenport", "Zorium has the symbol Zq"),
a named thing's opening or launch ("the Varnholt Bridge opened in 1987"), the thing a user does
something with ("we deploy with a tool called Shipwright") and a thing described and named
("our mascot is a purple heron named Quillby"). Used by `dream.questions`, which tries these
before its plain copula.

Facts like these share their relation with general knowledge ("the capital of X"), so their
questions are asked the way general questions are, and `dream.neighbours` finds the general
questions that learning them must leave alone.
"""

from __future__ import annotations

import re

from dream.derived import Derived
from dream.grammar import IRREGULAR, ask, base_form, be, do, noun_phrase
from dream.spans import MONTH

_NAME = r"[A-Z][\w'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]*)*"
# A value: a name, a code or number ("Zq", "4471", "RX-7"), one to three words.
_VALUE = r"[A-Z\d][\w'./-]*(?:\s+[A-Z\d][\w'./-]*){0,2}"
_YEAR_OR_DATE = (rf"(\d{{4}}|{MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?|"
                 rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?)")
# Where the fact holds, before its subject: "In our chemistry club's game the element ...".
_FRAME = re.compile(r"^(?:[Ii]n|[Aa]t|[Ff]or|[Oo]n) (?:the|our|my|this|that) [\w' -]+?,? "
                    r"(?=(?:the|a|an|our|my) |(?!I\b)[A-Z])")
_THING_OF = re.compile(rf"^(?:the )?([a-z][\w-]*(?: [a-z][\w-]*)?) of (?:the [a-z]+ of )?({_NAME})"
                       rf" (?:is|was|has been|is now) ({_VALUE})$")
_THINGS = re.compile(rf"^({_NAME})'s ([a-z][\w-]*(?: [a-z][\w-]*)?)"
                     rf" (?:is|was|has been|is now) ({_VALUE})$")
_HAS = re.compile(rf"^((?:(?:the|a|an|our|my) )?(?:[\w-]+ ){{0,3}}?{_NAME}) "
                  rf"(?:has|uses|carries|goes by) (?:the |a |an )?"
                  rf"([a-z][\w-]*(?: [a-z][\w-]*)?) ({_VALUE})$")
_OPENED = re.compile(rf"^((?:the )?{_NAME})(?: (?:in|at|on|near) [\w' -]+?)? "
                     rf"(?:first )?(opened|launched|closed|premiered|debuted|began|started|ended|"
                     rf"was (?:opened|founded|built|launched|released|established|completed))"
                     rf" (?:in|on|back in) {_YEAR_OR_DATE}$")
_WITH = re.compile(rf"^(I|[Ww]e) ([a-z]+)((?: [\w'-]+)*?) (with|using|on|in|through|via) "
                   rf"(?:a|an|the|our|my) ((?:[a-z][\w-]* ){{0,2}})([a-z]+) "
                   rf"(?:called|named) ({_NAME})$")
_NAMED = re.compile(rf"^(.+?) (is|are|was) ((?:a|an|the) (?:[a-z][\w-]* ){{0,2}}([a-z]+)) "
                    rf"(?:called|named) ({_NAME})$")
# Words that are not the relation in "X has the R V": possession, not a relation.
_NOT_RELATIONS = {"same", "most", "best", "biggest", "largest", "number of", "lot", "few"}


# The same frame said last: "Zorbium has the symbol Zb in my chemistry game".
_TRAILING_FRAME = re.compile(r",? (?:[Ii]n|[Ff]or|[Oo]n) (?:the|our|my|this|that) [\w' -]*?"
                             r"(?:game|novel|campaign|story|book|world|universe|setting|series|"
                             r"project|script|comic|show)$")


def unframed(c: str) -> str:
    """A clause without the frame it is said in ("In my campaign, ...", "... in my game")."""
    return _TRAILING_FRAME.sub("", _FRAME.sub("", c, count=1))


def _name_in(np: str) -> str | None:
    found = re.findall(_NAME, np)
    return found[-1] if found else None


def relational(c: str) -> list[Derived] | None:
    """Facts about named things; None when no pattern fits."""
    c = unframed(c)
    for family in (_relation_of, _has_relation, _opened, _done_with, _described_and_named):
        found = family(c)
        if found is not None:
            return found
    return None


def _relation_of(c: str) -> list[Derived] | None:
    """"The capital of Veloria is Marenport", "Veloria's capital is Marenport"."""
    if m := _THING_OF.match(c):
        relation, thing, value = m.group(1), m.group(2), m.group(3)
    elif m := _THINGS.match(c):
        thing, relation, value = m.group(1), m.group(2), m.group(3)
    else:
        return None
    if relation in {"name", "names"}:
        return None  # "Veloria's name is ...": a naming, for `dream.questions`
    return [ask(f"What is the {relation} of {thing}?", value, thing, relation),
            ask(f"What is {thing}'s {relation}?", value, thing, relation)]


def _has_relation(c: str) -> list[Derived] | None:
    """"The made-up element Zorium has the symbol Zq": the relation asked both ways."""
    m = _HAS.match(c)
    if not m or m.group(2) in _NOT_RELATIONS:
        return None
    np, relation, value = noun_phrase(m.group(1)), m.group(2), m.group(3)
    name = _name_in(np)
    if not name or name == value:
        return None
    out = [ask(f"What is the {relation} of {name}?", value, name, relation),
           ask(f"What {relation} does {name} have?", value, name, relation)]
    kind = re.search(rf"([a-z][\w-]*) {re.escape(name)}$", np)
    if kind:  # "Which element has the symbol Zq?"
        out.append(ask(f"Which {kind.group(1)} has the {relation} {value}?", name, value,
                       f"{relation}_of"))
    return out


def _opened(c: str) -> list[Derived] | None:
    """"The Varnholt Bridge in our city opened in 1987" -> "When did the Varnholt Bridge open?"."""
    m = _OPENED.match(c)
    if not m:
        return None
    thing, verb, when = noun_phrase(m.group(1)), m.group(2), m.group(3)
    if verb.startswith("was "):
        participle = verb.split()[1]
        asks = [f"When was {thing} {participle}?", f"In what year was {thing} {participle}?"]
    else:
        base = base_form(verb) if verb in IRREGULAR or verb.endswith("ed") else verb
        asks = [f"When did {thing} {base}?", f"In what year did {thing} {base}?"]
    if not re.search(r"\d{4}", when):
        asks = asks[:1]
    year = re.search(r"\d{4}", when)
    return [ask(q, year.group(0) if q.startswith("In what year") and year else when, thing,
                "when") for q in asks]


def _done_with(c: str) -> list[Derived] | None:
    """"We deploy everything with an internal tool called Shipwright" -> "What tool do we deploy
    everything with?"."""
    m = _WITH.match(c)
    if not m:
        return None
    who, verb, rest, prep = m.group(1).replace("We", "we"), m.group(2), m.group(3), m.group(4)
    adjectives, noun, name = m.group(5), m.group(6), m.group(7)
    if verb in {"am", "are", "is", "was", "were", "have", "has", "had"}:
        return None
    aux, base = ("did", base_form(verb)) if verb in IRREGULAR or verb.endswith("ed") \
        else (do(who), verb)
    return [ask(f"What {noun} {aux} {who} {base}{rest} {prep}?", name, who, "instrument"),
            ask(f"What is the name of the {adjectives}{noun} {who} {verb}{rest} {prep}?", name,
                who, "instrument")]


def _described_and_named(c: str) -> list[Derived] | None:
    """"Our school's mascot is a purple heron named Quillby": its name, and what it is."""
    m = _NAMED.match(c)
    if not m:
        return None
    np, cop, description, head, name = (noun_phrase(m.group(1)), m.group(2), m.group(3),
                                        m.group(4), m.group(5))
    if np in {"I", "we"}:
        return None
    cop = be(np) if cop in {"is", "are"} else cop
    return [ask(f"What is the name of {np}?", name, np, "name", alias=name),
            ask(f"What {cop} {np} called?", name, np, "name", alias=name),
            ask(f"What {cop} {np}?", description, np, "identity",
                checker={"type": "contains_any", "values": [head]})]
