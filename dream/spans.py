"""Answer spans: the value a statement gives, cut from the clause it sits in ("Oslo, which I love"
-> "Oslo"; "4471 and standup is at 9:15" -> "4471"; "Python rather than Java" -> "Python"), and
the checker that accepts an answer naming it: a number as a number, a date or time by its parts,
a name or a description by containment, with what it was contrasted with as a rejected value.
"""

from __future__ import annotations

import re

from dream.textnorm import STOPWORDS, as_number, capitalized_span, numbers_in

MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|" \
        r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
DET = r"(?:a|an|the|my|our|your|his|her|their)"
# A subject and its verb: what starts a coordinated new clause ("... and standup is at 9:15",
# "..., my sister lives in Rome"). A bare lowercase word is a subject only before an auxiliary,
# so "bread and butter cookies" stays one phrase.
_AUX = r"(?:is|are|was|were|am|has|have|had|will|would|can|could|does|do|did|got|gets)"
_VERB = rf"(?:{_AUX}|[a-z]+(?:s|ed)|went|met|grew|left|came|made|took|saw|bought|sold|began)\b"
NEW_CLAUSE = (rf"(?:(?:I|we|you|he|she|it|they)(?:'s|'re|'m|'ve|'ll|'d)?\s+[a-z]+\b|"
              rf"(?:(?:the|my|our|his|her|its|their|your)\s+[\w'-]+(?:\s+[\w'-]+)?|"
              rf"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)?)\s+{_VERB}|"
              rf"(?!(?:which|who|that|where|when|what)\b)[a-z][\w'-]+\s+{_AUX}\b)")
_COORDINATED = re.compile(rf"\s*,?\s+(?:and|but|while|whereas)\s+(?={NEW_CLAUSE}).*$")
_CONTRAST = re.compile(r"\s*(?:,\s*(?:and |but )?not|\s+but not|\s+rather than|\s+instead of|"
                       r"\s+more than|\s+over)\s+(.+)$", re.I)
_TRAILING = re.compile(r"\s*(?:,.*|\s(?:which|who|because|since|so that|but|although|where)\s.*|"
                       r"\s(?:rather than|instead of)\s.*|"
                       rf"\s(?:in|on|since|back in|from) (?:\d{{4}}|{MONTH}\b(?!')[\w ,]*|"
                       r"(?:next |this )?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
                       rf"\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH}\b[\w ,]*)|"
                       r"\s(?:now|today|currently|these days|at the moment|right now|recently|"
                       r"as well|too|daily|every (?:other )?(?:day|morning|evening|night|week|"
                       r"weekday|weekend|month|year|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day)|"
                       r"(?:last|this|next|earlier this) (?:week|weekend|month|year|summer|"
                       r"winter|spring|fall|autumn)|yesterday|the other day|so far|"
                       r"(?:in|during|over|through)(?: the)? (?:spring|summer|fall|autumn|"
                       r"winter|holidays|weekend)|(?:a while|not long|a bit) ago|"
                       r"(?:a (?:few|couple of) )?(?:days|weeks|months|years) ago|"
                       r"on the \d{1,2}(?:st|nd|rd|th)|for (?:\d+|a few|many|several|two|three|"
                       r"four|five|six|ten) (?:days|weeks|months|years)))+$",
                       re.I)
_GENERIC = {"company", "thing", "person", "place", "kind", "type", "one", "lot", "guy", "man",
            "woman", "name", "years", "year", "old"}


def trim(phrase: str) -> str:
    """Object phrase without a coordinated new clause, trailing clauses and time adverbs
    ("Oslo, which ..." -> "Oslo", "4471 and standup is at 9:15" -> "4471")."""
    previous = None
    phrase = _COORDINATED.sub("", phrase.strip(" .!;,\"'"))
    while previous != phrase:
        previous, phrase = phrase, _TRAILING.sub("", phrase).strip(" .!;,\"'")
    return phrase


def contrast(phrase: str) -> tuple[str, str | None]:
    """The chosen value and what it was set against: "Python over JavaScript", "tea rather than
    coffee", "Lisbon, not Porto" -> ("Python", "JavaScript"); (phrase, None) without a contrast."""
    m = _CONTRAST.search(phrase)
    if not m or not phrase[:m.start()].strip():
        return phrase, None
    return phrase[:m.start()], trim(m.group(1)) or None


def core(phrase: str) -> str:
    return re.sub(rf"^{DET}\s+", "", trim(phrase), flags=re.I)


def _date_or_time(answer: str) -> dict | None:
    """"June 3rd" as month and day, "March 2020" as month and year, "9:15" as the time itself."""
    date = re.search(rf"\b({MONTH})\w*\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)|\b(\d{{1,2}})"
                     rf"(?:st|nd|rd|th)? (?:of )?({MONTH})\b", answer, re.I)
    if date:
        month = date.group(1) or date.group(4)
        day = int(date.group(2) or date.group(3))
        return {"type": "all", "checks": [{"type": "contains_any", "values": [month]},
                                          {"type": "number", "value": day}]}
    if m := re.search(rf"\b({MONTH})\w*,? (?:of )?(\d{{4}})\b", answer, re.I):
        return {"type": "all", "checks": [{"type": "contains_any", "values": [m.group(1)]},
                                          {"type": "number", "value": int(m.group(2))}]}
    if m := re.search(r"\b\d{1,2}:\d\d(?:\s*[ap]\.?m\.?)?", answer, re.I):
        return {"type": "contains_any", "values": [m.group(0)]}
    return None


def checker_for(answer: str, rejects: tuple[str, ...] = ()) -> dict:
    """Checker for an answer phrase: numeric, a date or time, or containment; `rejects` are
    values it was contrasted with ("over JavaScript"), failing an answer that puts them first."""
    number = as_number(answer)
    if number is not None:
        return {"type": "number", "value": int(number) if number.is_integer() else number}
    when = _date_or_time(answer)
    if when:
        return when
    value = core(answer)
    values = [value]
    span = capitalized_span(value)
    if span and span != value:
        values.append(span)
    if not span and not numbers_in(value) and len(value.split()) > 1:
        # Lowercase descriptions ("software engineer"): any topical word of it will do.
        values += [w for w in re.findall(r"[a-z][\w-]+", value.lower())
                   if w not in STOPWORDS and w not in _GENERIC]
    checker: dict = {"type": "contains_any", "values": list(dict.fromkeys(values))}
    rejected = [core(r) for r in rejects if core(r)]
    if rejected:
        checker["rejects"] = rejected
    return checker


def list_checker(names: list[str]) -> dict:
    """Every name of a list must be given: "Mia, Leo and Sam" is not answered by "Leo"."""
    return {"type": "contains_all", "values": [core(n) for n in names]}
