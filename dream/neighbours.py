"""Neighbours of what a night learns: general questions whose answers learning a statement must
leave as they are (locality, in knowledge-editing terms).

A statement's neighbours come from the shipped general-knowledge set, organised by relation
(`dream/data/relations.jsonl`): every relation whose cue words the statement uses gives its
questions about other subjects (the same relation: "What is the capital of France?" beside "the
capital of Veloria is Marenport"), and the other relations of the same kind of subject are asked
about the statement's own names (the same subject: "What currency is used in Veloria?"). A run
trains on some of them as anchors, answered by the model as it is, and holds others out for the
gate's locality check; a question is never both. Statements the set has nothing for get the
model's own questions of the same kind (`dream.model_neighbours`).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache

from dream.datasets import load_relations
from dream.form_anchors import form_questions
from dream.grammar import is_given_name
from dream.questions import derive
from dream.textnorm import normalize, tokens


@dataclass(frozen=True)
class Relation:
    """One relation of the knowledge set: its subjects' kind, the words that signal it in a
    statement, question templates ("What is the capital of {}?") and known facts."""

    name: str
    kind: str
    cues: frozenset[str]
    asks: tuple[str, ...]
    facts: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def named_subjects(self) -> bool:
        """Whether its subjects are names ("France"), so a statement's names fit its questions;
        "What sound does a {} make?" takes a common noun, never "Rex"."""
        return sum(s[:1].isupper() for s, _ in self.facts) * 2 > len(self.facts)


@dataclass(frozen=True)
class Neighbour:
    """A general question near a statement; `accepted` holds the known answers when it is a fact
    of the knowledge set (empty when a statement's own name was put into another relation)."""

    question: str
    statement: str
    relation: str
    accepted: tuple[str, ...] = ()


@cache
def relations() -> tuple[Relation, ...]:
    return tuple(Relation(r["relation"], r["kind"], frozenset(r["cues"]), tuple(r["asks"]),
                          tuple((s, tuple(a)) for s, a in r["facts"]))
                 for r in load_relations())


def _words(text: str) -> set[str]:
    """Lowercase words of a text, with a plural's singular ("symbols" is "symbol")."""
    words = set(tokens(text))
    return words | {w[:-1] for w in words if len(w) > 3 and w.endswith("s")}


def relations_of(statement: str) -> list[Relation]:
    """The relations whose cue words the statement uses."""
    words = _words(statement)
    return [r for r in relations() if r.cues & words]


def shares_named_relation(statement: str) -> bool:
    """Whether the statement uses a relation whose subjects are names ("the capital of
    Ostravel" beside "the capital of France"), where learning it leaks furthest."""
    return any(r.named_subjects for r in relations_of(statement))


def _names(statement: str) -> list[str]:
    """Capitalised names in a statement: those mid-sentence, and named subjects of its derived
    questions (an opener is a name only when it is what the statement is about); "I", months
    and days aside."""
    subjects = [d.subject for d in derive([statement])]
    statement = re.sub(r"\b(?:Dr|Mr|Mrs|Ms|Prof|St)\.\s+", "", statement)
    found = re.findall(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*", statement)
    return list(dict.fromkeys(n.removesuffix("'s") for n in subjects + found
                              if is_given_name(n)))


def _of_kind(kinds: set[str]) -> list[str]:
    return [s for r in relations() if r.kind in kinds for s, _ in r.facts]


def neighbours_of(statement: str, rng: random.Random) -> list[Neighbour]:
    """The statement's neighbours in a random order that alternates its practised questions
    about other subjects (`dream.form_anchors`), the same relation about other subjects and
    other relations about its own names."""
    matched = relations_of(statement)
    lowered = normalize(statement)
    # The practised question about a subject the set knows keeps the set's answers when it uses
    # the words of the one relation the statement shares ("What is Japan's capital?"), not when
    # it asks something else of the subject ("What is Greece?").
    def known(question: str, other: str) -> tuple[str, ...]:
        if len(matched) != 1 or not matched[0].cues & _words(question):
            return ()
        return dict(matched[0].facts).get(other, ())

    same_form = [Neighbour(q, statement, "form", known(q, other))
                 for q, other in form_questions(statement, {"singular": _of_kind({"person"}),
                                                            "plural": _of_kind({"company"})},
                                                [s for r in matched for s, _ in r.facts], rng)]
    same_relation = [Neighbour(rng.choice(r.asks).format(subject), statement, r.name, accepted)
                     for r in matched for subject, accepted in r.facts
                     if normalize(subject) not in lowered]
    kinds = {r.kind for r in matched}
    names = _names(statement)
    same_subject = [Neighbour(r.asks[0].format(name), statement, r.name)
                    for r in relations() if r.kind in kinds and r not in matched
                    and r.named_subjects for name in names]
    rng.shuffle(same_relation)
    rng.shuffle(same_subject)
    out: list[Neighbour] = []
    for i in range(max(len(same_form), len(same_relation), len(same_subject))):
        # The practised form and the relation are what leaks; the subject's other relations less.
        out += same_form[2 * i:2 * i + 2] + same_relation[2 * i:2 * i + 2] + same_subject[i:i + 1]
    return out


def plan(statements: list[str], anchors_per_statement: int, probes_per_statement: int,
         rng: random.Random, taken: set[str] | None = None,
         written: dict[str, list[Neighbour]] | None = None, relation_anchors: int = 0,
         form_probes: bool = True) -> tuple[list[Neighbour], list[Neighbour]]:
    """(anchors to train on, probes to hold out) for a run's statements: up to the given number
    per statement, no question twice, and none of `taken` (normalised questions already in the
    run, such as its practice prompts). `written`: further neighbours by statement (the model's
    own, `dream.model_neighbours`), used after the shipped set's. Statements take turns, one
    neighbour each per round, so a cap on the run's anchors (`anchor_fraction`) or probes cuts
    every statement's share alike rather than the last statements' whole share. A statement
    that shares a relation of named subjects with general knowledge (the capital of a made-up
    country) takes `relation_anchors` more, after every statement's own: learning it is what
    gives "the capital of France" a new answer. With `form_probes` False, neighbours in the
    practised question's own form are anchors only, never held out."""
    seen = set(taken or ())
    queues = {s: neighbours_of(s, rng) + (written or {}).get(s, [])
              for s in dict.fromkeys(statements)}
    allowed = {s: anchors_per_statement + (relation_anchors if shares_named_relation(s) else 0)
               for s in queues}
    mine = dict.fromkeys(queues, 0)
    held = dict.fromkeys(queues, 0)
    anchors: list[Neighbour] = []
    probes: list[Neighbour] = []
    while queues:
        for statement, queue in list(queues.items()):
            while queue and normalize(queue[0].question) in seen:
                queue.pop(0)
            full = mine[statement] >= allowed[statement]
            if not queue or (full and held[statement] >= probes_per_statement):
                del queues[statement]
                continue
            neighbour = queue.pop(0)
            seen.add(normalize(neighbour.question))
            if full and not form_probes and neighbour.relation == "form":
                continue
            if held[statement] < probes_per_statement and (held[statement] * 2 < mine[statement]
                                                           or full) \
                    and (form_probes or neighbour.relation != "form"):
                probes.append(neighbour)
                held[statement] += 1
            else:
                anchors.append(neighbour)
                mine[statement] += 1
    return anchors, probes
