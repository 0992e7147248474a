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

from dream.changes import CHANGE, RENAME, replaces
from dream.textnorm import (
    STOPWORDS,
    clean,
    contains_phrase,
    content_tokens,
    normalize,
    numbers_in,
)
from dream.value_kinds import value_phrase, values

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
# Interjections before a correction: "No, ...", "sorry, ...", "oops typo", "hm actually",
# "changed my mind", "my bad" ("actualy": typos too).
_INTERJECTION = re.compile(
    r"^(?:(?:no|nope|nah|sorry|wait|oops|hm+|ah|oh|well|ok)\s*[,:;.!-]+\s*|"
    r"(?:no|nope|nah)\s+(?=wait\b|sorry\b|its?\b|it's\b|that'?s\b|i meant?\b|i'?m\b|"
    r"we'?re\b|i\b|we\b|my\b|our\b)|"
    r"(?:ac?tu?al+y|i meant|i mean|correction|update|oh|ah|hm+|oops|typo|sorry|wait|well|"
    r"lol|haha|lmao|ha|ugh|change of plans?|nvm|nevermind|never mind|"
    # "that's the old one": the value said before is out of date.
    r"(?:that'?s|thats|that was|those are) (?:the |my |our )?old(?: one| ones)?|"
    r"my bad|scratch that|changed my mind|i changed my mind)\b[\s,:;.!-]*)+", re.I)
# Openers of a bare correction ("make that Tuesday", "it's 9 actually", "down to 80kg").
_OPENER = re.compile(r"^(?:(?:make|change) (?:that|it)(?: to)?|(?:it|that)(?:'s| is| was| should "
                     r"be| will be)|its|i meant(?: to say)?|i mean|rather|or rather|"
                     r"(?:down|up) to)\s+", re.I)
_TRAILER = re.compile(r"[\s,]*\b(?:now|then|actually|instead|though|sorry|lol|please|i think|"
                      r"specifically|haha)[\s.!]*$", re.I)
_SWAPS = (  # "not Y but X", "X, not Y", "X instead of Y"
    re.compile(r"^(?:(?:it|that)(?:'s| is| was)\s+)?not\s+(?P<old>.+?),?\s+but\s+(?P<new>.+)$",
               re.I),
    re.compile(r"^(?P<new>.+?),?\s+(?:and\s+)?not\s+(?P<old>.+)$", re.I),
    re.compile(r"^(?P<new>.+?)\s+instead of\s+(?P<old>.+)$", re.I),
    re.compile(r"^not\s+(?P<old>[^,]+?),\s*(?:it|that)(?:'s| is)\s+(?P<new>.+)$", re.I),
)
_ENDED = re.compile(r"^(?:(?:i|we)\s+)?(?:(?:just|recently|finally|already)\s+)*(?:left|quit|"
                    r"resigned from|sold|moved (?:out of|away from)|gave up|broke up with|divorced|"
                    r"stopped (?:working|studying) (?:at|for))\s+(?:my\s+|our\s+|the\s+)?(.+)$",
                    re.I)
# "we moved from Slack to Zulip": a change from one value to another.
_TRANSITION = re.compile(
    r"\b(?:moved|migrated|switched|changed|went|upgraded|downgraded|shifted|swapped|converted|"
    r"transferred|relocated|graduated)\s+(?:(?:over|back|all|jobs|teams)\s+)?"
    r"(?P<from>from\s+(?P<old>[^,;]+?)\s+)(?:to|into|for|over to)\s+(?P<new>[^,;]+)", re.I)
# Something that was moved to a new value: "the launch got pushed to 2 june".
_MOVED = re.compile(
    r"^(?:the |our |my |their )?(?P<subject>[\w' -]{2,40}?)\s+(?:got |was |has been |is |'s |"
    r"been |just |now )*(?:pushed|moved|postponed|delayed|rescheduled|bumped|brought forward|"
    r"changed|shifted)(?: back| up| forward| out)?\s+(?:to|till|until)\s+(?P<value>.+)$", re.I)
# Verbs that say a first-person value changed ("we switched to wednesdays").
_CHANGE_VERBS = {"switched", "changed", "moved", "went", "shifted", "swapped", "upgraded",
                 "downgraded", "transferred", "relocated", "turned"}
_SPLIT_UP = re.compile(r"^(?P<who>[\w' ]{1,40}?) and (?:i|we) (?:just |finally )?"
                       r"(?:broke up|split up|divorced|separated)\b", re.I)
# Someone or something gone for good: "so biscuit died :(", "Rex passed away last week", "i
# killed Tavian off in chapter 3", "we had to put Momo down".
_DIED = re.compile(
    # "For the book: I killed Tavian off": a frame may come first.
    r"^(?:(?:update )?(?:in|for) (?:the|my|our) [\w' -]+?[:,]\s*)?(?:"
    r"(?:so |sadly |unfortunately )?(?P<who>[A-Z][\w'-]*(?: [A-Z][\w'-]*)?|[a-z][\w'-]+)"
    r"\s+(?:has |just |sadly )*(?:died|passed away|passed on|is dead|was put down|ran away)\b"
    r"|(?:(?:i|we)\s+)?(?:just |finally )?(?:killed|put)\s+(?P<whom>[A-Z]?[\w'-]+)\s+"
    r"(?:off|down)\b)", re.I)
_POSSESSIVE = re.compile(r"^(?P<whose>ours|mine|his|hers|theirs)\s+(?:is|are|was)\s+(?:called\s+|"
                         r"named\s+)?(?P<value>.+)$", re.I)
_THIRD_PERSON = {"he", "she", "it", "they", "his", "her", "their", "its"}
_LAST_WORD = re.compile(r"\b(?:is|called|named) [\w.@-]+\.?$", re.I)
_OWNER = {"ours": "our", "mine": "my", "his": "his", "hers": "her", "theirs": "their"}
_OBJECT_END = re.compile(r"[,;]|\s+(?:in|on|at|last|this|after|because|since|and|to|for|when|"
                         r"ago|as|two|three|a|an)\b", re.I)
_NO_LONGER = re.compile(r"\bno longer\b|\b(?:any ?more|any longer)\s*$", re.I)
_NEGATION = re.compile(r"\b(?:no longer|do not|don't|does not|doesn't|not|any ?more|any longer)"
                       r"\b\s*", re.I)
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


def _first_clause(text: str) -> str:
    """The first clause of `text`, without a trailing "now", "actually" ...; "" when there is
    none (a body of punctuation only)."""
    return _TRAILER.sub("", next(iter(clauses(text)), "")).strip(" ,")


def _revision(body: str) -> tuple[str, re.Match[str], set[str], bool] | None:
    """(kind, value, words next to it, about someone else) of a bare value or a third-person
    statement with one value; None for anything else (a swap, "X, not Y", names its own)."""
    if any(pattern.match(body) for pattern in _SWAPS):
        return None
    fragment = _first_clause(_OPENER.sub("", body) or body)
    # How it is spelled is no second value: "Carl with a C", "Zoe, spelled with an e".
    fragment = re.sub(r",?\s+(?:spelled|spelt|written)?\s*with an? [a-z]\b.*$", "", fragment,
                      flags=re.I)
    found = values(" " + fragment)
    if len(found) > 1 and found[0][0] == "name" and found[0][1].start() == 1:
        # The capital the sentence starts with names nothing: "Year 6 actually".
        fragment = fragment[:1].lower() + fragment[1:]
        found = values(" " + fragment)
    if value_phrase(fragment) and len(found) == 1:
        return found[0][0], found[0][1], _neighbours(" " + fragment, found[0][1]), False
    head = _head(body)
    found = values(body)
    first = normalize(head.group(1)).split()[:1] if head else []
    if not first or first[0] not in _THIRD_PERSON or len(found) != 1:
        return None
    return found[0][0], found[0][1], set(body[:found[0][1].start()].lower().split()[-1:]), True


def _neighbours(text: str, value: re.Match[str]) -> set[str]:
    """The words either side of a value ("year" in "year 6", "kids" in "3 kids")."""
    return {w for w in (text[:value.start()].lower().split()[-1:]
                        + text[value.end():].lower().split()[:1])
            if w.strip(".,!") not in {"the", "a", "an", "is", "at", "on", "in", "to"}}


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
        if (kind or signal) and (self._swap(body, kind or "correction", signal)
                                 or self._instead(body, kind or "correction")):
            return
        if signal and (self._possessive(body) or self._revise(body) or self._rephrase(body)):
            return
        if (corrects or _MOVED.match(body)) and (self._restate(body) or self._moved(body)):
            return
        if kind is None or not body:
            return
        self._retire_transitioned(body)
        self._retire_renamed(body)
        for clause in clauses(body):
            self._retire_ended(clause)
        if signal:
            resolved = self._resolve(body)
            before = [k.statement for k in self.known]
            self._retire_clauses(lambda c: _same_slot(resolved, c))
            if resolved != body and before != [k.statement for k in self.known]:
                # "wait no it's Carl with a C" replaced "My brother's name is Karl": kept as
                # "My brother's name's Carl with a C", which says whose it is.
                body = resolved
        if CHANGE.search(body):
            self._retire_clauses(lambda c: replaces(body, c, clauses, key))
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
            if not value_phrase(old):
                continue
            held = self._latest(lambda k, old=old: contains_phrase(k.statement, old))
            bare = re.sub(r"^(?:the|a|an|my|our)\s+", "", old, flags=re.I)
            if held is None and bare != old and value_phrase(bare):
                # "instead of the half" names "the Corrin Bay half marathon" by its last words.
                held = self._latest(lambda k, old=bare: contains_phrase(k.statement, old))
                old = bare
            if held is None:
                return False
            if value_phrase(new):
                return self._replace(held, re.search(
                    rf"(?<!\w){re.escape(old)}(?!\w)", held.statement, re.I), new)
            if signal or _same_relation(new, held.statement):
                self._forget(held)
                self.known.remove(held)
                self.known.append(Known(new + ".", kind))
                return True
        return False

    def _instead(self, body: str, kind: str) -> bool:
        """"signed up for the full marathon instead": the latest statement naming the same
        thing ("a half marathon in april") gives way to the new one."""
        match = re.match(r"^(?P<new>[^,;]+?)\s+instead\b[\s,;.!]*(?P<rest>.*)$", body, re.I)
        if not match or " of " in match["rest"][:4]:
            return False
        head = normalize(match["new"]).split()[-1:]
        if not head or head[0] in STOPWORDS:
            return False
        held = self._latest(lambda k: head[0] in normalize(k.statement).split())
        if held is None:
            return False
        self._forget(held)
        self.known.remove(held)
        said = match["new"] + (", " + match["rest"].rstrip(" .") if match["rest"] else "")
        self.known.append(Known(said + ".", kind))
        return True

    def _revise(self, body: str) -> bool:
        """A bare value ("no, 9 now", "make that Tuesday", "the 6th", "4 kids") or a third-person
        statement carrying one value ("she just turned 9", "her name is Ada now"): it replaces a
        value of the same kind in the latest statement holding one (about someone else than the
        user, for he/she/it/they), where the same word stands next to it if one does."""
        target = _revision(body)
        if target is None:
            return False
        kind, value, near, about_others = target

        def holds(k: Known) -> bool:
            subject = key(k.statement)
            return any(t == kind for t, _ in values(k.statement)) and not (
                about_others and subject is not None and subject[0] == "i")

        held = self._latest(holds)
        if held is None:
            return kind == "handle" and self._replace_last_word(value.group().strip())
        spans = [m for t, m in values(held.statement) if t == kind]
        same_place = [m for m in spans if near & _neighbours(held.statement, m)]
        return self._replace(held, (same_place or spans)[-1], value.group().strip())

    def _restate(self, body: str) -> bool:
        """"scratch that, we switched to wednesdays": said as a correction, a first-person clause
        with one value and a verb of change replaces a value of that kind in the latest statement
        about the user or what is theirs ("We do standup every monday" -> "... every
        wednesdays"; "our retro is every friday")."""
        first = _first_clause(body)
        head, slot, found = _head(first), key(first), values(first)
        if head is None or slot is None or slot[0] != "i" or len(found) != 1 or \
                normalize(head.group(2)) not in _CHANGE_VERBS:
            return False
        if any(_same_slot(first, k.statement) for k in self.known):
            return False  # "We moved to Nantes" after "We live in Lyon": the new one stands
        kind, value = found[0]
        held = self._latest(lambda k: key(k.statement) is not None
                            and normalize(k.statement).split()[:1] in (["i"], ["we"], ["my"],
                                                                       ["our"])
                            and any(t == kind for t, _ in values(k.statement)))
        if held is None:
            return False
        spans = [m for t, m in values(held.statement) if t == kind]
        return self._replace(held, spans[-1], value.group().strip())

    def _moved(self, body: str) -> bool:
        """"The launch got pushed to 2 june" ("it got delayed to 11am"): the latest statement
        about the launch (about anything, for "it") holding a value of that kind now holds the
        new one."""
        moved = _MOVED.match(_first_clause(body))
        found = values(" " + moved["value"]) if moved else []
        if not moved or len(found) != 1:
            return False
        subject = normalize(moved["subject"]).split()[-1:]
        if subject and subject[0] in _PRONOUNS - {"it"} | {"we", "you"}:
            return False  # people who moved: the same-slot rules read "we moved to Nantes"
        anything = subject in (["it"], ["that"], ["this"])  # the latest, whatever it is
        kind, value = found[0]
        held = self._latest(lambda k: bool(subject) and (anything or contains_phrase(
            k.statement, subject[0])) and any(t == kind for t, _ in values(k.statement)))
        spans = [m for t, m in values(held.statement) if t == kind] if held else []
        return held is not None and self._replace(held, spans[-1], value.group().strip())

    def _retire_transitioned(self, body: str) -> None:
        """"We moved from Plinko to Zulip": what held the old value goes. The statement keeps
        its "from" (a later session's memory retires by it too)."""
        change = _TRANSITION.search(body)
        if change is None or len(change["old"].split()) > 4:
            return
        old = re.sub(r"^(?:the|my|our|a|an)\s+", "", change["old"].strip(), flags=re.I)
        self._retire_clauses(lambda c: contains_phrase(c, old) and not _TRANSITION.search(c))

    def _replace_last_word(self, new: str) -> bool:
        """A handle ("jdoe2") replaces the one word a latest "... is jdoe" ends with."""
        held = self._latest(lambda k: _LAST_WORD.search(k.statement) is not None)
        return held is not None and self._replace(
            held, re.search(r"[\w.@-]+?(?=\.?$)", held.statement), new)

    def _rephrase(self, body: str) -> bool:
        """"I mean the upper valley": a bare "the ..." phrase replaces the last "the ..." phrase
        of the latest statement's first clause."""
        fragment = _first_clause(body)
        fragment = fragment[:1].lower() + fragment[1:]  # the sentence's own capital
        if not re.fullmatch(r"the(?: [a-z'-]+){1,5}", fragment) or values(" " + fragment):
            return False
        held = self._latest(lambda k: " the " in next(iter(clauses(k.statement)), "").lower())
        if held is None:
            return False
        first = clauses(held.statement)[0]
        start = first.lower().rindex(" the ") + 1
        return self._replace(held, re.compile(re.escape(first[start:])).search(held.statement),
                             fragment)

    def _possessive(self, body: str) -> bool:
        """"Ours is Pickle" (as a correction): the latest statement about "our ..." holding a
        value of that kind now says it."""
        match = _POSSESSIVE.match(body)
        found = values(" " + match["value"]) if match else []
        if not match or len(found) != 1:
            return False
        owner = _OWNER[match["whose"].lower()]
        kind, value = found[0]
        held = self._latest(lambda k: normalize(k.statement).split()[:1] == [owner]
                            and any(t == kind for t, _ in values(k.statement)))
        spans = [m for t, m in values(held.statement) if t == kind] if held else []
        return held is not None and self._replace(held, spans[-1], value.group().strip())

    def _resolve(self, body: str) -> str:
        """`body` with a he/she/it/they subject read as the latest statement's noun subject
        ("he moved to Leeds" after "my uncle lives in York": "my uncle moved to Leeds")."""
        head = _head(body)
        if head is None or normalize(head.group(1)) not in {"he", "she", "it", "they"}:
            return body
        for known in reversed(self.known):
            earlier = _head(known.statement)
            if earlier is not None and (key(known.statement) or ("i",))[0] not in _PRONOUNS:
                return earlier.group(1) + body[len(head.group(1)):]
        return body

    def _replace(self, held: Known, span: re.Match[str] | None, new: str) -> bool:
        if span is None:
            return False
        if span.group()[:1].isupper() and new[:1].islower():
            new = " ".join(w[:1].upper() + w[1:] for w in new.split())
        self._forget(held)
        held.statement = held.statement[:span.start()] + new + held.statement[span.end():]
        held.kind = "correction"
        return True

    def _retire_renamed(self, body: str) -> None:
        """"We renamed A to B", "A is now B", "A and I broke up", "A died": what names A
        goes."""
        gone = RENAME.search(body) or _SPLIT_UP.match(body) or _DIED.match(body)
        if gone:
            what = next(g for g in (gone.groupdict().get(n) for n in ("old", "was", "who",
                                                                       "whom")) if g)
            if what.lower() not in _PRONOUNS | {"we", "my", "our", "the"}:
                self._retire(lambda k: contains_phrase(k.statement, what))

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
