"""Preferences that show in how answers are written, with a check for each: "call me Jo" in a
greeting that names Jo, "always use metric" in distances given in kilometres, "no emojis" in
replies without one, "keep it under three sentences" in the count, "I'm vegetarian" and "I'm
allergic to peanuts" in recipes without meat or peanuts, "reply in Spanish" in Spanish.

`behaviours(statements)` finds them in a preference's statements; each comes with ordinary
requests on which it shows (the student practises them without the preference in context, the
teacher answers with it) and a checker of the answer (`dream.checkers`), so the teacher filter
keeps only answers that behave and the gate can measure whether the adapter does. A preference
none of them fits is practised on general prompts without a check, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dream.checkers import LANGUAGE_WORDS
from dream.grammar import is_given_name
from dream.negation import is_negated

_MEAT = ["meat", "chicken", "beef", "pork", "bacon", "ham", "lamb", "steak", "turkey", "sausage",
         "salami", "prosciutto", "veal", "duck", "mince", "pepperoni", "chorizo"]
_FISH = ["fish", "salmon", "tuna", "shrimp", "prawns", "anchovies", "cod"]
_ANIMAL_PRODUCTS = ["cheese", "milk", "butter", "eggs", "egg", "cream", "yogurt", "honey"]
_METRIC = ["km", "kilometers", "kilometres", "meters", "metres", "cm", "centimeters",
           "centimetres", "kg", "kilograms", "grams", "liters", "litres", "celsius", "°C"]
_IMPERIAL = ["miles", "mile", "feet", "foot", "inches", "pounds", "lbs", "ounces", "oz",
             "fahrenheit", "°F", "gallons", "yards"]
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}

_GREETINGS = ["Hi!", "Good morning!", "Hello, can you help me with something?",
              "Hey, I'm back. How are you?"]
_MEASURES = ["How long is a marathon?", "How far can a person walk in an hour?",
             "What is a comfortable temperature for a bedroom?",
             "How heavy is a typical house cat?", "How tall is the Eiffel Tower?",
             "What temperature should I bake bread at?"]
_EXPLAIN = ["Explain how rainbows form.", "What is photosynthesis?",
            "How does a refrigerator keep food cold?", "Why do we have seasons?",
            "How do vaccines work?"]
_CHATTY = ["Write a short birthday message for my friend.", "Say something encouraging.",
           "Tell me a fun fact about octopuses.", "How's your day going?"]
_MEALS = ["Suggest a dinner recipe for tonight.", "What should I cook for lunch?",
          "Give me an idea for a quick weeknight meal.", "What can I make for a picnic?",
          "Suggest a dish I could bring to a party."]


@dataclass(frozen=True)
class Behaviour:
    """A way answers should be written: what it is, requests on which it shows, the check."""

    name: str
    prompts: tuple[str, ...]
    checker: dict[str, Any]


def behaviours(statements: list[str]) -> list[Behaviour]:
    """The behaviours a preference's statements ask for, each once, in the order found."""
    found: dict[str, Behaviour] = {}
    for statement in statements:
        for behaviour in _read(statement):
            found.setdefault(behaviour.name, behaviour)
    return list(found.values())


def _read(s: str) -> list[Behaviour]:
    out: list[Behaviour] = []
    low = s.lower()
    if m := re.search(r"\b(?i:call me|address me as|refer to me as|my name is) "
                      r"([A-Z][\w'-]*(?: [A-Z][\w'-]*)?)", s):
        if is_given_name(m.group(1).split()[0]) and (
                "call me" in low or re.search(r"\b(?:use|say|address|call)\b", low)):
            out.append(Behaviour("name", tuple(_GREETINGS),
                                 {"type": "contains_any", "values": [m.group(1)]}))
    # Units asked for, not units mentioned ("I ran three miles today").
    asks_units = re.search(r"\b(?:use|using|answer|reply|respond|give|prefer|always|stick "
                           r"(?:to|with)|convert|switch to|units|measurements)\b", low)
    metric = asks_units and re.search(r"\b(?:metric|celsius|kilomet|kilogram|centimet)", low)
    imperial = asks_units and re.search(r"\b(?:imperial|fahrenheit|miles|pounds|feet|inches)\b",
                                        low)
    if metric and (not imperial or metric.start() < imperial.start()):
        out.append(Behaviour("metric", tuple(_MEASURES), {"type": "all", "checks": [
            {"type": "contains_any", "values": _METRIC},
            {"type": "not_contains", "values": _IMPERIAL}]}))
    elif imperial and not re.search(r"\b(?:not|no|never|don't|instead of)\s+\w*\s*(?:imperial|"
                                    r"fahrenheit|miles|pounds|feet|inches)", low):
        out.append(Behaviour("imperial", tuple(_MEASURES), {"type": "all", "checks": [
            {"type": "contains_any", "values": _IMPERIAL},
            {"type": "not_contains", "values": _METRIC}]}))
    if re.search(r"\b(?:no|without|don't use|do not use|stop using|never use|skip the|fewer)\s+"
                 r"(?:the |any )?emojis?\b", low):
        out.append(Behaviour("no emoji", tuple(_CHATTY), {"type": "no_emoji"}))
    if m := re.search(r"\b(?:under|at most|no more than|max(?:imum)?|maximum of|only|just|"
                      r"within) (\d|one|two|three|four|five|six)(?:-\d)? sentences?\b", low):
        limit = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
        out.append(Behaviour("length", tuple(_EXPLAIN), {"type": "max_sentences",
                                                         "value": limit}))
    elif re.search(r"\b(?:keep|make) (?:it|them|your (?:answers|replies|responses))\s+"
                   r"(?:short|brief)\b|\b(?:short|brief) (?:answers|replies|responses)\b", low):
        out.append(Behaviour("length", tuple(_EXPLAIN), {"type": "max_sentences", "value": 3}))
    out += _food(s, low)
    if m := re.search(r"\b(?:reply|answer|respond|write|talk|speak)(?: to me)? in (" +
                      "|".join(LANGUAGE_WORDS) + r")\b", low):
        out.append(Behaviour(m.group(1), tuple(_CHATTY + _EXPLAIN[:2]),
                             {"type": "language", "value": m.group(1)}))
    return out


def _food(s: str, low: str) -> list[Behaviour]:
    """Diets and allergies: meals suggested without what the user does not eat."""
    avoid: list[str] = []
    if re.search(r"\bvegan\b", low) and not is_negated(re.sub(r"\bno meat\b", "", low)):
        avoid = _MEAT + _FISH + _ANIMAL_PRODUCTS
    elif re.search(r"\bvegetarian\b|\b(?:don't|do not|never|can't) eat meat\b|\bno meat\b",
                   low) and not re.search(r"\bnot (?:a )?vegetarian\b", low):
        avoid = _MEAT + _FISH
    if m := re.search(r"\ballergic to ([a-z][a-z ,-]*?)(?:\s*(?:so|and so|,|\.|$))", low):
        items = [w.strip() for w in re.split(r",\s*|\s+and\s+|\s+or\s+", m.group(1)) if w.strip()]
        for item in items:
            avoid += [item, item[:-1]] if item.endswith("s") else \
                [item] if item.endswith(("sh", "ch", "x")) else [item, f"{item}s"]
    avoid = list(dict.fromkeys(a for a in avoid if a))
    if not avoid:
        return []
    return [Behaviour("food", tuple(_MEALS), {"type": "not_contains", "values": avoid})]
