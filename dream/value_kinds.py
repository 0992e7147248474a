"""The kinds of value a statement holds, so that a bare correction replaces a value of its kind.

"the 6th" is an ordinal, "18k" and "84kg" amounts (with a unit), "11:30" and "at 10" clock times,
"2 june" a date, "jwalsh2" or "night_owl" a handle, "Oslo" a name; `values` finds them in order
and `unit` tells amounts of the same measure apart ("92 kilos" and "84kg" are both kilograms).
"""

from __future__ import annotations

import re

from dream.textnorm import STOPWORDS, normalize

_MONTHS = (r"january|february|march|april|may|june|july|august|september|october|november|"
           r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
# Unit spellings folded to one name each: an amount only replaces an amount of the same unit.
_UNITS = {
    "k": "k", "m": "m", "bn": "bn", "%": "%", "percent": "%",
    "kg": "kg", "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilograms": "kg", "kilogram": "kg",
    "g": "g", "grams": "g", "lb": "lb", "lbs": "lb", "km": "km", "kms": "km", "miles": "mile",
    "mile": "mile", "cm": "cm", "mm": "mm", "ml": "ml", "l": "l", "litres": "l", "liters": "l",
    "euro": "eur", "euros": "eur", "eur": "eur", "\u20ac": "eur", "dollar": "usd",
    "dollars": "usd", "usd": "usd", "$": "usd", "pound": "gbp", "pounds": "gbp", "gbp": "gbp",
    "\u00a3": "gbp", "quid": "gbp", "hours": "h", "hour": "h", "hrs": "h", "h": "h",
    "minutes": "min", "minute": "min", "mins": "min", "min": "min",
}
_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS if u[0].isalpha() or u == "%"),
                        key=len, reverse=True))
_NUM = r"\d+(?:[.,]\d+)*"
_VALUE = re.compile(
    r"(?<![\w:])(?:(?P<time>\d{1,2}(?::\d{2})?\s*(?i:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}"
    r"|(?<=\bat )\d{1,2}(?!\s*(?:%|[a-z])))"
    rf"|(?P<date>(?i:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})"
    rf"|(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?))"
    r"|(?P<ordinal>(?i:\d+(?:st|nd|rd|th)))"
    rf"|(?P<amount>[$\u20ac\u00a3]\s?{_NUM}(?:\s?[kmKM]|bn)?|(?i:{_NUM}\s?(?:{_UNIT})))"
    r"|(?P<handle>@?[a-z][a-z0-9]*(?:_[a-z0-9]+)+|@?[a-z]+\d+[a-z0-9]*)"
    r"|(?P<day>(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)days?))"
    r"|(?P<month>(?i:january|february|march|april|june|july|august|september|october|november"
    r"|december)|May)"
    r"|(?P<number>\d+(?:[.,]\d+)*|(?i:zero|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)))"
    r"(?![\w:])"
    r"|(?<=\s)(?!I\b|I')(?P<name>[A-Z][\w'-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w'-]*)*)")
_FILLER = {"the", "a", "an", "of", "de", "years", "year", "old", "pm", "am", "number", "no"}


def values(text: str) -> list[tuple[str, re.Match[str]]]:
    """(kind, match) for each value in `text`: a time, date, ordinal, amount, handle, day, month,
    number, or capitalised name (not the first word: every sentence starts with a capital)."""
    return [(m.lastgroup or "", m) for m in _VALUE.finditer(text)]


def unit(value: str) -> str | None:
    """The unit of an amount ("84kg" -> "kg", "$40" -> "usd"), None when it has none."""
    found = re.findall(r"[a-z%$\u20ac\u00a3]+", value.lower())
    return next((_UNITS[u] for u in found if u in _UNITS), None)


def kind_of(value: str) -> str | None:
    """The kind of a phrase that is a single value ("the 6th" -> "ordinal"), else None."""
    found = values(" " + value)
    return found[0][0] if len(found) == 1 else None


def value_phrase(text: str) -> bool:
    """A short phrase with nothing but a value in it ("the 6th", "number 21", "4 kids")."""
    words = normalize(text).split()
    return 0 < len(words) <= 4 and all(w not in STOPWORDS or w in _FILLER for w in words)


def same_measure(a: tuple[str, re.Match[str]], b: tuple[str, re.Match[str]]) -> bool:
    """Two values of one kind, amounts of one unit ("35 euros" and "29 euros")."""
    if a[0] != b[0]:
        return False
    return a[0] != "amount" or unit(a[1].group()) == unit(b[1].group())
