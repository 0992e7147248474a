"""Assertions that ride along with a request: "write a toast for my dad, he was a pilot for 20
years and retired in May" asks for a toast and states "My dad was a pilot for 20 years." and "My
dad retired in May.". `asserted_clauses` returns those clauses as first-person statements, with
"he"/"she"/"who"/"it" resolved to the relation or thing just mentioned; the request itself (the
first clause), payload after a colon and what someone else says give nothing.
"""

from __future__ import annotations

import re
from itertools import takewhile

from dream.textnorm import STOPWORDS
from dream.vocabulary import ANIMATE

_FEMALE = {"wife", "mother", "mum", "mom", "sister", "daughter", "aunt", "niece", "grandmother",
           "grandma", "granny", "girlfriend", "granddaughter", "stepmother", "stepdaughter"}
_MALE = {"husband", "father", "dad", "brother", "son", "uncle", "nephew", "grandfather",
         "grandpa", "boyfriend", "grandson", "stepfather", "stepson"}
_PEOPLE = ANIMATE | _FEMALE | _MALE
# The start of a clause a user asserts: a subject ("he was", "im", "my son has") or, after
# "and", a verb that goes on with the previous subject ("... and had surgery last year").
_SUBJECT = r"(?:i|im|i'm|ive|i've|we|we're|we've|he|hes|he's|she|shes|she's|it|it's|its|who)"
_OWNED = r"(?:my|our) [a-z][\w'-]*(?: [A-Z]?[\w'-]+){0,3}? "
_VERB = r"(?:is|was|are|were|has|had|have|just|still|also|really|turns|turned|loves|likes|" \
        r"hates|works|lives|goes|went|got|gets|needs|can't|cant|doesn't|doesnt|isn't|isnt|" \
        r"[a-z]+ed|[a-z]+s)"
_CONTINUES = r"(?:is|am|are|was|were|has|had|have|still|also|really|just|lives|works|loves|" \
             r"likes|went|got|[a-z]+ed)"
_START = rf"(?:{_SUBJECT} \S|{_OWNED}{_VERB}\b)"
_BOUNDARY = re.compile(rf"\s*[,;]\s*(?:and |so |but |because |cause |coz |as )?(?=(?i:{_START}))|"
                       rf"\s*,\s*(?=\d)|"
                       rf"\s+(?:and|so|but|because|cause|coz|as)\s+"
                       rf"(?=(?i:{_START}|{_CONTINUES}\b))|\s+(?=who\s)", re.I)
# Not the user's own assertion: a request, a wish, a guess or someone else's words.
_NOT_ASSERTED = re.compile(r"\b(?:i'?d|can|need|want|wonder(?:ing)?|hope|guess|think|might|maybe|"
                           r"could|would|should|probably|perhaps|says?|said|tells?|told|claims?|"
                           r"reckons?|thinks|according)\b|\?", re.I)
_IT_IS = r"(?=about|a|an|the|set|called|named|due|on|in|for|going|been|still|just|really|" \
         r"very|my|our|\d)"


def _referents(text: str) -> list[tuple[str, str]]:
    """("person"|"thing", "my dad") for each "my/our ..." phrase, in order of mention."""
    out = []
    for m in re.finditer(r"\b(my|our) ((?:[a-z][a-z-]*(?:'s|s')? ){0,2}[a-z][a-z-]*(?:'s|s')?)",
                         text, re.I):
        words = [re.sub(r"(?:'s|s')$", "", w) for w in m.group(2).split()]
        heads = [i for i, w in enumerate(words) if w.split("-")[0].lower() in _PEOPLE]
        if heads:
            out.append(("person", f"{m.group(1).lower()} {' '.join(words[:heads[0] + 1])}"))
        elif not re.match(r"\d", words[0]):
            lower = list(takewhile(lambda w: w.islower() and w not in STOPWORDS, words))
            thing = f"{m.group(1).lower()} {' '.join(lower or words[:1])}"
            # "my novel The Quiet Shore ... it's about": the name says which one.
            name = re.match(r" ((?:The |A )?[A-Z][\w'-]*(?: [A-Z][\w'-]*)*)",
                            text[m.start(2) + len(" ".join(lower or words[:1])):])
            out.append(("thing", f"{thing} {name.group(1)}" if name else thing))
    return out


def _referent(pronoun: str, before: str) -> str | None:
    """The relation ("he", "she", "who") or thing ("it") the pronoun points back to."""
    found = _referents(before)
    if pronoun == "who":
        tail = re.search(r"\b(?:my|our) [\w' -]+$", before, re.I)
        return found[-1][1] if found and tail and found[-1][0] == "person" else None
    wanted = "thing" if pronoun.startswith("it") else "person"
    wrong = _MALE if pronoun.startswith("s") else _FEMALE if pronoun.startswith("h") else set()
    for kind, phrase in reversed(found):
        if kind == wanted and phrase.split()[-1].split("-")[0] not in wrong:
            return phrase
    return None


def _first_person(clause: str) -> str:
    """"im 52" -> "I'm 52", "ive been" -> "I've been", "i have" -> "I have"."""
    clause = re.sub(r"^(i|we)(m|ve|re)\b", lambda m: f"{m.group(1)}'{m.group(2)}", clause,
                    flags=re.I)
    return re.sub(r"\bi\b", "I", clause)


def _resolve(clause: str, before: str) -> str | None:
    """The clause with its third-person subject replaced by what it refers to."""
    m = re.match(r"^(he|she|who|it)(?:'s|s\b)?\s*(\S.*)$", clause, re.I)
    if not m:
        return _first_person(_objects(clause, before))
    pronoun = m.group(1).lower()
    if pronoun == "it" and clause[2:3] == "s" and not re.match(_IT_IS, m.group(2)):
        return None
    who = _referent(pronoun, before)
    if who is None:
        return None
    rest = m.group(2)
    if re.match(r"^(?:he|she|it)(?:'s|s)\b", clause, re.I):
        rest = ("has " if re.match(r"(?:been|got)\b", rest) else "is ") + rest
    return _first_person(_objects(f"{who} {rest}", before))


def _objects(clause: str, before: str) -> str:
    """"lessons with her" -> "lessons with my tutor": the person just mentioned."""
    def person(m: re.Match[str]) -> str:
        who = _referent("she" if m.group(2).lower() == "her" else "he", before)
        return f"{m.group(1)} {who}" if who else m.group(0)
    return re.sub(r"\b(with|for|to|from|about) (her|him)\b", person, clause)


_REASON = re.compile(r"^(?:since|because|cause|coz|as|given that|now that|seeing as) "
                     r"([^,?]+?),\s|"
                     # "I live in Oslo, is that far from Bergen?": a statement, then the question.
                     r"^((?:I|I'm|I've|we|we're|we've|my|our) [^,?]+?),\s+(?=(?:is|are|was|"
                     r"what|how|where|when|which|who|why|can|could|should|would|will|do|does|"
                     r"any)\b)", re.I)


def _clauses(text: str) -> list[tuple[str, int, bool]]:
    """(clause, offset, after "so") for each clause after the request, up to a colon (what
    follows it is the text the request works on, not something the user says)."""
    text = re.split(r":\s|\"", text, maxsplit=1)[0]
    cuts = list(_BOUNDARY.finditer(text))
    spans = zip([0, *(m.end() for m in cuts)], [*(m.start() for m in cuts), len(text)],
                strict=True)
    clauses = [(text[start:end].strip(" .!,;"), start) for start, end in spans][1:]
    # "since I'm allergic to shellfish, what can I order?": the reason the request gives first
    # is asserted.
    reason = _REASON.match(text)
    first = [(reason.group(reason.lastindex).strip(" .!,;"), reason.start(reason.lastindex),
              False)] if reason else []
    # "write it in English so I understand": a "so" after what was not asserted is a purpose.
    return first + [(clause, start, bool(re.search(r"\bso\s*$", cut.group(0), re.I)))
                    for (clause, start), cut in zip(clauses, cuts, strict=True)]


def hedged(clause: str) -> bool:
    """Whether a clause is a request, a wish, a guess or someone else's words rather than the
    user's own assertion ("I might name him Orrin", "she says it's Tuesday")."""
    return bool(_NOT_ASSERTED.search(clause))


def asserted_clauses(text: str) -> list[str]:
    """The clauses a request asserts besides asking, as statements ("My dad was a pilot.")."""
    out: list[str] = []
    subject: str | None = None  # the last kept clause's subject, for "... and had surgery"
    copula = False
    for clause, start, purpose in _clauses(text):
        if not clause or _NOT_ASSERTED.search(clause) or (purpose and subject is None):
            subject = None
            continue
        head = re.match(rf"^(?i:{_SUBJECT}\s|{_OWNED}(?={_VERB}\b))", clause)
        if head:
            statement = _resolve(clause, text[:start])
        elif subject and re.match(r"^(?:\d|a |an |the )", clause, re.I) and copula:
            statement = f"{subject} {clause}"
        elif subject and re.match(rf"^{_CONTINUES}\b", clause, re.I):
            statement = f"{re.sub(r'(?:am|is|are|was|were)$', '', subject).strip()} {clause}"
        else:
            subject = None
            continue
        if not statement:
            subject = None
            continue
        copula = bool(re.match(r"^\S+(?: \S+)*? (?:am|is|are|'m|'re|was|were)\b", statement)
                      or re.match(r"^(?:I'm|we're)\b", statement, re.I))
        subject = _subject_of(statement)
        # "... last year so nothing too hard": what follows a "so" that starts no clause.
        statement = re.sub(rf"\s+so\s+(?!(?i:{_START})).*$", "", statement)
        out.append(statement[0].upper() + statement[1:].rstrip(" .") + ".")
    return out


def _subject_of(statement: str) -> str | None:
    """"My dad was a pilot" -> "My dad was"; "I'm 52" -> "I am"; "We're X" -> "We are"."""
    if m := re.match(r"^(I|we)(?:'m|'re| am| are)\b", statement, re.I):
        return f"{m.group(1)} {'am' if m.group(1) == 'I' else 'are'}"
    if m := re.match(r"^(I|we|(?:my|our) [\w'-]+(?: [\w'-]+)*?)(?= (?:is|was|are|were)\b| "
                     r"[a-z]+(?:s|ed)\b| has\b| have\b| had\b)", statement, re.I):
        copula = re.match(rf"^{re.escape(m.group(1))} (is|was|are|were)\b", statement)
        return f"{m.group(1)} {copula.group(1)}" if copula else m.group(1)
    return None
