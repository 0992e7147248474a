"""Pattern families for facts about a user's life: renames ("we renamed Falcon to Osprey"), jobs
and diets ("I'm a nurse", "I'm vegan"), vehicles ("I drive a 2014 Corolla"), lists of names ("my
kids are Mia, Leo and Sam"), and what any clause may carry besides its main fact: an appositive
name ("my brother Tomasz") and a date ("we got married in 2019"). Used by `dream.questions`.
"""

from __future__ import annotations

import re

from dream.derived import Derived
from dream.grammar import IRREGULAR, ask, base_form, be, do, is_given_name, noun_phrase, possessive
from dream.spans import MONTH, list_checker
from dream.vocabulary import ANIMATE, DIETS, OCCUPATIONS, VEHICLES

_NAME = r"[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*"
_NAME_LIST = re.compile(rf"^({_NAME}(?:,\s*{_NAME})*),?\s+(?:and|&)\s+({_NAME})$")
_DATE = (rf"(?:\d{{4}}|{MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s+\d{{4}})?|"
         rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?|"
         r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))")
# When it happened, after the fact: "... renamed to Osprey last week".
_WHEN_ADVERB = re.compile(rf"(?:,?\s+(?:fyi|btw))?\s+(?:(?:last|this|next) (?:week|month|year|"
                          rf"night|spring|summer|autumn|fall|winter|sprint|quarter)|yesterday|today|"
                          rf"recently|(?:in|on|back in) (?:{MONTH}|\d{{4}}))(?:,?\s+(?:fyi|btw))?$")
_SUBJECT = r"I|we|(?:[Mm]y|[Oo]ur) [\w'-]+(?: [\w'-]+)?|[A-Z][\w'-]+"
_JOB_ENDINGS = ("ologist", "grapher", "ician", "smith", "wright", "engineer", "developer",
                "designer", "manager", "worker", "keeper", "maker", "writer", "officer")
# A relation a name may follow: "my brother Tomasz", "our dog Rex", "my startup Ledgerly".
APPOSITIVE = re.compile(r"\b([Mm]y|[Oo]ur) ((?:[a-z][\w-]* )?[a-z][\w-]*),? "
                        r"([A-Z][\w-]*(?: [A-Z][\w-]*)?)(?:'s\b)?")


def name_list(phrase: str) -> list[str] | None:
    """"Mia, Leo and Sam" -> ["Mia", "Leo", "Sam"]; None unless it is such a list of names."""
    m = _NAME_LIST.match(phrase.strip(" .!;"))
    if not m:
        return None
    names = [n.strip() for n in m.group(1).split(",")] + [m.group(2)]
    return names if all(is_given_name(n) for n in names) else None


def named_group(owner: str, names: list[str]) -> list[Derived]:
    """"My kids are Mia, Leo and Sam": every name asked together, and how many there are."""
    np, answer = noun_phrase(owner), ", ".join(names[:-1]) + " and " + names[-1]
    checker = list_checker(names)
    who = "Who" if noun_phrase(owner).split()[-1].rstrip("s") in ANIMATE else "What"
    out = [ask(f"What are {possessive(np)} names?", answer, np, "names", checker=checker),
           ask(f"{who} are {np}?", answer, np, "names", checker=checker)]
    if re.match(r"^(?:my|our) ", np) and np.endswith("s"):
        mine = "we" if np.startswith("our") else "I"
        out.append(ask(f"How many {np.split(' ', 1)[1]} {do(mine)} {mine} have?",
                       str(len(names)), mine, "count"))
    return out


def renames(c: str) -> list[Derived] | None:
    """"We renamed Project Falcon to Osprey", "Falcon is now called Osprey": the new name, never
    the old one."""
    c = _WHEN_ADVERB.sub("", re.sub(r"\s+and\s+(?:people|everyone|we|they|it)\b.*$", "", c))
    m = re.match(rf"^(?:{_SUBJECT}|.+? (?:made|asked|told) (?:us|me)) (?:have |just |recently |"
                 rf"officially |had to )*(?:renamed|rebranded|rename|rebrand) (.+?) "
                 rf"(?:to|as|into) ({_NAME})$", c) or \
        re.match(rf"^(.+?) (?:is|are|was|were|has been|have been|got|just got) (?:now |just |"
                 rf"recently |officially )*(?:renamed|rebranded|called|named|known as)"
                 rf"(?: as| to)? ({_NAME})$", c)
    if not m or ("now" not in c and not re.search(r"rename|rebrand", c, re.I)):
        return None
    old, new = noun_phrase(m.group(1)), m.group(2)
    rejects = (old,) if is_given_name(old) else ()
    out = [ask(f"What {be(old)} {old} called now?", new, old, "name", rejects, alias=new),
           ask(f"What is the new name of {old}?", new, old, "name", rejects, alias=new)]
    if rejects:
        out.append(ask(f"What was {old} renamed to?", new, old, "name", rejects, alias=new))
    return out


def roles(c: str) -> list[Derived]:
    """"I'm a nurse at St. Olav", "My wife is an architect", "I'm vegan", "We're vegetarians"."""
    m = re.match(r"^(.+?)(?:'m|'re|'s| am| are| is) (?:a |an )?(?!(?:my|our|his|her|their|the|"
                 r"your|not)\b)((?:[a-z-]+ ){0,2}[a-z-]+)(?: (?:at|for|with|in) "
                 r"((?:the )?[A-Z].*))?$", c)
    if not m or re.search(r"\bnot\b|n't|\bformer\b|\bused to\b", c) \
            or re.search(r"\b(?:was|were|is|are|am)\b", m.group(1)):
        return []  # "... was a ship's carpenter": the "'s" is no verb after a subject
    np, role = noun_phrase(m.group(1)), m.group(2)
    diet = next((d for d in DIETS if re.search(rf"\b{d}", role, re.I)), None)
    if diet:
        return [ask(f"What diet {do(np)} {np} follow?", diet, np, "diet"),
                ask(f"What is {possessive(np)} diet?", diet, np, "diet")]
    head = role.split()[-1]
    head = head[:-1] if head not in OCCUPATIONS and head[:-1] in OCCUPATIONS else head
    if head not in OCCUPATIONS and not head.endswith(_JOB_ENDINGS):
        return []
    out = [ask(f"What {do(np)} {np} do for a living?", role, np, "job"),
           ask(f"What is {possessive(np)} job?", role, np, "job")]
    if m.group(3):
        out.append(ask(f"Where {do(np)} {np} work?", m.group(3), np, "workplace"))
    return out


def vehicle(c: str) -> list[Derived] | None:
    """"I drive a 2014 Corolla", "We own a red pickup", "My wife rides a Vespa"."""
    m = re.match(rf"^({_SUBJECT}) (?:also |still )?(drive|drives|ride|rides|own|owns|drove)"
                 r" (?:a|an|the|my|our|his|her) (.+)$", c)
    if not m or re.match(r"^(?:lot|bit|little)\b", m.group(3)):
        return None
    # "a yaris to work", "a Vespa around town": the vehicle, not where it goes.
    np = noun_phrase(m.group(1))
    thing = re.sub(r"\s+(?:to|for|around|every|each|on|at|into|from)\b.*$", "", m.group(3))
    kind = next((w.lower() for w in re.findall(r"[\w-]+", thing) if w.lower() in VEHICLES), None)
    if not kind and m.group(2).startswith(("own", "ride")):
        return None
    kind = kind or "car"
    verb = {"drives": "drive", "rides": "ride", "owns": "own", "drove": "drive"}.get(
        m.group(2), m.group(2))
    return [ask(f"What {kind} {do(np)} {np} {verb}?", thing, np, "vehicle"),
            ask(f"What kind of {kind} {do(np)} {np} have?", thing, np, "vehicle")]


_TRIP = re.compile(
    r"^(I|[Ww]e)(?:'m| am|'re| are) (?:(?:also|finally|actually) )?(?:going|flying|travel+ing|"
    r"heading|driving|off|moving) (?:back )?to ([A-Z][\w'-]*(?: (?:de |del |la )?[A-Z][\w'-]*)*)"
    rf"(?:,? (?:(?:in|on) )?((?:next|this) \w+|(?i:{MONTH})\b(?: \d{{1,2}}(?:st|nd|rd|th)?)?|"
    r"the \d{1,2}(?:st|nd|rd|th)|tomorrow|tonight))?")
_STAY = re.compile(r"^(I|[Ww]e)(?:'m| am|'re| are) staying (?:at|in) (?:.+? in )?"
                   r"([A-Z][\w'-]*(?: [A-Z][\w'-]*)*)")


def trip(c: str) -> list[Derived] | None:
    """"I'm going to Cusco in july with my sister", "we're flying to Osaka next week", "I'm
    staying at a hostel in Graz": where the user is going, and when when they said it."""
    if m := _TRIP.match(c):
        np = "I" if m.group(1) == "I" else "we"
        out = [ask(f"Where {be(np)} {np} going?", m.group(2), np, "trip"),
               ask(f"Where {be(np)} {np} travelling to?", m.group(2), np, "trip")]
        # "next week" is true only the week it was said: an absolute date only.
        if m.group(3) and not re.match(r"(?:next|this|tomorrow|tonight)\b", m.group(3)):
            out.append(ask(f"When {be(np)} {np} going to {m.group(2)}?", m.group(3), np, "when"))
        return out
    if m := _STAY.match(c):
        np = "I" if m.group(1) == "I" else "we"
        return [ask(f"Where {be(np)} {np} staying?", m.group(2), np, "trip")]
    return None


def appositive_names(c: str) -> list[Derived]:
    """"My brother Tomasz lives in Gdansk" also says my brother's name is Tomasz."""
    out = []
    for m in APPOSITIVE.finditer(c):
        owner = f"{m.group(1).lower()} {m.group(2)}"
        if m.group(2).split()[-1] in ANIMATE | VEHICLES and is_given_name(m.group(3)):
            out += [ask(f"What is {owner}'s name?", m.group(3), owner, "name", alias=m.group(3)),
                    ask(f"What is the name of {owner}?", m.group(3), owner, "name",
                        alias=m.group(3))]
    return out


def dated(c: str) -> list[Derived]:
    """"We got married in 2019", "I'm starting my new job on Monday": when it happens."""
    m = re.match(rf"^({_SUBJECT}) (?:also |just |finally |first )?([a-z]+)((?: [\w'-]+)*?)"
                 rf"(?:,)? (?:in|on|back in|since) ({_DATE})$", c)
    if not m:
        return []
    np, verb, rest = noun_phrase(m.group(1)), m.group(2), m.group(3)
    if verb in {"is", "are", "was", "were", "am"}:
        return []
    if verb in IRREGULAR or verb.endswith("ed"):
        question = f"When did {np} {base_form(verb)}{rest}?"
    elif verb in {"will", "'ll"}:
        question = f"When will {np}{rest}?"
    else:
        return []
    return [ask(question, m.group(4), np, "when")]


def progressive(c: str) -> list[Derived]:
    """"We're getting married on June 5th" -> "When are we getting married?"."""
    m = re.match(rf"^({_SUBJECT})(?:'m|'re|'s| am| are| is) ([a-z]+ing)((?: [\w'-]+)*?)"
                 rf" (?:in|on|this|next) ({_DATE})$", c)
    if not m:
        return []
    np = noun_phrase(m.group(1))
    return [ask(f"When {be(np)} {np} {m.group(2)}{m.group(3)}?", m.group(4), np, "when")]
