"""Answer spans: the value a statement gives, cut from the clause it sits in ("Oslo, which I love"
-> "Oslo"), and the checker that accepts an answer naming it: a number as a number, a month and
day as both, a name or a description by containment.
"""

from __future__ import annotations

import re

from dream.textnorm import STOPWORDS, as_number, capitalized_span, numbers_in

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|" \
        r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
DET = r"(?:a|an|the|my|our|your|his|her|their)"
_TRAILING = re.compile(r"\s*(?:,.*|\s(?:which|who|because|since|so that|but|although|where)\s.*|"
                       r"\s(?:now|today|currently|these days|at the moment|right now|recently|"
                       r"as well|too|(?:last|this|next) (?:week|month|year|summer|winter|spring|"
                       r"fall|autumn)|(?:a (?:few|couple of) )?(?:days|weeks|months|years) ago))+$",
                       re.I)
_GENERIC = {"company", "thing", "person", "place", "kind", "type", "one", "lot", "guy", "man",
            "woman", "name", "years", "year", "old"}


def trim(phrase: str) -> str:
    """Object phrase without trailing clauses and time adverbs ("Oslo, which ..." -> "Oslo")."""
    previous = None
    phrase = phrase.strip(" .!;,\"'")
    while previous != phrase:
        previous, phrase = phrase, _TRAILING.sub("", phrase).strip(" .!;,\"'")
    return phrase


def core(phrase: str) -> str:
    return re.sub(rf"^{DET}\s+", "", trim(phrase), flags=re.I)


def checker_for(answer: str) -> dict:
    """Checker for an answer phrase: numeric, a month-and-day date, or containment."""
    number = as_number(answer)
    if number is not None:
        return {"type": "number", "value": int(number) if number.is_integer() else number}
    date = re.search(rf"({MONTH})\w*\.? (\d{{1,2}})|(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?"
                     rf"({MONTH})", answer, re.I)
    if date:
        month = date.group(1) or date.group(4)
        day = int(date.group(2) or date.group(3))
        return {"type": "all", "checks": [{"type": "contains_any", "values": [month]},
                                          {"type": "number", "value": day}]}
    value = core(answer)
    values = [value]
    span = capitalized_span(value)
    if span and span != value:
        values.append(span)
    if not span and not numbers_in(value) and len(value.split()) > 1:
        # Lowercase descriptions ("software engineer"): any topical word of it will do.
        values += [w for w in re.findall(r"[a-z][\w-]+", value.lower())
                   if w not in STOPWORDS and w not in _GENERIC]
    return {"type": "contains_any", "values": list(dict.fromkeys(values))}
