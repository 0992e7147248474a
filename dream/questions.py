"""Questions derived from a user's statement by general English patterns, with checkers.

"My dog's name is Biscuit and she is 7." gives "What is my dog's name?" (Biscuit) and "How old is
Biscuit?" (7). Patterns cover naming, age, counts, founding/creation, birth, location and moves,
work, likes, and plain copulas ("X is Y"); expected answers are cut from the statement itself, so
a checker never depends on the model. A statement no pattern fits simply yields no questions.
"""

from __future__ import annotations

import re

from dream.derived import Derived
from dream.rewordings import learning_topic, reword
from dream.spans import DET, MONTH, checker_for, trim
from dream.textnorm import STOPWORDS
from dream.vocabulary import ANIMATE, PEOPLE

_NUMWORD = r"\d{1,3}|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
           r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty"
_WHEN = re.compile(rf"^(?:on |at |in )?(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                   rf"Sunday)s?\b|{MONTH}\b|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH}\b|"
                   rf"\d{{1,2}}(?::\d\d)?\s*(?:am|pm)\b|noon\b|midnight\b)", re.I)
_IS = r"(?:\s+(?:is|am|are)|'s|'m|'re)"  # "I am", "I'm", "she's": a copula, spelled out or not
_ADJECTIVE = re.compile(r"^(?:\w+(?:ly|ful|ous|ive|able|ible|al|ic|ish|less|ent|ant|y)|big|small|"
                        r"old|new|tall|short|good|bad|nice|great|fine|busy|tired|sick|ready|sure|"
                        r"sad|late|early|open|closed|smart|fast|slow|cute|quiet|loud|young|done)$")
_PLACE_KIND = r"(?:the |a |an )?(?:small |little |big )?(?:town|city|village|country|region|" \
              r"state|province|county|island|valley|neighbou?rhood|district) of"
# Past tenses a fallback question needs in their base form ("grew up" -> "did ... grow up").
_IRREGULAR = {"grew": "grow", "went": "go", "met": "meet", "spent": "spend", "took": "take",
              "bought": "buy", "found": "find", "left": "leave", "came": "come", "got": "get",
              "made": "make", "saw": "see", "wrote": "write", "ran": "run", "taught": "teach",
              "studied": "study", "kept": "keep", "began": "begin", "learned": "learn",
              "learnt": "learn", "built": "build", "sold": "sell", "drove": "drive",
              "flew": "fly", "lived": "live", "worked": "work", "stayed": "stay"}
_ACTIVE = {"founded": "founded", "co-founded": "co-founded", "cofounded": "co-founded",
           "established": "established", "started": "started", "created": "created",
           "built": "built", "invented": "invented", "written": "wrote", "designed": "designed",
           "discovered": "discovered", "opened": "opened", "launched": "launched",
           "formed": "formed", "made": "made", "painted": "painted", "composed": "composed",
           "directed": "directed"}


def _np(subject: str) -> str:
    """A subject as it sits mid-question: determiners lowercased, "I" kept."""
    subject = trim(subject)
    if subject.lower() in {"we", "they", "you"}:
        return subject.lower()
    if re.match(rf"^{DET}\b", subject, re.I):
        return subject[0].lower() + subject[1:]
    return "I" if subject.lower() == "i" else subject


def _plural(np: str) -> bool:
    last = np.split()[-1].lower()
    return np.lower() in {"we", "you", "they"} or (
        bool(re.match(rf"^{DET}\s", np, re.I)) and last.endswith("s")
        and not last.endswith(("ss", "'s", "us")))


def _be(np: str) -> str:
    return "am" if np == "I" else "are" if _plural(np) else "is"


def _do(np: str) -> str:
    return "do" if np == "I" or _plural(np) else "does"


def _possessive(np: str) -> str:
    return {"I": "my", "we": "our"}.get(np, f"{np}'" if np.endswith("s") else f"{np}'s")


def _head_noun(np: str) -> str:
    words = re.findall(r"[a-z]+", np.lower())
    return words[-1] if words else ""


def _is_person(np: str) -> bool:
    return np in {"I", "we"} or _head_noun(np) in PEOPLE


def _is_name(np: str) -> bool:
    """"Mara", "Dr. Smith", "Velvet Moss": every word capitalised, not a sentence opener."""
    words = np.split()
    return bool(words) and all(re.match(r"^[A-Z]", w) for w in words) and \
        words[0].lower() not in STOPWORDS | {"on", "in", "at", "it", "this", "there"}


def _aliases(subject: str) -> list[str]:
    """"Our company, Zentrix," is both "Zentrix" and "our company"."""
    match = re.match(r"^(.+?),\s*([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*),?$", subject.strip())
    if match:
        return [match.group(2), _np(match.group(1))]
    return [_np(subject)]


def _q(question: str, answer: str, subject: str, relation: str, **extra: object) -> Derived:
    question = question[0].upper() + question[1:]
    checker = checker_for(answer)
    number = float(checker["value"]) if checker["type"] == "number" else None
    return Derived(question, trim(answer), checker, subject, relation, number, dict(extra))


def _creation(subj: str, verb: str, rest: str) -> list[Derived]:
    out: list[Derived] = []
    by = re.search(r"\bby ([^,]+?)(?= in \b| on \b|$)", rest)
    year = re.search(r"\bin (\d{4})\b", rest)
    place = re.search(rf"\bin (?:{_PLACE_KIND} )?((?:the )?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)",
                      rest)
    for np in _aliases(subj):
        be = "were" if _plural(np) else "was"
        if verb == "born":
            if year:
                out += [_q(f"When {be} {np} born?", year.group(1), np, "born_year"),
                        _q(f"In what year {be} {np} born?", year.group(1), np, "born_year")]
            if place:
                out.append(_q(f"Where {be} {np} born?", place.group(1), np, "born_place"))
            continue
        if by and by.group(1).lower() not in {"me", "us"}:
            out.append(_q(f"Who {_ACTIVE[verb]} {np}?", by.group(1), np, "creator"))
        if year:
            out += [_q(f"When {be} {np} {verb}?", year.group(1), np, "created_year", verb=verb),
                    _q(f"In what year {be} {np} {verb}?", year.group(1), np, "created_year",
                       verb=verb)]
        if place:
            out.append(_q(f"Where {be} {np} {verb}?", place.group(1), np, "created_place"))
    aliases = _aliases(subj)
    if len(aliases) == 2:
        out.append(_q(f"What is the name of {aliases[1]}?", aliases[0], aliases[1], "name"))
    return out


def _copula(subj: str, cop: str, comp: str) -> list[Derived]:
    np, comp = _np(subj), trim(comp)
    if not comp or np.lower() in {"it", "this", "that", "there", "he", "she", "they"}:
        return []
    cop = _be(np) if cop in {"is", "are", "am", "'s", "'m", "'re"} else cop
    location = re.match(r"^(?:located |based )?(?:in|at) ((?:the )?(?:[A-Z\d]).*)$", comp)
    if _WHEN.match(comp):
        return [_q(f"When {cop} {np}?", re.sub(r"^(?:on|at|in) ", "", comp), np, "when")]
    if location:
        return [_q(f"Where {cop} {np}?", location.group(1), np, "location")]
    if np in {"I", "we"} or re.match(r"^(?:in|at|on|from|with|to|for|not|very|so)\b", comp):
        return []
    proper = _is_name(np)
    possessed = bool(re.match(r"^(?:my|our|the|his|her|their)\b|^[A-Z][\w-]*'s ", np))
    comp_defined = bool(re.match(r"^(?:my|our|the|his|her|their)\b", comp, re.I))
    out: list[Derived] = []
    if proper and re.match(rf"^{DET}\s", comp, re.I):
        who = "Who" if _is_person(comp) else "What"
        out.append(_q(f"{who} {cop} {np}?", comp, np, "identity"))
        if comp_defined:
            out.append(_q(f"{who} {cop} {_np(comp)}?", np, _np(comp), "identity"))
    elif possessed and not _ADJECTIVE.match(comp.lower()) and len(comp.split()) <= 8:
        who = "Who" if _is_person(np) and re.match(r"^[A-Z]", comp) else "What"
        out.append(_q(f"{who} {cop} {np}?", comp, np, "attribute"))
    return out


def _base_form(past: str) -> str:
    """"grew" -> "grow", "studied" -> "study", "moved" -> "move", "stopped" -> "stop"."""
    if past in _IRREGULAR:
        return _IRREGULAR[past]
    if past.endswith("ied"):
        return past[:-3] + "y"
    stem = past[:-2]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem + "e" if stem.endswith(("v", "c", "z", "s")) else stem


def _names(c: str) -> list[Derived] | None:
    """"My name is Maya", "My dog's name is Biscuit", "I have a cat called Tom"."""
    if m := re.match(r"^(?:my|our) name is (.+)$|^call me (.+)$", c, re.I):
        name = m.group(1) or m.group(2)
        return [_q("What is my name?", name, "I", "name"),
                _q("What should you call me?", name, "I", "name")]
    if m := re.match(r"^(.+?)'s name is (.+)$|^(.+?)(?: is|'s| was) (?:called|named|code-named|"
                     r"codenamed|nicknamed) (.+)$", c, re.I):
        owner, name = _np(m.group(1) or m.group(3)), m.group(2) or m.group(4)
        return [_q(f"What is {_possessive(owner)} name?", name, owner, "name", alias=trim(name)),
                _q(f"What is the name of {owner}?", name, owner, "name", alias=trim(name))]
    if m := re.match(r"^I have an? ([\w\s-]+?) (?:called|named) (.+)$", c, re.I):
        owner = f"my {m.group(1)}"
        return [_q(f"What is {owner}'s name?", m.group(2), owner, "name", alias=trim(m.group(2)))]
    return None


def _origin(c: str) -> list[Derived] | None:
    """"Zentrix was founded in 2010 by Ana", "I was born in Oslo": when, where and by whom."""
    if m := re.match(r"^(.+?) (?:was|were) (born|" + "|".join(_ACTIVE) + r") (.+)$", c, re.I):
        return _creation(m.group(1), m.group(2).lower(), m.group(3))
    return None


def _home(c: str) -> list[Derived] | None:
    """"We moved to Lisbon", "My sister lives in Rome"."""
    if m := re.match(r"^(.+?) (?:has |have |recently |just )*(?:moved|relocated) to (.+)$", c):
        np = _np(m.group(1))
        if np in {"I", "we"}:
            return [_q(f"Where {_do(np)} {np} live now?", m.group(2), np, "location"),
                    _q(f"Where did {np} move to?", m.group(2), np, "location")]
        return [_q(f"Where {_be(np)} {np} now?", m.group(2), np, "location"),
                _q(f"Where {_be(np)} {np} located?", m.group(2), np, "location"),
                _q(f"Where did {np} move to?", m.group(2), np, "location")]
    if m := re.match(r"^(.+?) (?:live|lives|reside|resides) in (.+)$", c):
        np = _np(m.group(1))
        return [_q(f"Where {_do(np)} {np} live?", m.group(2), np, "location")]
    return None


def _work(c: str) -> list[Derived] | None:
    """"I work at Acme", "She works for Globex", "I work as a beekeeper at Hollowmere Farm"."""
    m = re.match(r"^(.+?) (?:work|works) (at|for|as) (?:an? )?(.+)$", c)
    if not m:
        return None
    np = _np(m.group(1))
    if m.group(2) == "as":
        # "I work as a beekeeper at Hollowmere Farm": a job, and where it is done.
        job, _, place = m.group(3).partition(" at ")
        out = [_q(f"What {_do(np)} {np} do for a living?", job, np, "job"),
               _q(f"What is {_possessive(np)} job?", job, np, "job")]
        if re.match(r"^(?:the )?[A-Z]", place):
            out.append(_q(f"Where {_do(np)} {np} work?", place, np, "workplace"))
        return out
    out = [_q(f"Where {_do(np)} {np} work?", m.group(3), np, "workplace")]
    if m.group(2) == "for":
        out.append(_q(f"Who {_do(np)} {np} work for?", m.group(3), np, "workplace"))
    return out


def _numbers(c: str) -> list[Derived] | None:
    """"Biscuit is 7", "I just turned twenty", "We have three cats"."""
    if m := re.match(rf"^(.+?)(?:{_IS}|\s+turned|\s+just turned) (?:an? )?({_NUMWORD})"
                     r"(?:[- ]years?[- ]old| yo)?(?:[- ]\w+)?$", c, re.I):
        np = _np(m.group(1))
        explicit = bool(re.search(r"year|yo\b", c[m.end(1):]))
        named = re.search(r"(?:^|\s)[A-Z]", np)  # "Biscuit", "my sister Ana": someone named
        if explicit or np in {"I", "we"} or _head_noun(np) in ANIMATE or named:
            return [_q(f"How old {_be(np)} {np}?", m.group(2), np, "age")]
    if m := re.match(rf"^(.+?) (?:have|has|own|owns) ({_NUMWORD}) ([\w\s-]+)$", c, re.I):
        np, things = _np(m.group(1)), trim(m.group(3))
        return [_q(f"How many {things} {_do(np)} {np} have?", m.group(2), np, "count",
                   things=things)]
    return None


def _tastes(c: str) -> list[Derived] | None:
    """"I really love hiking", "We don't like olives", "I'm allergic to peanuts"."""
    if m := re.match(r"^(I|we) (?:really |also |do )?(like|love|prefer|enjoy|hate|dislike|"
                     r"don't like|do not like) (.+)$", c, re.I):
        np = _np(m.group(1))
        verb = m.group(2).lower()
        verb = "dislike" if verb in {"don't like", "do not like"} else verb
        return [_q(f"What {_do(np)} {np} {verb}?", m.group(3), np, "preference")]
    if m := re.match(rf"^(.+?){_IS} allergic to (.+)$", c, re.I):
        np = _np(m.group(1))
        return [_q(f"What {_be(np)} {np} allergic to?", m.group(2), np, "allergy")]
    return None


def _given_names(c: str) -> list[Derived] | None:
    """"I call my boat Seafoam", "We have a boat that we call Seafoam"."""
    if m := re.match(r"^(I|[Ww]e) (call|named|name|nicknamed) (?:(?:my|our|the|this|"
                     r"that) )?([\w\s-]+?) (?:simply )?([A-Z][\w'-]*(?:\s+[A-Z&][\w'-]*)*)$", c):
        np, thing = _np(m.group(1)), f"{_possessive(_np(m.group(1)))} {m.group(3)}"
        return [_q(f"What {_do(np)} {np} call {thing}?", m.group(4), thing, "name"),
                _q(f"What is the name of {thing}?", m.group(4), thing, "name",
                   alias=trim(m.group(4)))]
    if m := re.match(r"^(.+?) (?:a|an|the) ([\w\s-]+?) (?:that|which) (I|we) (?:call|named) "
                     r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)$", c):
        np = _np(m.group(3))
        thing = f"{_possessive(np)} {m.group(2).split()[-1]}"
        return [_q(f"What {_do(np)} {np} call {thing}?", m.group(4), thing, "name"),
                _q(f"What is the name of {thing}?", m.group(4), thing, "name",
                   alias=trim(m.group(4)))]
    return None


def _place_of_action(c: str) -> list[Derived] | None:
    """"My grandmother grew up in Tallowmere" -> "Where did my grandmother grow up?": a past or
    present verb (with an optional particle) whose place is a capitalised name."""
    c = trim(c)
    m = re.match(rf"^(I|we|(?:[Mm]y|[Oo]ur) [\w'-]+(?: [\w'-]+)??|[A-Z][\w'-]+) "
                 rf"(?:also |still |just )?"
                 rf"([a-z]+)( up| out| back| over)? (?:in|at|near|from) (?:{_PLACE_KIND} )?"
                 r"((?:the )?[A-Z][\w'&-]*(?:\s+[A-Z&][\w'-]*)*)$", c)
    if not m or m.group(2) in {"is", "are", "am", "was", "were", "be", "been", "has", "have"}:
        return None
    np, verb, particle = _np(m.group(1)), m.group(2), m.group(3) or ""
    if verb in _IRREGULAR or verb.endswith("ed"):
        base, aux = _base_form(verb), "did"
    elif verb.endswith("s") and np not in {"I", "we"}:
        base, aux = verb[:-1], "does"
    else:
        base, aux = verb, _do(np)
    return [_q(f"Where {aux} {np} {base}{particle}?", m.group(4), np, "place", verb=base)]


def _identity(c: str) -> list[Derived] | None:
    """"Mara is a doctor", "My boss is Tom", "The party is on Friday": plain copulas, last."""
    # A spelled-out copula first: in "Mara's brother is Tom" the "'s" is a possessive.
    if m := re.match(r"^(.+?) (is|are|am|was|were) (.+)$", c) or \
            re.match(r"^(.+?)('s|'m|'re) (.+)$", c):
        return _copula(m.group(1), m.group(2), m.group(3))
    return None


# The pattern families in the order they are tried. Each gives None when none of its patterns
# fits the clause; the first that fits decides, even when it finds no question to ask (a
# "was born" without a year or place is no copula).
_FAMILIES = (_names, _origin, _home, _work, _numbers, _tastes, _given_names, _place_of_action,
             _identity)


def _clause(clause: str) -> list[Derived]:
    """Questions for one clause; the first pattern family that matches wins."""
    c = clause.strip(" .!;,")
    for family in _FAMILIES:
        found = family(c)
        if found is not None:
            return found
    return []


def derive(statements: list[str]) -> list[Derived]:
    """Questions for each statement; "she"/"he"/"it" resolve to the previous named subject."""
    out: list[Derived] = []
    referents: list[str] = []
    topic = learning_topic(statements)
    for statement in statements:
        parts = re.split(r"\s*;\s*|,?\s+(?:and|but|so)\s+(?=(?:she|he|it|they|i|we|my|our)\b)",
                         statement.rstrip(" .!"), flags=re.I)
        for part in parts:
            pronoun = re.match(r"^(she|he|it|they)\b", part, re.I)
            if pronoun:
                versions = [referent + part[pronoun.end():] for referent in referents]
            else:
                versions = [part]
            found = []
            for version in versions:
                derived = _clause(version)
                found += derived + [r for d in derived for r in reword(d, version, topic)]
            if not pronoun and found:
                named = [d.extra["alias"] for d in found if "alias" in d.extra]
                referents = list(dict.fromkeys(named + [found[0].subject]))
                referents = [r for r in referents if r not in {"I", "we"}]
            elif not pronoun:
                # "I finally named my sailboat. She's called ...": the thing just mentioned.
                mentioned = re.search(r"\b(my|our) ([a-z][\w-]*)\b", part, re.I)
                referents = [f"{mentioned.group(1).lower()} {mentioned.group(2)}"] \
                    if mentioned else []
            out += found
    seen: set[str] = set()
    return [d for d in out if not (d.question.lower() in seen or seen.add(d.question.lower()))]
