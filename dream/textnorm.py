"""Text normalisation shared by insight extraction, question derivation, checkers and filters.

Everything here is plain string work with no model, so the same normalisation decides whether a
statement is kept, whether two prompts are duplicates, and whether an answer passes a checker.
"""

from __future__ import annotations

import re
from typing import Any

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20,
}

# Function words: they carry no topic, so overlap on them must not make two texts look alike.
STOPWORDS = frozenset("""
a an the and or but if then so of to in on at by for with from about as into over after before
is are was were be been being am do does did has have had will would can could should may might
must shall i me my mine we us our ours you your yours he him his she her hers it its they them
their theirs this that these those there here what which who whom whose when where why how not no
yes just also very really too please any some all each every s t d ll re ve m don doesn didn isn
aren wasn weren won wouldn can't cannot let like tell know told say said one
""".split())

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-", "\u00a0": " "})
_ABBREV = re.compile(r"\b(Mr|Mrs|Ms|Dr|Prof|St|Mt|Jr|Sr|vs|etc|e\.g|i\.e|Inc|Ltd|Co)\.$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])", re.I)


def message_text(message: dict[str, Any]) -> str:
    """A message's text; OpenAI clients may send content as a list of typed parts."""
    content = message.get("content")
    if isinstance(content, list):
        content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return (content or "").translate(_QUOTES).strip()


def clean(text: str) -> str:
    """Typographic quotes and dashes folded to ASCII, whitespace collapsed."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


# Contractions typed without their apostrophe, as people do on phones: "im", "dont", "shes".
# Only forms that are no other English word ("its", "were", "ill", "id" and "wont" are left).
_BARE_CONTRACTIONS = {
    "im": "I'm", "ive": "I've", "dont": "don't", "doesnt": "doesn't", "didnt": "didn't",
    "cant": "can't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't",
    "havent": "haven't", "hasnt": "hasn't", "wouldnt": "wouldn't", "couldnt": "couldn't",
    "shouldnt": "shouldn't", "thats": "that's", "whats": "what's", "shes": "she's",
    "hes": "he's", "theyre": "they're", "youre": "you're", "theres": "there's"}
_BARE = re.compile(r"\b(" + "|".join(_BARE_CONTRACTIONS) + r")\b", re.I)
# "my daughters name is Lena", "my cats called Pickle": a possessive or "is" lost its apostrophe.
_LOST_POSSESSIVE = re.compile(r"\b(my|our|his|her|their|your) ([a-z]+[^s\W])s (name|birthday)"
                              r" (is|was)\b", re.I)
_LOST_IS = re.compile(r"\b(my|our) ([a-z]+[^s\W])s (called|named) ([A-Z][\w-]*)\b(?! and\b)")


def mend_typing(text: str) -> str:
    """What a quick typist drops, put back so the rules read it: a lowercase "i", contractions
    without apostrophes, a possessive without its "'s" before "name"."""
    text = re.sub(r"\bi\b(?=(?:'[a-z]+)?(?:\s|$|[,.!?;]))", "I", text)

    def contraction(m: re.Match) -> str:
        fixed = _BARE_CONTRACTIONS[m.group(1).lower()]
        return fixed if m.group(1)[0].islower() or fixed.startswith("I") else fixed.capitalize()

    text = _BARE.sub(contraction, text)
    # "its" is a word of its own, but never before these: "its at 10", "its Leo", "its a cat".
    text = re.sub(r"\b([Ii])ts (?=(?:at|on|in|not|now|actually|called|named|really|just|still|"
                  r"a|an|the|my|our|\d|[A-Z]))", r"\1t's ", text)
    # Opening a clause after a correction word it is "it's" too: "nvm its green", "not nuts,
    # its shellfish".
    text = re.sub(r"(\b(?:no|nope|nah|nvm|sorry|wait|actually|oops),?\s+|\bnot [\w ]{1,30},\s*)"
                  r"([Ii])ts (?=[a-z])", r"\1\2t's ", text)
    text = _LOST_POSSESSIVE.sub(r"\1 \2's \3 \4", text)
    return _LOST_IS.sub(r"\1 \2's \3 \4", text)


def normalize(text: str) -> str:
    """Lowercase words and numbers separated by single spaces: the form all matching uses."""
    text = clean(text).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,200 -> 1200 so formats compare equal
    text = re.sub(r"'s\b", "", text)  # "Biscuit's bowl" still contains "Biscuit"
    return " ".join(re.findall(r"[a-z0-9]+(?:\.[0-9]+)?", text))


def tokens(text: str) -> list[str]:
    return normalize(text).split()


def content_tokens(text: str) -> set[str]:
    return {t for t in tokens(text) if t not in STOPWORDS}


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word, case- and punctuation-insensitive containment ("Rex" is not in "Rexford")."""
    needle = normalize(phrase)
    return bool(needle) and f" {needle} " in f" {normalize(text)} "


def numbers_in(text: str) -> list[float]:
    """Every number written in digits (any grouping/decimals) or as a word zero..twenty."""
    text = clean(text).lower()
    found = [float(m.group().replace(",", "")) for m in _NUMBER.finditer(text)]
    found += [float(NUMBER_WORDS[w]) for w in re.findall(r"[a-z]+", text) if w in NUMBER_WORDS]
    return found


def as_number(text: str) -> float | None:
    """The value of a phrase that is just a number ("7", "seven", "7 years old"), else None."""
    words = normalize(text).split()
    unit_free = [w for w in words if w not in {"years", "year", "old", "about", "around"}]
    if len(unit_free) != 1:
        return None
    word = unit_free[0]
    if word in NUMBER_WORDS:
        return float(NUMBER_WORDS[word])
    try:
        return float(word)
    except ValueError:
        return None


def split_sentences(text: str) -> list[str]:
    """Sentences and lines, without splitting after abbreviations such as "Dr." or "St."."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(clean_keep_lines(text)):
        piece = piece.strip()
        if not piece:
            continue
        if out and _ABBREV.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def clean_keep_lines(text: str) -> str:
    """Like `clean`, but line breaks survive: a line break ends a statement in chat text."""
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in text.translate(_QUOTES).split("\n"))
    return "\n".join(line.lstrip("-*\u2022 ").strip() for line in lines if line.strip())


def capitalized_span(phrase: str) -> str | None:
    """The longest run of capitalised words in a phrase ("12 Harbor Street" -> "Harbor Street")."""
    runs = re.findall(r"[A-Z][\w'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]*)*", phrase)
    return max(runs, key=len) if runs else None
