"""Negation: which "no", "not", "never" and "don't" carry a sentence's meaning.

A leading "No," that answers the assistant ("No, I live in Oslo") is an interjection and may be
cut; a "no" that negates what follows ("No emojis please") is the point of the sentence and must
stay, or the user's request is learned reversed.
"""

from __future__ import annotations

import re

# Words that negate what they govern: "not", "never", "no", "nothing", contracted "n't".
_NEGATOR = re.compile(
    r"\b(?:no|not|never|nothing|nobody|none|neither|nor|nowhere|without|cannot)\b|n't\b", re.I)
# An answering "no" (or "nope", "nah", "not really") set off by punctuation: "No, ...", "Nope. ".
_INTERJECTION = re.compile(r"^(?:no+|nope|nah|not really)(?:\s*[,.!;:\-]+\s*)(?=\S)", re.I)
# What makes the rest a full statement: a subject pronoun or determiner, or a finite verb.
_CLAUSE = re.compile(
    r"^(?:i|i'm|i've|i'd|i'll|we|we're|you|he|she|it|it's|they|my|our|his|her|their|this|that|"
    r"that's|there|there's)\b|\b(?:is|are|am|was|were|has|have|had|do|does|did|will|can|live|"
    r"lives|lived|work|works|worked|moved|meant)\b|'(?:s|m|re|ve)\b", re.I)
# A request for less of something, said as a negated noun phrase: "no emojis please", "no more
# puns in your answers", "nothing spicy, thanks". The "no" is the request, so it is a preference.
_NEGATIVE_REQUEST = re.compile(
    r"^(?:no|no more|nothing|none of|not so many|not too many|not too much|less|fewer|without)\b"
    r".{0,60}\b(?:please|pls|plz|thanks|thank you|in (?:your|the|any) (?:replies|answers|"
    r"responses|messages|suggestions|recipes)|from now on|any ?more|ever again)\b", re.I)


def is_negated(text: str) -> bool:
    """Whether the statement itself is negated, not just opened by an answering "No,"."""
    return bool(_NEGATOR.search(drop_interjection(text)))


def drop_interjection(text: str) -> str:
    """"No, I live in Oslo" -> "I live in Oslo"; "No emojis please" and "No, emojis" unchanged.

    The interjection goes only when punctuation sets it off and a full statement follows it.
    """
    match = _INTERJECTION.match(text)
    if not match or not _CLAUSE.search(text[match.end():]):
        return text
    return text[match.end():]


def is_negative_request(text: str) -> bool:
    """A request for less of something ("no emojis please", "fewer bullet points, thanks")."""
    return bool(_NEGATIVE_REQUEST.match(text.strip()))
