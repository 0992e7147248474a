"""Statements saying that something changed, and which earlier statement each one replaces.

"We upgraded the db to v16", "the club switched to Fridays", "my new coach is Ana", "got a new
bike": each is read as its subject (what it is about, by content words: "my book club" and "the
club" are one subject) and its relation, and replaces an earlier statement of the same subject and
relation, or of the same subject with a value of the same kind. `dream.supersession` applies it.
"""

from __future__ import annotations

import re

from dream.textnorm import STOPWORDS, normalize
from dream.value_kinds import same_measure, values

# A word saying that something changed: with it, a statement replaces the one it updates.
CHANGE = re.compile(
    r"\b(?:switched|changed|moved|raised|lowered|upgraded|downgraded|renamed?|replaced|updated|"
    r"increased|decreased|cut|(?:got|bought|have|found) (?:a|an|my|our) new|(?:my|our) new|"
    r"is now|are now|(?:down|up) to|went from|no longer)\b", re.I)
_DET = r"(?:my|our|the|his|her|their|your)"
_ADV = r"(?:(?:just|finally|recently|already|now|officially)\s+)*"
_CHANGE_VERB = (r"changed|switched|moved|raised|lowered|upgraded|downgraded|renamed|replaced|"
                r"updated|increased|decreased|cut")
_FORMS = (  # (pattern, relation): "be" for a new value of the subject, None for any relation
    (re.compile(rf"^(?:i|we)\s+{_ADV}(?:{_CHANGE_VERB})\s+(?:{_DET}\s+)?(?P<subject>[\w\s']+?)\s+"
                rf"(?:from\s+.+?\s+)?to\s+(?P<value>.+)$", re.I), "be"),
    (re.compile(rf"^(?:{_CHANGE_VERB})\s+(?:{_DET}\s+)?(?P<subject>[\w\s']+?)\s+(?:from\s+.+?\s+)?"
                rf"to\s+(?P<value>.+)$", re.I), "be"),
    (re.compile(rf"^{_DET}\s+(?P<subject>[\w\s']+?)\s+{_ADV}(?:{_CHANGE_VERB}|went)\s+"
                rf"(?:from\s+.+?\s+)?to\s+(?P<value>.+)$", re.I), None),
    (re.compile(rf"^{_DET}\s+new\s+(?P<subject>[\w\s']+?)\s+(?:is|are)\s+(?P<value>.+)$",
                re.I), "be"),
    (re.compile(rf"^(?:(?:i|we)\s+)?{_ADV}(?:got|bought|have|found)\s+(?:a|an|{_DET})\s+new\s+"
                rf"(?P<subject>[\w\s']+?)(?P<value>)$", re.I), None),
)
# Subject of a plain statement: a determiner, up to four words, and a verb ("-s" or "-ed").
_SUBJECT = re.compile(rf"^{_DET}\s+(?P<subject>(?:[\w']+\s+){{0,3}}?[\w']+)\s+"
                      r"(?:(?:is|are|was|were|has|have)\b|(?P<verb>[a-z]+(?:s|ed))\b)", re.I)
# One thing named by several words: "handle", "username" and "name" are the same slot.
_NAME_NOUNS = {"handle", "username", "nickname", "alias", "name"}
RENAME = re.compile(r"\brenamed?\s+(?:\w+\s+)?(?P<old>[\w-]+)\s+(?:to|as)\s+(?P<new>[\w-]+)|"
                    r"^(?P<was>[A-Z][\w-]*)\s+is now\s+(?:called\s+)?(?P<now>[A-Z][\w-]*)")


def subject_words(phrase: str) -> frozenset[str]:
    """Content words of a subject, singular, names of an identifier folded to "name"."""
    words = set()
    for word in normalize(phrase).split():
        if word in STOPWORDS:
            continue
        word = word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 3 \
            else word
        words.add("name" if word in _NAME_NOUNS else word)
    return frozenset(words)


def change(clause: str) -> tuple[frozenset[str], str | None, str] | None:
    """(subject words, relation, new value) of a clause saying that something changed."""
    text = clause.strip(" .!,")
    for pattern, relation in _FORMS:
        match = pattern.match(text)
        if match and subject_words(match["subject"]):
            return subject_words(match["subject"]), relation, match["value"]
    return None


def _slot(clause: str, key) -> tuple[frozenset[str], str | None] | None:
    """(subject words, relation) of a plain statement about something (not the user)."""
    found = key(clause)
    if found is not None and len(found) == 2:
        return subject_words(found[0]), found[1]
    match = _SUBJECT.match(clause.strip())
    if match is None:
        return None
    verb = (match["verb"] or "be").lower()
    return subject_words(match["subject"]), "be" if verb == "be" else verb.rstrip("s")


def replaces(new: str, old: str, clauses, key) -> bool:
    """Whether a clause of `new`, saying that something changed, replaces statement `old`: the
    same subject (one's words within the other's) and relation, or any relation when both hold
    a value of one kind; else (no subject in common) an amount of the same unit changed."""
    for clause in clauses(new):
        said = change(clause)
        for part in clauses(old):
            slot = _slot(part, key)
            if said is None or slot is None:
                continue
            (words, relation, value), (was, was_relation) = said, slot
            if not (words <= was or was <= words):
                continue
            if relation is not None and relation == was_relation:
                return True
            if value == "" or any(same_measure(a, b) for a in values(" " + value)
                                  for b in values(part)):
                return True
    return _same_amount(new, old)


def _same_amount(new: str, old: str) -> bool:
    if not re.search(rf"\b(?:{_CHANGE_VERB})\b", new, re.I):
        return False
    amounts = [v for v in values(new) if v[0] == "amount"]
    return any(same_measure(a, b) for a in amounts for b in values(old))
