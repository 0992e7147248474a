"""Facts a request or question takes for granted: "can you plan a trip for my wife Ana's 40th
birthday in May?" presupposes "My wife's name is Ana.", "Ana turns 40 in May." and "Ana's birthday
is in May.". `facts_in_request` returns them as plain first-person statements that
`dream.questions.derive` reads; a hypothetical ("if I had a wife called ...") gives nothing.
"""

from __future__ import annotations

import re

from dream.grammar import is_given_name
from dream.request_clauses import asserted_clauses
from dream.spans import MONTH
from dream.textnorm import NUMBER_WORDS, STOPWORDS, clean
from dream.vocabulary import ANIMATE, VEHICLES

_HYPOTHETICAL = re.compile(r"\b(?:if|suppose|supposing|imagine|hypothetically|pretend|"
                           r"let'?s say|say I|what if|in a (?:story|novel|game)|"
                           r"character|fictional|role[- ]?play|act as|"
                           r"you(?:'re| are) (?:a|an|my)|let'?s play)\b", re.I)
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
# A title before a surname: "my neighbour Frau Novak", "my tutor mrs Obi", "Dr Lind".
_TITLE = r"(?i:frau|herr|mrs|mr|ms|mx|miss|dr|doctor|prof|professor|madame|mme|monsieur|" \
         r"señora|senora|señor|senor|sra|sr|signora|signor)"
_TITLES = {"frau", "herr", "mrs", "mr", "ms", "mx", "miss", "dr", "prof", "professor", "madame",
           "mme", "monsieur", "señora", "senora", "señor", "senor", "sra", "sr", "signora",
           "signor"}
_FAMILY = r"brother|sister|mother|father|son|daughter|parents?"
# Things people make or run and give names to: "my novel The Quiet Shore", "our band Velvet Owl".
_WORK = r"novel|book|story|poem|song|album|ep|band|choir|company|startup|business|shop|store|" \
        r"bakery|cafe|café|restaurant|bar|brand|label|studio|podcast|channel|blog|newsletter|" \
        r"app|website|project|game|film|movie|play|show|thesis|dissertation|paper|team|club|" \
        r"charity|nonprofit|agency|firm|practice|product|tool|platform|service|bot|boat|series"
_ORG = r"company|startup|business|shop|store|bakery|cafe|café|restaurant|studio|agency|" \
       r"firm|practice|band|choir|charity|nonprofit|label|brand|team|club"
_PROPER = r"(?:The |A |An )?[A-Z][\w'&.-]*(?: (?:of |the |and |& |de |la )?[A-Z0-9][\w'&.-]*)*"
_EVENT = r"wedding|party|birthday|anniversary|exam|interview|trip|flight|holiday|vacation|" \
         r"concert|recital|graduation|surgery|operation|appointment|meeting|launch|" \
         r"presentation|conference|move|race|marathon|match|funeral|christening|baptism|" \
         r"shower|hearing|deadline|defen[cs]e|viva|audition|gig|show|exhibition|premiere"
_DAY = rf"the \d{{1,2}}(?:st|nd|rd|th)|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?(?i:{MONTH})|" \
       rf"(?i:{MONTH})(?: \d{{1,2}}(?:st|nd|rd|th)?)?|\d{{4}}|" \
       r"(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day)"


def _name(word: str, after: str, known_relation: bool) -> str | None:
    """A name as written; in lowercase only after a known relation, when it owns something
    ("ana's") or is followed by a function word or nothing ("my wife ana for ...")."""
    bare = re.sub(r"(?:'s|s')$", "", word)
    if bare.lower().rstrip(".") in _TITLES:
        return None
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
            if re.fullmatch(_WORK, relation.split()[-1], re.I):
                break  # a named work or organisation: `_works`
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


def _titled(text: str) -> list[str]:
    """"my neighbour Frau Novak", "my tutor mrs obi": "My neighbour's name is Frau Novak."."""
    out = []
    for m in re.finditer(rf"\b([Mm]y|[Oo]ur) ((?:[a-z][a-z-]* ){{0,2}}[a-z][a-z-]*),? "
                         rf"({_TITLE})\.? ([A-Za-z][\w'-]*)", text):
        relation, surname = m.group(2), re.sub(r"(?:'s|s')$", "", m.group(4))
        if set(relation.split()) & STOPWORDS or surname.lower() in _NOT_NAME:
            continue
        title = m.group(3)[0].upper() + m.group(3)[1:].lower()
        out.append(f"My {relation}'s name is {title} {surname[0].upper() + surname[1:]}.")
    return out


def _works(text: str) -> list[str]:
    """"my novel The Quiet Shore", "for our startup Brightloop", "our company website, we're
    Halden Works": "My novel is called The Quiet Shore.", "Our company is called Halden Works."."""
    out = []
    for m in re.finditer(rf"\b([Mm]y|[Oo]ur) ((?:[a-z-]+ )?(?i:{_WORK})),? (?:called |named )?"
                         rf"({_PROPER})", text):
        name = m.group(3)
        head = re.sub(r"^(?:The|An?) ", "", name).split()[0]
        if head.lower() not in _NOT_NAME and not re.fullmatch(MONTH, name, re.I):
            out.append(f"{m.group(1).capitalize()} {m.group(2).lower()} is called {name}.")
    org = re.search(rf"\b(?:my|our) (?:[a-z-]+ )?({_ORG})\b", text, re.I)
    for m in re.finditer(rf"\bwe(?:'re| are) ({_PROPER})", text, re.I):
        name = m.group(1)
        suffix = re.search(r"\b(?:Ltd|Inc|LLC|GmbH|Co|Company|PLC|AG|SA|BV)\.?$", name)
        if len(name.split()) > 1 and name[0].isupper() and (org or suffix):
            thing = org.group(1).lower() if org else "company"
            out.append(f"Our {thing} is called {name}.")
    return out


def _events(text: str) -> list[str]:
    """"our trip to Porto on the 3rd", "my viva is on 2 June", "Sam's wedding on the 14th":
    "Our trip to Porto is on the 3rd."."""
    out = []
    owner = r"[Mm]y|[Oo]ur|[A-Z][\w-]*'s"
    for m in re.finditer(rf"\b((?:{owner}) (?:[a-z-]+ )?(?i:{_EVENT})(?: (?:to|in|at) "
                         rf"[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)?)(?: is| was)? (on|in) ({_DAY})\b",
                         text):
        event, day = m.group(1), m.group(3)
        if event.split("'")[0].lower() in STOPWORDS | _NOT_NAME - {"my", "our"}:
            continue
        out.append(f"{event[0].upper() + event[1:]} is {m.group(2)} {day}.")
    return out


def _renames(text: str) -> list[str]:
    """"we renamed project Kestrel to Harrier": "Project Kestrel is now called Harrier."."""
    out = []
    for m in re.finditer(r"\b(?i:we|i|they) (?:have |just |recently |finally |officially )*"
                         r"(?:renamed|rebranded) ((?:[a-z]+ )?[A-Z][\w'-]*(?: [A-Z][\w'-]*)*) "
                         r"(?:to|as|into) ([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)", text):
        old, new = m.group(1), m.group(2)
        if not re.fullmatch(MONTH, new, re.I):
            out.append(f"{old[0].upper() + old[1:]} is now called {new}.")
    return out


def facts_in_request(sentence: str) -> list[str]:
    """The first-person facts a question or request presupposes, as plain statements."""
    text = clean(sentence)
    if _HYPOTHETICAL.search(text):
        return []
    # "brother in law" and "mother-in-law" are one relation.
    text = re.sub(rf"\b({_FAMILY})[ -]in[ -]law\b", r"\1-in-law", text, flags=re.I)
    found = _relatives(text) + _titled(text) + _birthdays(text) + _ages(text) + \
        _named_things(text) + _work_and_home(text) + _works(text) + _events(text) + \
        _renames(text) + asserted_clauses(text)
    return list(dict.fromkeys(found))
