"""Questions derived from a user's statement by general English patterns, with checkers.

"My dog's name is Biscuit and she is 7." gives "What is my dog's name?" (Biscuit) and "How old is
Biscuit?" (7). A statement with several facts ("the code is 4471 and standup is at 9:15") is
split into one clause per fact. Patterns cover naming, age, counts, founding/creation, birth,
location and moves, work, likes, and plain copulas ("X is Y"), with life facts (jobs, diets,
vehicles, dates, renames, lists of names) in `dream.personal_facts`; expected answers are cut from
the statement itself, so a checker never depends on the model. No pattern fits, no questions.
"""

from __future__ import annotations

import re

from dream import personal_facts, world_facts
from dream.derived import Derived
from dream.grammar import (
    IRREGULAR,
    aliases,
    ask,
    base_form,
    be,
    do,
    head_noun,
    is_name,
    is_person,
    noun_phrase,
    plural,
    possessive,
)
from dream.negation import is_negated
from dream.personal_facts import name_list, named_group
from dream.rewordings import learning_topic, reword
from dream.spans import DET, MONTH, NEW_CLAUSE, contrast, trim
from dream.vocabulary import ANIMATE, PEOPLE

_NUMWORD = r"\d{1,3}|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|" \
           r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty"
_WHEN = re.compile(rf"^(?:on |at |in )?(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                   rf"Sunday)s?\b|{MONTH}\b|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{MONTH}\b|"
                   rf"\d{{1,2}}(?::\d\d)?\s*(?:am|pm)\b|\d{{1,2}}:\d\d\b|noon\b|midnight\b|"
                   rf"(?:the )?\d{{1,2}}(?:st|nd|rd|th)(?=\s*(?:$|[,.;!]|of\b|at\b|in\b)))",
                   re.I)  # "on the 9th", never "on the 6th floor"
_IS = r"(?:\s+(?:is|am|are)|'s|'m|'re)"  # "I am", "I'm", "she's": a copula, spelled out or not
_ADJECTIVE = re.compile(r"^(?:\w+(?:ly|ful|ous|ive|able|ible|al|ic|ish|less|ent|ant|y)|big|small|"
                        r"old|new|tall|short|good|bad|nice|great|fine|busy|tired|sick|ready|sure|"
                        r"sad|late|early|open|closed|smart|fast|slow|cute|quiet|loud|young|done)$")
# Pronouns that stand for something said before, which a question cannot name: "mine opens in
# Bristol" is about a cafe, not about "Mine".
_NO_REFERENT = {"mine", "ours", "yours", "his", "hers", "theirs", "this", "that", "it", "there",
                "here", "these", "those", "one"}
_PLACE_KIND = r"(?:the |a |an )?(?:small |little |big )?(?:town|city|village|country|region|" \
              r"state|province|county|island|valley|neighbou?rhood|district) of"
_ACTIVE = {"founded": "founded", "co-founded": "co-founded", "cofounded": "co-founded",
           "established": "established", "started": "started", "created": "created",
           "built": "built", "invented": "invented", "written": "wrote", "designed": "designed",
           "discovered": "discovered", "opened": "opened", "launched": "launched",
           "formed": "formed", "made": "made", "painted": "painted", "composed": "composed",
           "directed": "directed"}


def _creation(subj: str, verb: str, rest: str) -> list[Derived]:
    out: list[Derived] = []
    by = re.search(r"\bby ([^,]+?)(?= in \b| on \b|$)", rest)
    year = re.search(r"\bin (\d{4})\b", rest)
    place = re.search(rf"\bin (?:{_PLACE_KIND} )?((?:the )?[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)",
                      rest)
    for np in aliases(subj):
        was = "were" if plural(np) else "was"
        if verb == "born":
            if year:
                out += [ask(f"When {was} {np} born?", year.group(1), np, "born_year"),
                        ask(f"In what year {was} {np} born?", year.group(1), np, "born_year")]
            if place:
                out.append(ask(f"Where {was} {np} born?", place.group(1), np, "born_place"))
            continue
        if by and by.group(1).lower() not in {"me", "us"}:
            out.append(ask(f"Who {_ACTIVE[verb]} {np}?", by.group(1), np, "creator"))
        if year:
            out += [ask(f"When {was} {np} {verb}?", year.group(1), np, "created_year", verb=verb),
                    ask(f"In what year {was} {np} {verb}?", year.group(1), np, "created_year",
                       verb=verb)]
        if place:
            out.append(ask(f"Where {was} {np} {verb}?", place.group(1), np, "created_place"))
    known = aliases(subj)
    if len(known) == 2:
        out.append(ask(f"What is the name of {known[1]}?", known[0], known[1], "name"))
    return out


def _copula(subj: str, cop: str, comp: str) -> list[Derived]:
    np, names, comp = noun_phrase(subj), name_list(comp), trim(comp)
    if not comp or np.lower() in {"it", "this", "that", "there", "he", "she", "they"}:
        return []
    if re.search(r"\s(?:we|they|i|you)$", np, re.I):
        return []  # "Me and my wife we are having a restaurant": no subject to ask about
    cop = be(np) if cop in {"is", "are", "am", "'s", "'m", "'re"} else cop
    location = re.match(r"^(?:located |based |headquartered |situated )?(?:in|at|on) "
                        r"((?:the )?(?:[A-Z\d]).*)$", comp)
    if _WHEN.match(comp):
        when = re.sub(r"^(?:on|at|in) ", "", comp)
        # "on 22 september at the lake house in Hallstatt": the date, and the named place.
        place = re.match(r"^(.+?)\s+(?:at|in)\s+(.*\b[A-Z][\w'-]*.*)$", when)
        if place and _WHEN.match(place.group(1)):
            where = re.sub(r"^.*?\b(?:in|at)\s+(?=[A-Z])", "", place.group(2))
            return [ask(f"When {cop} {np}?", place.group(1), np, "when"),
                    ask(f"Where {cop} {np}?", where, np, "location")]
        return [ask(f"When {cop} {np}?", when, np, "when")]
    if location and not re.match(r"^[$\u20ac\u00a3]?\d+(?:[.,]\d+)?\s*(?:%|percent\b|k\b|"
                                 r"euros?\b|dollars?\b|pounds?\b)", location.group(1)):
        # "at 4.3% fixed until 2027" is a rate, not a place.
        return [ask(f"Where {cop} {np}?", location.group(1), np, "location")]
    if rate := re.match(r"^at (\d+(?:[.,]\d+)?\s*%)", comp):
        return [ask(f"What rate {cop} {np} at?", rate.group(1), np, "rate")]
    if np in {"I", "we"} or re.match(r"^(?:in|at|on|from|with|to|for|not|very|so)\b", comp):
        return []
    possessed = bool(re.match(r"^(?:my|our|the|his|her|their)\b|^[A-Z][\w-]*'s ", np))
    if possessed and names and len(names) > 1:
        return named_group(np, names)
    if is_name(np) and re.match(rf"^{DET}\s", comp, re.I):
        who = "Who" if is_person(comp) else "What"
        out = [ask(f"{who} {cop} {np}?", comp, np, "identity")]
        if re.match(r"^(?:my|our|the|his|her|their)\b", comp, re.I):
            out.append(ask(f"{who} {cop} {noun_phrase(comp)}?", np, noun_phrase(comp), "identity"))
        return out
    # A capitalised word after the verb is a name ("My dog is Rusty"), never an adjective; "is
    # coming", "is really into birdwatching" say what someone does, not what they are.
    if into := re.match(r"^(?:really |very |super |totally )?(?:into|obsessed with|crazy about|"
                        r"mad about) (.+)$", comp):
        return [ask(f"What {cop} {np} into?", into.group(1), np, "interest")]
    if not possessed or len(comp.split()) > 8 or comp[0].islower() and (
            _ADJECTIVE.match(comp) or re.match(r"^(?:coming|going|leaving|visiting|joining|"
                                               r"staying|arriving|moving|working|studying|"
                                               r"travel+ing|flying|driving|waiting|trying)\b",
                                               comp)
            or re.fullmatch(r"(?:\w+ed|sold|built|made|done|gone|taken|given|shut)", comp)):
        return []  # "the building was sold": what happened to it, not what it is
    if is_name(comp) and not is_person(np) and not re.search(r"\d", comp) and \
            not re.search(r"favou?rite|password|code|colou?r|language|\bnames?$", np):
        return [ask(f"What {cop} {np}?", comp, np, "attribute"),
                ask(f"What is {possessive(np)} name?", comp, np, "name", alias=comp),
                ask(f"What is the name of {np}?", comp, np, "name", alias=comp)]
    who = "Who" if is_person(np) and re.match(r"^[A-Z]", comp) else "What"
    return [ask(f"{who} {cop} {np}?", comp, np, "attribute")]


def _names(c: str) -> list[Derived] | None:
    """"My name is Maya", "My dog's name is Biscuit", "I have a cat called Tom", "I run a
    small candle shop called Wickwell"."""
    if m := re.match(r"^(?:my|our) name is (.+)$|^call me (.+)$", c, re.I):
        name = m.group(1) or m.group(2)
        return [ask("What is my name?", name, "I", "name"),
                ask("What should you call me?", name, "I", "name")]
    if m := re.match(r"^(.+?)(?:'s|(?<=s)') names?(?: is| are|'s) (.+)$|"
                     r"^(.+?)(?: is|'s| was| are| were) (?:called|named|code-named|codenamed|"
                     r"nicknamed) (.+)$", c, re.I):
        owner, name = noun_phrase(m.group(1) or m.group(3)), m.group(2) or m.group(4)
        if names := name_list(name):
            return named_group(owner, names)
        return [ask(f"What is {possessive(owner)} name?", name, owner, "name", alias=trim(name)),
                ask(f"What is the name of {owner}?", name, owner, "name", alias=trim(name))]
    if m := re.match(r"^(?:I|we) (?:have|own|run|manage|started|founded|set up|built|made|"
                     r"wrote|lead|adopted|got|bought) an? ([\w\s-]+?) (?:called|named) (.+)$",
                     c, re.I):
        owner = f"{'our' if c[:2].lower() == 'we' else 'my'} {m.group(1)}"
        return [ask(f"What is {owner}'s name?", m.group(2), owner, "name", alias=trim(m.group(2)))]
    return None


def _origin(c: str) -> list[Derived] | None:
    """"Zentrix was founded in 2010 by Ana", "I was born in Oslo": when, where and by whom."""
    if m := re.match(r"^(.+?) (?:was|were) (born|" + "|".join(_ACTIVE) + r") (.+)$", c, re.I):
        return _creation(m.group(1), m.group(2).lower(), m.group(3))
    return None


def _home(c: str) -> list[Derived] | None:
    """"We moved to Lisbon", "My sister lives in Rome", "I moved from Leeds to Bristol" (where
    the move started is the old value: an answer giving it fails)."""
    if m := re.match(r"^(.+?) (?:has |have |recently |just |finally )*(?:(got|was|were|has been|"
                     r"have been|is being|is|are) )?(?:moved|relocated|pushed|pushed back|"
                     r"postponed|rescheduled|brought forward)"
                     r"(?: (?:away |back |over )?from (.+?))? (?:to|into|until|till) (.+)$", c):
        np, old, new = noun_phrase(m.group(1)), m.group(3), m.group(4)
        was = (old,) if old else ()
        dated = _WHEN.match(new) or re.match(r"^(?:the )?\d{1,2}(?:st|nd|rd|th)\b|"
                                             r"^\d{1,2}[/.]\d{1,2}\b", new)
        if m.group(2) or dated:
            # Something was moved: an event to a date, a thing to a place.
            if dated:
                return [ask(f"When {be(np)} {np} now?", new, np, "when", was),
                        ask(f"When {be(np)} {np}?", new, np, "when", was)]
            return [ask(f"Where {be(np)} {np} now?", new, np, "location", was)]
        if np in {"I", "we"}:
            return [ask(f"Where {do(np)} {np} live now?", new, np, "location", was),
                    ask(f"Where did {np} move to?", new, np, "location", was)]
        return [ask(f"Where {be(np)} {np} now?", new, np, "location", was),
                ask(f"Where {be(np)} {np} located?", new, np, "location", was),
                ask(f"Where did {np} move to?", new, np, "location", was)]
    if m := re.match(r"^(.+?) (?:live|lives|reside|resides|(?:am |'m |are |'re |is |'s |have been "
                     r"|'ve been |been )living) in (.+)$", c):
        np = noun_phrase(m.group(1))
        # "in Toronto with his husband Dev": the place, not who shares it.
        where = re.sub(r"\s+(?:together |along )?with\s.*$", "", m.group(2))
        return [ask(f"Where {do(np)} {np} live?", where, np, "location")]
    return None


def _work(c: str) -> list[Derived] | None:
    """"I work at Acme", "She works for Globex", "I work as a beekeeper at Hollowmere Farm"."""
    if m := re.match(r"^(.+?) (?:just |recently )?(?:started|began|got|landed|took) (?:a |an )?"
                     r"(?:new )?(?:job|position|role) (?:at|with) (.+)$", c) or \
            re.match(r"^(.+?) (?:am |'m |is |'s |are |'re )?(?:starting|beginning|started) "
                     r"(?:a new job |work |working )?at ([A-Z].*?)(?: as (?:an? )?(.+))?$", c):
        np = noun_phrase(m.group(1))
        out = [ask(f"Where {do(np)} {np} work?", _named(m.group(2)), np, "workplace")]
        if m.lastindex == 3 and m.group(3):
            out.append(ask(f"What is {possessive(np)} job?", m.group(3), np, "job"))
        return out
    m = re.match(r"^(.+?) (?:work|works) (at|for|as) (?:an? )?(.+)$", c)
    if not m:
        return None
    np = noun_phrase(m.group(1))
    if m.group(2) != "as" and " as " in m.group(3):
        # "I work at a bakery called Crumbs as a pastry chef": the place, then the job.
        place, _, job = m.group(3).partition(" as ")
        job = re.sub(r"^an? ", "", job)
        return [ask(f"Where {do(np)} {np} work?", _named(place), np, "workplace"),
                ask(f"What {do(np)} {np} do for a living?", job, np, "job"),
                ask(f"What is {possessive(np)} job?", job, np, "job")]
    if m.group(2) == "as":
        # "I work as a beekeeper at Hollowmere Farm": a job, and where it is done.
        job, _, place = m.group(3).partition(" at ")
        out = [ask(f"What {do(np)} {np} do for a living?", job, np, "job"),
               ask(f"What is {possessive(np)} job?", job, np, "job")]
        if re.match(r"^(?:the )?[A-Z]", place):
            out.append(ask(f"Where {do(np)} {np} work?", place, np, "workplace"))
        return out
    out = [ask(f"Where {do(np)} {np} work?", _named(m.group(3)), np, "workplace")]
    if m.group(2) == "for":
        out.append(ask(f"Who {do(np)} {np} work for?", _named(m.group(3)), np, "workplace"))
    return out


def _named(place: str) -> str:
    """"a bakery called Crumbs" -> "Crumbs": the name where a place is described and named."""
    m = re.match(r"^(?:an? |the )?[\w\s-]+? (?:called|named) ([A-Z].*)$", place)
    return m.group(1) if m else place


# A measure after a number: "32 kg", "180 cm", "4.3%" are no age.
_UNIT = re.compile(r"(?:kg|kilos?|g|grams?|lbs?|pounds?|stone|st|cm|mm|m|km|metres?|meters?|"
                   r"miles?|feet|ft|inch(?:es)?|%|percent|euros?|dollars?|quid|k|mb|gb|tb)\b",
                   re.I)


def _numbers(c: str) -> list[Derived] | None:
    """"Biscuit is 7", "I just turned twenty", "We have three cats", "I weigh 84kg", "Jonah is in
    year 3", "the staging db is on port 5434"."""
    if m := re.match(r"^(.+?) (?:now |currently )?(weigh|weighs) (?:about |around )?"
                     r"(\d+(?:\.\d+)?\s*(?:kg|kilos?|lbs?|pounds|st|stone))\b", c, re.I):
        np = noun_phrase(m.group(1))
        return [ask(f"How much {do(np)} {np} weigh?", m.group(3), np, "weight")]
    if m := re.match(rf"^(.+?){_IS} (?:now |currently )?in (year|grade|class|form) (\w+)", c, re.I):
        np, level = noun_phrase(m.group(1)), m.group(2).lower()
        return [ask(f"What {level} {be(np)} {np} in?", f"{level} {m.group(3)}", np, "level",
                    checker={"type": "contains_any", "values": [f"{level} {m.group(3)}"]})]
    if m := re.match(rf"^(.+?){_IS} (?:running |listening )?on port (\d{{2,5}})\b", c, re.I):
        np = noun_phrase(m.group(1))
        return [ask(f"What port {be(np)} {np} on?", m.group(2), np, "port")]
    if m := re.match(rf"^(.+?){_IS} (?:about |around )?(\d+(?:\.\d+)?\s*(?:kg|kilos?|lbs?|"
                     r"pounds|stone))$", c, re.I):
        # "my dog Fennick is 32 kg": a weight, not an age.
        np = noun_phrase(m.group(1))
        return [ask(f"How much {do(np)} {np} weigh?", m.group(2), np, "weight")]
    if (m := re.match(rf"^(.+?)(?:{_IS}|\s+turned|\s+just turned) (?:an? )?({_NUMWORD})"
                      r"(?:[- ]years?[- ]old| yo)?(?:[- ]\w+)?$", c, re.I)) \
            and not _UNIT.match(c[m.end(2):].strip(" -")):
        np = noun_phrase(m.group(1))
        explicit = bool(re.search(r"year|yo\b", c[m.end(1):]))
        named = re.search(r"(?:^|\s)[A-Z]", np)  # "Biscuit", "my sister Ana": someone named
        if explicit or np in {"I", "we"} or head_noun(np) in ANIMATE or named:
            return [ask(f"How old {be(np)} {np}?", m.group(2), np, "age")]
    if m := re.match(rf"^(.+?)(?: have| has| own| owns|'ve got| have got| has got|'s got) "
                     rf"({_NUMWORD}) ([\w\s-]+?)(?:(?::|,| -|—) (.+))?$", c, re.I):
        np, things = noun_phrase(m.group(1)), trim(m.group(3)).split(" and ")[0]
        out = [ask(f"How many {things} {do(np)} {np} have?", m.group(2), np, "count",
                   things=things)]
        if m.group(4) and (names := name_list(m.group(4))):
            out += named_group(f"{possessive(np)} {things}", names)
        return out
    if m := re.match(rf"^(.+?)(?: turns| is turning|'s turning| will turn| will be) "
                     rf"({_NUMWORD})(?: (?:in|on) (.+)| (?:next|this) \w+)?$", c, re.I):
        np = noun_phrase(m.group(1))
        out = [ask(f"How old {be(np)} {np} turning?", m.group(2), np, "age")]
        if m.group(3):
            out.append(ask(f"When {do(np)} {np} turn {m.group(2)}?", m.group(3), np, "when"))
        return out
    return None


def _tastes(c: str) -> list[Derived] | None:
    """"I really love hiking", "We don't like olives", "I'm allergic to peanuts"."""
    if m := re.match(r"^(I|we) (?:really |also |do )?(like|love|prefer|enjoy|hate|dislike|"
                     r"don't like|do not like) (.+)$", c, re.I):
        np = noun_phrase(m.group(1))
        verb = m.group(2).lower()
        verb = "dislike" if verb in {"don't like", "do not like"} else verb
        chosen, against = contrast(m.group(3)) if verb in {"prefer", "like", "love"} \
            else (m.group(3), None)
        rejects = (against,) if against else ()
        return [ask(f"What {do(np)} {np} {verb}?", chosen, np, "preference", rejects)]
    if m := re.match(r"^((?i:my|our|his|her|their) [\w\s'-]+?|[A-Z][\w'-]+) (?:really |also )?"
                     r"(likes|loves|prefers|enjoys|hates|dislikes|doesn't like|does not like) "
                     r"(.+)$", c):
        # "my son hates mushrooms", "Ana loves fishing": someone else's taste.
        np, verb = noun_phrase(m.group(1)), m.group(2)
        verb = "dislike" if "like" in verb and verb != "likes" else verb.removesuffix("s")
        verb = "hate" if verb == "hate" else verb
        chosen, against = contrast(m.group(3)) if verb in {"prefer", "like", "love"} \
            else (m.group(3), None)
        return [ask(f"What does {np} {verb}?", chosen, np, "preference",
                    (against,) if against else ())]
    if m := re.match(rf"^(.+?){_IS} allergic to (.+)$", c, re.I):
        np = noun_phrase(m.group(1))
        return [ask(f"What {be(np)} {np} allergic to?", m.group(2), np, "allergy")]
    return None


def _given_names(c: str) -> list[Derived] | None:
    """"I call my boat Seafoam", "We have a boat that we call Seafoam"."""
    if m := re.match(r"^(I|[Ww]e) (call|named|name|nicknamed) (?:(?:my|our|the|this|"
                     r"that) )?([\w\s-]+?) (?:simply |the )?([A-Z][\w'-]*(?:\s+[A-Z&][\w'-]*)*)$",
                     c):
        np, thing = noun_phrase(m.group(1)), f"{possessive(noun_phrase(m.group(1)))} {m.group(3)}"
        return [ask(f"What {do(np)} {np} call {thing}?", m.group(4), thing, "name"),
                ask(f"What is the name of {thing}?", m.group(4), thing, "name",
                   alias=trim(m.group(4)))]
    if m := re.match(r"^(.+?) (?:a|an|the) ([\w\s-]+?) (?:that|which) (I|we) (?:call|named) "
                     r"([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*)$", c):
        np = noun_phrase(m.group(3))
        thing = f"{possessive(np)} {m.group(2).split()[-1]}"
        return [ask(f"What {do(np)} {np} call {thing}?", m.group(4), thing, "name"),
                ask(f"What is the name of {thing}?", m.group(4), thing, "name",
                   alias=trim(m.group(4)))]
    return None


def _place_of_action(c: str) -> list[Derived] | None:
    """"My grandmother grew up in Tallowmere" -> "Where did my grandmother grow up?": a past or
    present verb (with an optional particle) whose place is a capitalised name."""
    c = trim(c)
    m = re.match(rf"^(I|we|(?:[Mm]y|[Oo]ur) [\w'-]+(?: [\w'-]+)??|[A-Z][\w'-]+) "
                 rf"(?:also |still |just )?"
                 rf"([a-z]+)( up| out| back| over)? (in|at|near|from) (?:{_PLACE_KIND} )?"
                 r"((?:the )?[A-Z][\w'&-]*(?:\s+[A-Z&][\w'-]*)*)$", c)
    if not m or m.group(2) in {"is", "are", "am", "was", "were", "be", "been", "has", "have"} \
            or m.group(1).lower() in _NO_REFERENT:
        return None
    if m.group(4) == "from" and (m.group(3) or m.group(2) in _FROM_SOMEONE):
        return None  # "she took over from Dev", "I bought it from Ana": a person, no place
    np, verb, particle = noun_phrase(m.group(1)), m.group(2), m.group(3) or ""
    if verb in IRREGULAR or verb.endswith("ed"):
        base, aux = base_form(verb), "did"
    elif verb.endswith("s") and np not in {"I", "we"}:
        base, aux = verb[:-1], "does"
    else:
        base, aux = verb, do(np)
    origin = " from" if m.group(4) == "from" else ""  # "Where do I come from?"
    return [ask(f"Where {aux} {np} {base}{particle}{origin}?", m.group(5), np, "place",
                verb=base)]


_FROM_SOMEONE = {"took", "take", "takes", "got", "get", "gets", "bought", "buy", "heard",
                 "learned", "learnt", "inherited", "borrowed", "received", "adopted", "rented"}


_ROLE = r"(?:head|director|lead|leader|manager|ceo|cto|cfo|coo|president|chair|principal|" \
        r"captain|coach|mayor|king|queen|ruler|chief|owner|dean|editor|supervisor)"
_SCHEDULE_VERBS = {"ships": "ship", "launches": "launch", "opens": "open", "closes": "close",
                   "starts": "start", "begins": "begin", "ends": "end", "premieres": "premiere",
                   "goes live": "go live", "releases": "release", "kicks off": "kick off",
                   "wraps up": "wrap up", "lands": "land", "arrives": "arrive"}


def _scheduled(c: str) -> list[Derived] | None:
    """"Version 4 ships on November 12", "The release is scheduled for May 5th": when."""
    m = re.match(r"^(.+?) (?:(?:is|are) (?:now |currently )?(?:scheduled|planned|set|due|booked|"
                 r"slated)|(" + "|".join(_SCHEDULE_VERBS) + r"))(?: (?:for|on|in|at|by))? (.+)$",
                 c)
    if not m or not (_WHEN.match(m.group(3)) or re.match(
            r"^(?:the )?\d{1,2}(?:st|nd|rd|th)\b|^\d{4}$", m.group(3))):
        return None
    np = noun_phrase(m.group(1))
    if np.lower() in _NO_REFERENT:
        return []
    if m.group(2):
        return [ask(f"When {do(np)} {np} {_SCHEDULE_VERBS[m.group(2)]}?", m.group(3), np, "when")]
    return [ask(f"When {be(np)} {np}?", m.group(3), np, "when"),
            ask(f"When {be(np)} {np} scheduled?", m.group(3), np, "when")]


def _appointed(c: str) -> list[Derived] | None:
    """"Dr. Ines Moreau took over as head of the lab in October": who holds the role now."""
    m = re.match(rf"^(.+?) (?:has )?(?:took over|takes over|stepped in|started|was appointed|"
                 rf"was named|was made|became|is now|has become) (?:as )?(the |our |my )?"
                 rf"(?:new )?((?:[\w-]+ )?{_ROLE}\b.*)$", c, re.I)
    if not m or not is_name(m.group(1)):
        return None
    det, role = (m.group(2) or "the ").lower(), trim(m.group(3))
    return [ask(f"Who is {det}{role}?", m.group(1), role, "holder"),
            ask(f"Who is {det}new {role}?", m.group(1), role, "holder")]


def _switched(c: str) -> list[Derived] | None:
    """"Our team switched from Jira to Linear": what is used now; the old one is wrong."""
    m = re.match(r"^(.+?) (?:has |have |just |finally )*(?:switched|migrated|changed|moved over)"
                 r"(?: from (.+?))? to (.+)$", c)
    if m and not m.group(2):
        np = noun_phrase(m.group(1))
        if np.lower() in _NO_REFERENT or re.match(r"^(?:I|we)$", np) and \
                re.match(r"^(?:the|my|our) ", m.group(3)):
            return None  # "we changed demos to ...": what changed is read by `_set_to`
        return [ask(f"What did {np} switch to?", m.group(3), np, "uses")]
    if not m:
        return None
    np, old, new = noun_phrase(m.group(1)), m.group(2), m.group(3)
    return [ask(f"What {do(np)} {np} use now?", new, np, "uses", (old,)),
            ask(f"What did {np} switch to?", new, np, "uses", (old,))]


def _set_to(c: str) -> list[Derived] | None:
    """"We raised the price to 35 euros a month", "I changed my forum name to quietlynx", "we
    upgraded the db to postgres 16": what the thing is now."""
    m = re.match(r"^(?:I|we|We) (?:have |had |just |finally |recently )*(?:raised|lowered|"
                 r"increased|reduced|upgraded|downgraded|changed|updated|set|bumped|cut|moved|"
                 r"switched) ((?:the|my|our) [\w\s-]+?) to (.+)$", c)
    if not m:
        return None
    np = m.group(1)
    np = np[0].lower() + np[1:]
    return [ask(f"What {be(np)} {np} now?", m.group(2), np, "value")]


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
_FAMILIES = (personal_facts.renames, world_facts.relational, _names, _origin, _home, _work,
             _numbers, _tastes, _given_names, personal_facts.vehicle, personal_facts.trip,
             _scheduled, _appointed,
             _switched, _set_to, _place_of_action, _identity)
# What a negated clause may still say: "I don't like olives" is a taste. Every other family
# reads a clause as asserting its value, so "I don't live in Leeds anymore" would teach Leeds.
_NEGATED_FAMILIES = (_tastes,)
# "Used to" and "anymore" put the value in the past: what the user no longer holds.
_BYGONE = re.compile(r"\bused to\b|\bany ?more\b|\bformerly\b|\bex-", re.I)
# A contrast after the value ("Max, not Rex", "tea rather than coffee") negates what it sets
# against, not the clause: it is cut before the clause is tested for negation.
_CONTRAST_TAIL = re.compile(r"(?:,\s*|\s+)(?:and |but )?(?:not|rather than|instead of)\s.*$",
                            re.I)
# What any clause may say besides its main fact: a name in apposition, a date, a job or diet.
_ALSO = (personal_facts.appositive_names, personal_facts.dated, personal_facts.progressive,
         personal_facts.roles, lambda c: _relative(c))
# Where one statement holds several facts: "the code is 4471 and standup is at 9:15", "I'm 34,
# my wife is 35", "...; ...".
# A clause that asks rather than states: "..., what party games work for that age".
_ASKING = re.compile(r"^(?:(?:what|how|where|when|why|which|who|whom|whose|any)\b|(?:can|could|"
                     r"would|should|do|does|did|is|are|will|shall)\s+(?:you|i|we|it|that|there|"
                     r"this|he|she|they)\b)", re.I)
_NOW = r"(?:(?:now|nowadays|these days|today|currently),?\s+)?"
_FACTS = re.compile(rf"\s*;\s*|\s+[-\u2013\u2014]+\s+|,\s+so\s+|,\s+(?={_ASKING.pattern[1:]})|"
                    rf"\s+(?=(?:she|he|they)'(?:s|re)\s+\d)|(?<=\d)\s+and\s+(?!a half)(?=[a-z]+\s)|"
                    rf"(?<=\d),\s+(?=[a-z]+\s)|"
                    rf",?\s+(?:and|but|so|while|whereas)\s+{_NOW}(?={NEW_CLAUSE})|"
                    rf",\s+{_NOW}(?={NEW_CLAUSE}|(?:his|her|its|their|my|our)\s+[\w-]+'s\s)")
# A clause whose subject was left out, as people write: "just moved to Porto!", "... - moved to
# Bergen in May". The verbs are those a pattern reads after a subject.
_NO_SUBJECT = re.compile(r"^(?:(?:just|recently|finally|also) )*(?:moved|relocated|named|"
                         r"nicknamed|bought|adopted|starting|started|changed|switched|"
                         r"upgraded|raised|lowered)\b", re.I)


def _relative(c: str) -> list[Derived]:
    """"I have a sister named Clara who lives in Vienna": the relative clause said of the one
    it follows ("my sister lives in Vienna")."""
    m = re.search(r"\b(?:(my|our) ([a-z][\w-]*) (?:named|called) [A-Z][\w-]*|(?:I|we) have an? "
                  r"([a-z][\w-]*)(?: (?:named|called) [A-Z][\w-]*)?),? (?:who|which|that) (.+)$",
                  c, re.I)
    if not m:
        return []
    owner = f"{(m.group(1) or ('our' if c.lower().startswith('we') else 'my')).lower()} " \
            f"{m.group(2) or m.group(3)}"
    return _clause(f"{owner} {m.group(4)}")


def _clause(clause: str) -> list[Derived]:
    """Questions for one clause; the first pattern family that matches wins."""
    # "In the book the kingdom is called Orlenmark": the frame says where, not who or what.
    c = world_facts.unframed(clause.strip(" .!;,"))
    if _ASKING.match(c):
        return []
    # The clause's own predicate, up to a comma: "Call me Dee, nobody calls me Deirdre" is no
    # negated naming.
    head = _CONTRAST_TAIL.sub("", c).split(",")[0]
    negated = is_negated(head) or bool(_BYGONE.search(head))
    found: list[Derived] = []
    for family in _NEGATED_FAMILIES if negated else _FAMILIES:
        fits = family(c)
        if fits is not None:
            found = fits
            break
    asked = {d.question for d in found}
    when = any(d.question.startswith("When") for d in found)
    for extra in () if negated else _ALSO:
        found += [d for d in extra(c) if d.question not in asked
                  and not (when and d.relation == "when")]
    return found


def _mentioned(part: str) -> list[str]:
    """What a clause with no question mentions, for a pronoun after it to mean: "my sailboat"
    ("I finally named my sailboat. She's called ..."), a thing just got ("We got a new cat, her
    name's Miso": our cat), the subject ("The project used to be called X, now it's ...")."""
    if m := re.search(r"\b(my|our) ([a-z][\w-]*)\b", part, re.I):
        return [f"{m.group(1).lower()} {m.group(2)}"]
    if m := re.search(r"\b(I|we)(?:'ve| have)? (?:just |finally |recently )?(?:got|adopted|"
                      r"bought|rescued|have|own|found) (?:a|an) (?:new |little |young |second )?"
                      r"([a-z][\w-]*)\b", part, re.I):
        return [f"{'my' if m.group(1).lower() == 'i' else 'our'} {m.group(2)}"]
    if m := re.match(r"^the ([a-z][\w-]*)\b", part, re.I):
        return [f"the {m.group(1)}"]
    return []


def _things(referents: list[str], before: str) -> list[str]:
    """What "it" may stand for: the referents that are no person; for a person, the thing the
    clause before gave them ("my sister runs a bakery" -> "my sister's bakery")."""
    things = [r for r in referents if head_noun(r) not in PEOPLE]
    if things or not referents:
        return things
    had = re.search(r"\b(?:a|an|the) ([a-z][\w-]*)(?: ([a-z][\w-]*))?", before)
    if had is None:
        return []
    noun = had.group(2) if had.group(2) and had.group(2) not in _PREPOSITIONS else had.group(1)
    return [f"{possessive(referents[0])} {noun}"]


_PREPOSITIONS = {"in", "at", "on", "of", "for", "with", "from", "to", "by", "near", "called",
                 "named", "and", "but", "that", "which", "who"}


def derive(statements: list[str]) -> list[Derived]:
    """Questions for each statement; "she"/"he"/"it" resolve to the previous named subject."""
    out: list[Derived] = []
    referents: list[str] = []
    previous = ""
    topic = learning_topic(statements)
    for statement in statements:
        parts = _FACTS.split(statement.rstrip(" .!"))
        for part in parts:
            pronoun = re.match(r"^(she|he|it|they|its|their|his|her)\b", part, re.I)
            if pronoun and pronoun.group(1).lower() in {"it", "its"}:
                # "My sister runs a bakery, it's called Krummel": "it" is never the sister.
                referents = _things(referents, previous)
            if pronoun and pronoun.group(1).lower() in {"its", "their", "his", "her"}:
                # "Veloria is a kingdom and its capital is Marenport": Veloria's capital. With
                # nothing to point at ("I'm seeing someone new, her name is Dalia") the clause
                # is asked as said.
                versions = [f"{possessive(r)}{part[pronoun.end():]}" for r in referents] \
                    or [part]
            elif pronoun:
                rest = part[pronoun.end():]
                if pronoun.group(1).lower() in {"she", "he"}:
                    # "she's 2": someone, so a bare number is an age ("my collie" is no word
                    # the age pattern knows for a living thing).
                    rest = re.sub(r"^(?:'s| is) (\d{1,3})$", r" is \1 years old", rest)
                versions = [referent + rest for referent in referents]
            elif _NO_SUBJECT.match(part):
                subject = "we" if re.search(r"\b(?:we|our|us)\b", statement, re.I) else "I"
                versions = [f"{subject} {part[0].lower()}{part[1:]}"]
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
            elif not pronoun and is_negated(part):
                # "Elodie isn't my sister, she's my cousin": "she" is Elodie, never the sister.
                named = re.match(r"^[A-Z][\w'-]*(?: [A-Z][\w'-]*)*", part)
                referents = [named.group()] if named and named.group() not in {"I", "We"} \
                    else []
            elif not pronoun:
                # "I finally named my sailboat. She's called ...": the thing just mentioned.
                referents = _mentioned(part)
            out += found
            previous = part
    seen: set[str] = set()
    return [d for d in out if not (d.question.lower() in seen or seen.add(d.question.lower()))]
