"""English agreement for derived questions: a subject as it sits mid-question ("my dog", "I",
"Zentrix"), its verb forms ("is"/"are", "do"/"does", "grew" -> "grow"), possessives, and `ask`,
which turns a question and the answer cut from the statement into a `Derived` with its checker.
"""

from __future__ import annotations

import re

from dream.derived import Derived
from dream.spans import DET, MONTH, checker_for, trim
from dream.textnorm import STOPWORDS
from dream.vocabulary import PEOPLE

# Past tenses a question needs in their base form ("grew up" -> "did ... grow up").
IRREGULAR = {"grew": "grow", "went": "go", "met": "meet", "spent": "spend", "took": "take",
             "bought": "buy", "found": "find", "left": "leave", "came": "come", "got": "get",
             "made": "make", "saw": "see", "wrote": "write", "ran": "run", "taught": "teach",
             "studied": "study", "kept": "keep", "began": "begin", "learned": "learn",
             "learnt": "learn", "built": "build", "sold": "sell", "drove": "drive",
             "flew": "fly", "lived": "live", "worked": "work", "stayed": "stay", "had": "have",
             "gave": "give", "won": "win", "lost": "lose", "became": "become", "did": "do"}
_NOT_NAMES = re.compile(rf"^(?:{MONTH}|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|I|I'm|I've|"
                        r"God|Christmas|Easter|English)$")


def noun_phrase(subject: str) -> str:
    """A subject as it sits mid-question: determiners lowercased, "I" kept."""
    subject = trim(subject)
    if subject.lower() in {"we", "they", "you"}:
        return subject.lower()
    if re.match(rf"^{DET}\b", subject, re.I):
        return subject[0].lower() + subject[1:]
    return "I" if subject.lower() == "i" else subject


def plural(np: str) -> bool:
    last = np.split()[-1].lower()
    return np.lower() in {"we", "you", "they"} or (
        bool(re.match(rf"^{DET}\s", np, re.I)) and last.endswith("s")
        and not last.endswith(("ss", "'s", "us")))


def be(np: str) -> str:
    return "am" if np == "I" else "are" if plural(np) else "is"


def do(np: str) -> str:
    return "do" if np == "I" or plural(np) else "does"


def possessive(np: str) -> str:
    plural_s = np.endswith("s") and not np.endswith("ss")
    return {"I": "my", "we": "our"}.get(np, f"{np}'" if plural_s else f"{np}'s")


def head_noun(np: str) -> str:
    """The noun a phrase is about: "my old car" -> "car", "the head of our lab" -> "head"."""
    words = re.findall(r"[a-z]+", re.split(r"\s+of\s+", np.lower())[0])
    return words[-1] if words else ""


def is_person(np: str) -> bool:
    return np in {"I", "we"} or head_noun(np) in PEOPLE


def is_name(np: str) -> bool:
    """"Mara", "Dr. Smith", "Velvet Moss": every word capitalised, not a sentence opener."""
    words = np.split()
    return bool(words) and all(re.match(r"^[A-Z]", w) for w in words) and \
        words[0].lower() not in STOPWORDS | {"on", "in", "at", "it", "this", "there"}


def is_given_name(word: str) -> bool:
    """A capitalised word that names someone or something, not a month, weekday or "I"."""
    return is_name(word) and not _NOT_NAMES.match(word)


def aliases(subject: str) -> list[str]:
    """"Our company, Zentrix," is both "Zentrix" and "our company"."""
    match = re.match(r"^(.+?),\s*([A-Z][\w'-]*(?:\s+[A-Z][\w'-]*)*),?$", subject.strip())
    if match:
        return [match.group(2), noun_phrase(match.group(1))]
    return [noun_phrase(subject)]


def base_form(past: str) -> str:
    """"grew" -> "grow", "studied" -> "study", "moved" -> "move", "stopped" -> "stop"."""
    if past in IRREGULAR:
        return IRREGULAR[past]
    if past.endswith("ied"):
        return past[:-3] + "y"
    stem = past[:-2]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem + "e" if stem.endswith(("v", "c", "z", "s")) else stem


def ask(question: str, answer: str, subject: str, relation: str,
        rejects: tuple[str, ...] = (), checker: dict | None = None, **extra: object) -> Derived:
    """A derived question; its checker accepts the answer (and not `rejects`) unless given."""
    question = question[0].upper() + question[1:]
    answer = answer.strip(" .!;,") if checker else trim(answer)  # a list keeps its commas
    checker = checker or checker_for(answer, rejects)
    number = float(checker["value"]) if checker["type"] == "number" else None
    return Derived(question, answer, checker, subject, relation, number, dict(extra))
