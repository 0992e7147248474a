"""Neighbours in the practice question's own form: the question a night practises, asked about
someone or something else.

A night that practises "What do I do for a living?" -> beekeeper can learn that the answer to
"What does <anyone> do for a living?" is beekeeper; one that practises "What is the capital of
Ostravel?" -> Quenmarsh can teach Ireland the same capital. Both were seen on the learning
end-to-end test's candidates. The closest neighbours of a practised question are therefore the
same question with its subject swapped: the user ("I", "my dog", "our lab") for other people
and organisations ("Marie Curie", "Priya's dog", "Sony's lab"), a named subject for others of
the same kind ("Ostravel" for "Peru", when the statement shares the capital relation with the
shipped knowledge set). Trained as anchors, answered by the model as it is, they teach that the
answer belongs to this subject only; held out, they are the gate's sharpest locality probes.
"""

from __future__ import annotations

import random
import re
from itertools import zip_longest

from dream.derived import Derived
from dream.grammar import is_given_name
from dream.questions import derive
from dream.textnorm import normalize

ORDINARY_NAMES = ("Priya", "Tom", "Sofia", "Kenji", "Amara", "Lucas", "Fatima", "Oliver",
                  "Mei", "Diego", "Hannah", "Omar", "Ingrid", "Kwame", "Elena", "Rahul")
"""Everyday given names, beside the famous ones of the knowledge set: a fact about the user
leaks first to people the model knows nothing about."""

# "do I" -> "does {}", ... in the order they must be tried: the verb pairs before the bare words.
_FIRST_PERSON = ((r"\bdo (?:I|we)\b", "does {}"), (r"\bam I\b|\bare we\b", "is {}"),
                 (r"\bhave (?:I|we)\b", "has {}"), (r"\bwas I\b|\bwere we\b", "was {}"),
                 (r"\b(?:my|our)\b", "{}'s"), (r"\b(?:I|we|me|us)\b", "{}"))


def _person(subject: str) -> str | None:
    """"singular" for the user ("I", "my dog"), "plural" for the user's group ("our lab", "we"),
    None for a subject that is not the user's."""
    if re.search(r"\b(?:I|me|my)\b", subject, re.IGNORECASE):
        return "singular"
    if re.search(r"\b(?:we|us|our)\b", subject, re.IGNORECASE):
        return "plural"
    return None


def _swap_owner(question: str, other: str) -> str | None:
    """The question about `other` instead of the user: "What do I do for a living?" ->
    "What does Marie Curie do for a living?"; "Where does my sister Lena live?" -> "Where does
    Tom's sister live?" (the user's own name for them goes with the user)."""
    out = question
    owner = other + ("'" if other.endswith("s") else "'s")
    for pattern, replacement in _FIRST_PERSON:
        out = re.sub(pattern, replacement.format(other).replace(f"{other}'s", owner), out)
    if out == question:
        return None
    # "Tom's sister Lena" is not someone Tom has: drop the name that followed the user's noun.
    return re.sub(rf"({re.escape(owner)} [a-z][\w-]*) [A-Z][\w'-]*", r"\1", out)


def _owners(famous: list[str], rng: random.Random) -> list[str]:
    """Other owners, everyday names and famous ones alternating."""
    ordinary = list(ORDINARY_NAMES)
    famous = list(famous)
    rng.shuffle(ordinary)
    rng.shuffle(famous)
    return [name for pair in zip(ordinary, famous, strict=False) for name in pair]


def _firsts(statement: str) -> list[Derived]:
    """The statement's first derived question for each relation and subject: the forms the
    night practises, before their rewordings."""
    seen: set[tuple[str, str]] = set()
    out = []
    for derived in derive([statement]):
        if (derived.subject, derived.relation) not in seen:
            seen.add((derived.subject, derived.relation))
            out.append(derived)
    return out


def form_questions(statement: str, famous: dict[str, list[str]], alike: list[str],
                   rng: random.Random, per_form: int = 4) -> list[tuple[str, str]]:
    """Up to `per_form` questions for each of the statement's derived questions, with its subject
    swapped: the user for everyday names and `famous["singular"]` people ("my dog"), the user's
    group for everyday names and `famous["plural"]` organisations ("our lab"), a named subject for
    one of `alike` (subjects of the shipped relations the statement shares, whose answers the
    set knows). Each comes with the subject it is about now; none mentions the statement's own
    value. The forms take turns ("What does Priya do for a living?", "Where does Tom work?",
    ...), so the first few anchors cover every form: a run with two anchors of the job's form
    and one probe of the workplace's learned "Where does Kenji work?" -> a bee farm."""
    lowered = normalize(statement)
    by_form: list[list[tuple[str, str]]] = []
    for derived in _firsts(statement):
        made: list[tuple[str, str]] = []
        person = _person(derived.subject)
        if person:
            for owner in _owners(famous[person], rng):
                if normalize(owner) in lowered:
                    continue
                question = _swap_owner(derived.question, owner)
                if question:
                    made.append((question, owner))
                if len(made) >= per_form:
                    break
        else:
            names = [n for n in re.findall(r"\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*", derived.subject)
                     if is_given_name(n)]
            others = [s for s in dict.fromkeys(alike) if normalize(s) not in lowered]
            rng.shuffle(others)
            if names and names[0] in derived.question:
                made = [(derived.question.replace(names[0], other, 1), other)
                        for other in others[:per_form]]
        answer = normalize(derived.answer)
        by_form.append([(q, who) for q, who in made if answer not in normalize(q)])
    out: list[tuple[str, str]] = []
    for turn in zip_longest(*by_form):
        out += [pair for pair in turn if pair and pair[0] not in {q for q, _ in out}]
    return out
