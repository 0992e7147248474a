"""What a statement is about, and how a newer statement updates the ones before it.

`key` names a statement's slot, its subject and relation ("We live in Oslo" -> ("i", "be", "in")).
`Memory` holds statements in order and applies each new one to them: it adds it, updates an earlier
one in place (a value swapped), or retires earlier ones. `dream.memory` states the rules and reads
sessions into a Memory; `dream.insights.extract_statements` uses one per session.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dream.textnorm import STOPWORDS, clean, contains_phrase, content_tokens, normalize, numbers_in

_ADVERBS = (r"(?:(?:just|now|still|also|really|actually|currently|recently|finally|already|only|"
            r"no longer|never|not)\s+)*")
_VERBS = (r"is|are|am|was|were|has|have|had|moved|relocated|lives?|lived|works?|worked|changed|"
          r"located|based|turned|turns")
# A pronoun subject takes any verb ("I drive a Volvo"); a noun subject one of the listed ones,
# which is where the subject ends ("My daughter Lena is 7").
_PRONOUN_HEAD = re.compile(rf"^(i|we|he|she|it|they)\s+{_ADVERBS}"
                           rf"(?:(?:do|does|did)(?:n't| not)\s+)?([a-z']+)\b\s*(\S*)", re.I)
_TIME_OPENER = re.compile(r"^(?:these days|nowadays|now|currently|lately|today)\s*,?\s*", re.I)
_HEAD = re.compile(rf"^(.{{1,60}}?)\s+{_ADVERBS}({_VERBS})\b\s*(\S*)", re.I)
_BE = {"is", "are", "am", "was", "were", "be", "moved", "relocated", "located", "based", "lives",
       "live", "lived", "turned", "turns", "turn"}
_PRONOUNS = {"i", "he", "she", "it", "they", "you"}
_CONTRACTIONS = {"'m": " am", "'re": " are", "'ve": " have", "'s": " is"}
_CLAUSE = re.compile(r"\s*[,;]\s*|\s+(?:and|but|so)\s+(?=(?:i|we|he|she|they|my|our)\b)", re.I)

# Saying that something changed: a same-slot statement with one of these replaces the older one.
_UPDATE = re.compile(r"\b(?:now|these days|nowadays|currently|moved to|switched to|changed to|"
                     r"just turned|turned|anymore|any more|no longer)\b", re.I)
# Interjections before a correction: "No, ...", "sorry, ...", "actualy ..." (typos too).
_INTERJECTION = re.compile(r"^(?:(?:no|nope|sorry|wait|oops|hmm)\s*[,:;.!-]+\s*|"
                           r"(?:ac?tu?al+y|i meant|correction|update|oh)\b[\s,:;.!-]*)+", re.I)
# Openers of a bare correction ("make that Tuesday", "it's 9 actually").
_OPENER = re.compile(r"^(?:(?:make|change) (?:that|it)(?: to)?|(?:it|that)(?:'s| is| was| should "
                     r"be| will be)|i meant(?: to say)?|i mean|rather|or rather)\s+", re.I)
_TRAILER = re.compile(r"[\s,]*\b(?:now|then|actually|instead|though|sorry|lol|please|i think)"
                      r"[\s.!]*$", re.I)
_SWAPS = (  # "not Y but X", "X, not Y", "X instead of Y"
    re.compile(r"^(?:(?:it|that)(?:'s| is| was)\s+)?not\s+(?P<old>.+?),?\s+but\s+(?P<new>.+)$",
               re.I),
    re.compile(r"^(?P<new>.+?),?\s+(?:and\s+)?not\s+(?P<old>.+)$", re.I),
    re.compile(r"^(?P<new>.+?)\s+instead of\s+(?P<old>.+)$", re.I),
)
_ENDED = re.compile(r"^(?:i|we)\s+(?:(?:just|recently|finally|already)\s+)*(?:left|quit|resigned "
                    r"from|sold|moved (?:out of|away from)|gave up|broke up with|divorced|"
                    r"stopped (?:working|studying) (?:at|for))\s+(?:my\s+|our\s+|the\s+)?(.+)$",
                    re.I)
_OBJECT_END = re.compile(r"[,;]|\s+(?:in|on|at|last|this|after|because|since|and|to|for|when|"
                         r"ago|as|two|three|a|an)\b", re.I)
_NO_LONGER = re.compile(r"\bno longer\b|\b(?:any ?more|any longer)\s*$", re.I)
_NEGATION = re.compile(r"\b(?:no longer|do not|don't|does not|doesn't|not|any ?more|any longer)"
                       r"\b\s*", re.I)
_VALUE = re.compile(
    r"(?<![\w:])(?:(?P<time>\d{1,2}(?::\d{2})?\s*(?i:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2})"
    r"|(?P<day>(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)days?))"
    r"|(?P<month>(?i:january|february|march|april|june|july|august|september|october|november"
    r"|december)|May)"
    r"|(?P<number>\d+(?:[.,]\d+)*|(?i:zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)))"
    r"(?![\w:])"
    r"|(?<=\s)(?!I\b|I')(?P<name>[A-Z][\w'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]*)*)")
_FILLER = {"the", "a", "an", "of", "de", "years", "year", "old", "pm", "am"}


def _expand(text: str) -> str:
    return re.sub(r"(?<=[a-z])('m|'re|'ve|'s)\b(?= +(?:not\b|[a-z0-9]))",
                  lambda m: _CONTRACTIONS[m.group(1)], text, flags=re.I)


def _lemma(verb: str) -> str:
    if verb in _BE:
        return "be"
    if verb in {"has", "have"}:
        return "have"
    if verb.endswith("ing") and len(verb) > 5:
        return verb[:-3]
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") and not verb.endswith("ss") else verb


def _head(statement: str) -> re.Match[str] | None:
    text = _TIME_OPENER.sub("", _expand(clean(statement)))
    return _PRONOUN_HEAD.match(text) or _HEAD.match(text)


def key(statement: str) -> tuple[str, ...] | None:
    """What a statement is about: its subject and main verb (being somewhere counts as "be";
    "we" is the user as much as "I" is).

    For pronoun subjects ("I am 34", "I am a nurse") the kind of complement joins the key, since
    "I" says too little on its own: a number, or the first word (a preposition or article).
    """
    match = _head(statement)
    if not match:
        return None
    subject = " ".join(w for w in normalize(match.group(1)).split() if w not in {"my", "our"})
    subject = "i" if subject == "we" else subject
    verb = _lemma(normalize(match.group(2)).replace(" ", "") or "s")
    if subject not in _PRONOUNS:
        return (subject, verb)
    after = normalize(match.group(3))
    if verb == "be" and after == "to":  # "I moved to Bergen" is where "I live in Oslo" was
        after = "in"
    return (subject, verb, "#" if numbers_in(after) else after)


def clauses(statement: str) -> list[str]:
    """A statement's clauses ("I left Deloitte, I work at KPMG now" has two)."""
    return [c for c in _CLAUSE.split(statement.rstrip(" .!;")) if c]


def values(text: str) -> list[tuple[str, re.Match[str]]]:
    """(type, match) for each value in `text`: a time, day, month, number, or capitalised name
    (not the first word: every sentence starts with a capital)."""
    return [(m.lastgroup or "", m) for m in _VALUE.finditer(text)]


def _value_phrase(text: str) -> bool:
    words = normalize(text).split()
    return 0 < len(words) <= 4 and all(w not in STOPWORDS or w in _FILLER for w in words)


def _same_slot(new: str, old: str) -> bool:
    """Some clause of `new` and of `old` say the same thing of the same subject. Noun subjects
    match when one names the other ("my daughter" and "my daughter Lena") and they carry a value
    of the same kind."""
    for a in map(key, clauses(new)):
        for b in map(key, clauses(old)):
            if a is None or b is None or a[1] != b[1]:
                continue
            if a == b:
                return True
            small, large = sorted((set(a[0].split()), set(b[0].split())), key=len)
            if len(a) == len(b) == 2 and small and small < large and \
                    {t for t, _ in values(new)} & {t for t, _ in values(old)}:
                return True
    return False


def _same_relation(new: str, old: str) -> bool:
    """Same subject and verb, whatever the complement ("I drink tea" and "I drink coffee")."""
    a, b = key(new), key(old)
    return a is not None and b is not None and a[:2] == b[:2]


def _negated(text: str) -> bool:
    return bool(re.search(r"\b(?:not|never|no longer)\b|n't\b", text, re.I))


@dataclass
class Known:
    """A statement held in memory: the text, its kind, and where it came from (an index into
    the statements a Memory started with; None for ones learnt since)."""

    statement: str
    kind: str
    origin: int | None = None


class Memory:
    """Statements known so far, in order, updated by each new statement (see `dream.memory`)."""

    def __init__(self, known: Iterable[tuple[str, str]] = ()) -> None:
        self.known = [Known(s, k, i) for i, (s, k) in enumerate(known)]
        self.superseded: set[int] = set()
        """Origins of starting statements since retired or rewritten."""

    def pairs(self) -> list[tuple[str, str]]:
        return [(k.statement, k.kind) for k in self.known]

    def learn(self, statement: str, kind: str | None, corrects: bool | None = None) -> None:
        """Apply one new statement: `kind` None for a sentence that is no statement by itself
        (only a bare correction of one may apply); `corrects` whether the user said it as a
        correction (defaults to kind "correction")."""
        body = _INTERJECTION.sub("", clean(statement)).rstrip(" .!;,")
        body = body[:1].upper() + body[1:]
        corrects = kind == "correction" if corrects is None else corrects
        signal = corrects or bool(_UPDATE.search(body) or _OPENER.match(body))
        if (kind or signal) and self._swap(body, kind or "correction", signal):
            return
        if signal and self._revise(body):
            return
        if kind is None or not body:
            return
        for clause in clauses(body):
            self._retire_ended(clause)
        if signal:
            self._retire_clauses(lambda c: _same_slot(body, c))
        # The same thing said the other way round ("I like X" / "I don't like X"): the newer wins.
        self._retire_clauses(lambda c: key(c) is not None and key(c) == key(body)
                             and _negated(c) != _negated(body))
        self._retire(lambda k: normalize(k.statement) == normalize(body))
        self.known.append(Known(body + ".", kind))

    def _retire(self, test) -> None:
        for k in [k for k in self.known if test(k)]:
            self._forget(k)
            self.known.remove(k)

    def _retire_clauses(self, test) -> None:
        """Retire the clauses `test` picks; a statement keeps its other clauses when each of
        them still says something (has a subject and verb), else it goes whole."""
        for k in list(self.known):
            parts = clauses(k.statement)
            rest = [c for c in parts if not test(c)]
            if len(rest) == len(parts):
                continue
            self._forget(k)
            if rest and all(key(c) for c in rest):
                k.statement = ", ".join(rest)[:1].upper() + ", ".join(rest)[1:] + "."
            else:
                self.known.remove(k)

    def _forget(self, known: Known) -> None:
        if known.origin is not None:
            self.superseded.add(known.origin)
            known.origin = None

    def _latest(self, test) -> Known | None:
        return next((k for k in reversed(self.known) if test(k)), None)

    def _swap(self, body: str, kind: str, signal: bool) -> bool:
        """"X, not Y" / "not Y but X" / "X instead of Y": the latest statement holding Y now says
        X (X a value), or gives way to X (X a statement of the same slot, or said as a
        correction)."""
        for pattern in _SWAPS:
            match = pattern.match(body)
            if not match:
                continue
            new = _TRAILER.sub("", _OPENER.sub("", match["new"])).strip(" ,")
            old = _TRAILER.sub("", re.split(r"[,;]", match["old"])[0]).strip(" ,")
            if not _value_phrase(old):
                continue
            held = self._latest(lambda k, old=old: contains_phrase(k.statement, old))
            if held is None:
                return False
            if _value_phrase(new):
                return self._replace(held, re.search(
                    rf"(?<!\w){re.escape(old)}(?!\w)", held.statement, re.I), new)
            if signal or _same_relation(new, held.statement):
                self._forget(held)
                self.known.remove(held)
                self.known.append(Known(new + ".", kind))
                return True
        return False

    def _revise(self, body: str) -> bool:
        """A bare value ("no, 9 now", "make that Tuesday") or a pronoun statement carrying one
        value ("she just turned 9"): it replaces a value of the same kind in the latest
        statement holding one (about someone else than the user, for he/she/it/they)."""
        fragment = _TRAILER.sub("", _OPENER.sub("", body)).strip(" ,")
        found = values(" " + fragment)
        if _value_phrase(fragment) and len(found) == 1:
            kind, value = found[0]
            before = None
            about_others = False
        else:
            head = _head(body)
            found = values(body)
            if head is None or normalize(head.group(1)) not in {"he", "she", "it", "they"} \
                    or len(found) != 1:
                return False
            kind, value = found[0]
            before = body[:value.start()].split()[-1:]
            about_others = True

        def holds(k: Known) -> bool:
            subject = key(k.statement)
            return any(t == kind for t, _ in values(k.statement)) and not (
                about_others and subject is not None and subject[0] == "i")

        held = self._latest(holds)
        if held is None:
            return False
        spans = [m for t, m in values(held.statement) if t == kind]
        same_place = [m for m in spans if before and
                      held.statement[:m.start()].split()[-1:] == before]
        return self._replace(held, (same_place or spans)[-1], value.group().strip())

    def _replace(self, held: Known, span: re.Match[str] | None, new: str) -> bool:
        if span is None:
            return False
        if span.group()[:1].isupper() and new[:1].islower():
            new = " ".join(w[:1].upper() + w[1:] for w in new.split())
        self._forget(held)
        held.statement = held.statement[:span.start()] + new + held.statement[span.end():]
        held.kind = "correction"
        return True

    def _retire_ended(self, clause: str) -> None:
        """"I left Deloitte" retires what mentions Deloitte; "I no longer work there", "I'm not
        vegetarian anymore" what states that relation (of that object, when one is named)."""
        clause = _expand(clause)
        ended = _ENDED.match(clause)
        if ended:
            what = _OBJECT_END.split(ended.group(1))[0].strip()
            if what:
                self._retire(lambda k: contains_phrase(k.statement, what)
                             and not _ENDED.match(_expand(k.statement)))
            return
        if not _NO_LONGER.search(clause):
            return
        positive = _NEGATION.sub("", clause).strip()
        head, slot = _head(positive), key(positive)
        if head is None or slot is None or slot[0] != "i":
            return
        named = content_tokens(positive[head.end(2):]) - {"there", "here"}
        self._retire_clauses(lambda c: (other := key(c)) is not None and other[:2] == slot[:2]
                             and (not named or bool(named & content_tokens(c))))
