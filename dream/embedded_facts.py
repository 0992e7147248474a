"""Facts a request or question takes for granted: "can you plan a trip for my wife Ana's 40th
birthday in May?" presupposes "My wife's name is Ana.", "Ana turns 40 in May." and "Ana's birthday
is in May.". `facts_in_request` returns them as plain first-person statements that
`dream.questions.derive` reads; a hypothetical ("if I had a wife called ...") gives nothing.
"""

from __future__ import annotations

import re

from dream.grammar import is_given_name
from dream.spans import MONTH
from dream.textnorm import NUMBER_WORDS, STOPWORDS, clean
from dream.vocabulary import ANIMATE, VEHICLES

_HYPOTHETICAL = re.compile(r"\b(?:if|suppose|supposing|imagine|hypothetically|pretend|"
                           r"let'?s say|say I|what if|in a (?:story|novel|game)|"
                           r"character|fictional)\b", re.I)
# A word after "my <relation>" that is a name even in lowercase: it owns something ("ana's").
_OWNER = re.compile(r"^([a-z][a-z-]+)(?:'s|s')$")
_NOT_NAME = STOPWORDS | ANIMATE | {
    "ate", "got", "went", "came", "made", "took", "saw", "ran", "left", "gave", "bought", "broke",
    "fell", "hurt", "lost", "won", "found", "sent", "never", "always", "still", "birthday",
    "party", "wedding", "anniversary", "graduation", "retirement", "funeral", "school", "work",
    "job", "car", "house", "room", "gift", "present", "name", "age", "family"}
_ORDINAL = r"(\d{1,3})(?:st|nd|rd|th)"
_WHEN = rf"(?i:in|on) ((?i:{MONTH})(?: \d{{1,2}}(?:st|nd|rd|th)?)?|\d{{1,2}}(?:st|nd|rd|th)? " \
        rf"(?:of )?(?i:{MONTH})|\d{{4}}|(?i:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day))\b"
_RELATION = r"(?:[Mm]y|[Oo]ur) ((?:[a-z-]+ )?[a-z-]+)"
_PLACE = r"home ?town|city|town|village|neighbou?rhood|country"


def _name(word: str, after: str, known_relation: bool) -> str | None:
    """A name as written; in lowercase only after a known relation, when it owns something
    ("ana's") or is followed by a function word or nothing ("my wife ana for ...")."""
    bare = re.sub(r"(?:'s|s')$", "", word)
    if is_given_name(bare):
        return bare
    lower = bare.lower()
    if not known_relation or lower in _NOT_NAME or len(lower) < 2 or not bare.islower():
        return None
    if _OWNER.match(word) or (not re.search(r"(?:s|ed|ing|ly)$", lower)
                              and (not after or after.lower() in STOPWORDS)):
        return bare.capitalize()
    return None


def _relatives(text: str) -> list[str]:
    """"my wife Ana", "our dog rex's vet", "my best friend Priya": "My wife's name is Ana."."""
    out = []
    for m in re.finditer(r"\b(?:[Mm]y|[Oo]ur) ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?,? "
                         r"([A-Za-z][\w-]*(?:'s|s')?)(?: ([\w'-]+))?", text):
        first, second, word, after = m.group(1), m.group(2), m.group(3), m.group(4) or ""
        candidates = [(f"{first} {second}", word, after)] if second else []
        candidates.append((first, second or word, word if second else after))
        for relation, name_word, following in candidates:
            known = relation.split()[-1] in ANIMATE | VEHICLES
            name = _name(name_word, following, known)
            if name and not set(relation.split()) & STOPWORDS:
                out.append(f"My {relation}'s name is {name}.")
                break
    return out


def _birthdays(text: str) -> list[str]:
    """"Ana's 40th birthday in May" -> "Ana turns 40 in May." and "Ana's birthday is in May."."""
    out = []
    pattern = rf"\b(?:{_RELATION} )?([A-Za-z][\w-]*?)(?:'s|s'|s)? {_ORDINAL} birthday(?: {_WHEN})?"
    for m in re.finditer(pattern, text):
        relation, who, age, when = m.group(1), m.group(2), m.group(3), m.group(4)
        if who.lower() in ANIMATE:
            relation, who = who.lower(), None
        elif who.lower() in STOPWORDS:
            continue
        name = _name(f"{who}'s", "", True) if who else None
        subject = name or (f"My {relation}" if relation else None)
        if not subject:
            continue
        if name and relation:
            out.append(f"My {relation}'s name is {name}.")
        when = when and when[0].upper() + when[1:]
        out.append(f"{subject} turns {age}" + (f" {_when_phrase(when)}." if when else "."))
        if when:
            owner = f"{name}'s" if name else f"My {relation}'s"
            out.append(f"{owner} birthday is {_when_phrase(when)}.")
    return out


def _when_phrase(when: str) -> str:
    return f"in {when}" if re.match(rf"^(?:{MONTH}|\d{{4}})$", when, re.I) else f"on {when}"


def _ages(text: str) -> list[str]:
    """"for my 7-year-old son", "my seven year old daughter Mia": "My son is 7 years old."."""
    numbers = "|".join(NUMBER_WORDS)
    pattern = rf"\b[Mm]y (\d{{1,3}}|{numbers})[- ](?:years?|yr)[- ]old ([a-z-]+)(?: ([A-Z][\w-]*))?"
    out = []
    for m in re.finditer(pattern, text):
        out.append(f"My {m.group(2)} is {m.group(1)} years old.")
        if m.group(3) and is_given_name(m.group(3)):
            out.append(f"My {m.group(2)}'s name is {m.group(3)}.")
    return out


def _named_things(text: str) -> list[str]:
    """"my boat called Seafoam", "our cat named miso": "My boat is called Seafoam."."""
    out = []
    for m in re.finditer(rf"\b{_RELATION} (?:called|named) ([A-Za-z][\w-]*(?: [A-Z][\w-]*)*)",
                         text):
        name = m.group(2) if is_given_name(m.group(2)) else m.group(2).split()[0].capitalize()
        if m.group(2).split()[0].lower() not in _NOT_NAME:
            out.append(f"My {m.group(1).lower()} is called {name}.")
    return out


def _work_and_home(text: str) -> list[str]:
    """"at my job at Acme", "in my hometown Braga": "I work at Acme.", "My hometown is Braga."."""
    out = []
    for m in re.finditer(r"\bmy (?:job|work|position|role|internship|shift) (?:at|with|for) "
                         r"([A-Za-z][\w&-]*(?: [A-Z][\w&-]*)*)", text, re.I):
        org = m.group(1)
        if org.lower() not in _NOT_NAME:
            out.append(f"I work at {org if org[0].isupper() else org.capitalize()}.")
    for m in re.finditer(rf"\bmy ({_PLACE})(?: of|,)? ([A-Z][\w-]*(?: [A-Z][\w-]*)*)", text,
                         re.I):
        place, name = m.group(1).lower().replace(" ", ""), m.group(2)
        if not is_given_name(name):
            continue
        out.append(f"My hometown is {name}." if place == "hometown" else f"I live in {name}.")
    return out


def facts_in_request(sentence: str) -> list[str]:
    """The first-person facts a question or request presupposes, as plain statements."""
    text = clean(sentence)
    if _HYPOTHETICAL.search(text):
        return []
    found = _relatives(text) + _birthdays(text) + _ages(text) + _named_things(text) + \
        _work_and_home(text)
    return list(dict.fromkeys(found))
