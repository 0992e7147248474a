"""Negation: a "no" that negates stays, an answering "No," may go; the meaning never reverses."""

from __future__ import annotations

import pytest

from dream.insights import strip_markers
from dream.negation import drop_interjection, is_negated, is_negative_request


@pytest.mark.parametrize(("text", "kept"), [
    ("No, I live in Oslo", "I live in Oslo"),
    ("nope. my cat is 4", "my cat is 4"),
    ("Nah, it's Tuesday", "it's Tuesday"),
    ("No emojis please", "No emojis please"),
    ("no more puns", "no more puns"),
    ("No, emojis", "No, emojis"),  # no full statement follows: the "no" may be the point
    ("Nobody in my family smokes", "Nobody in my family smokes"),
    ("Not really, I grew up in Hull", "I grew up in Hull"),
])
def test_only_an_answering_no_is_dropped(text, kept):
    assert drop_interjection(text) == kept


@pytest.mark.parametrize(("text", "negated"), [
    ("I don't eat pork", True), ("I never fly", True), ("no sugar in my tea", True),
    ("No, I live in Oslo", False), ("I live in Oslo", False), ("Nothing tastes better", True),
])
def test_is_negated(text, negated):
    assert is_negated(text) is negated


@pytest.mark.parametrize(("text", "asks_less"), [
    ("no emojis in your replies please", True), ("No more bullet points, thanks", True),
    ("fewer exclamation marks please", True), ("no jokes in your answers", True),
    ("No dogs are allowed in my building", False), ("No, I live in Oslo", False),
])
def test_is_negative_request(text, asks_less):
    assert is_negative_request(text) is asks_less


@pytest.mark.parametrize(("sentence", "stripped"), [
    ("no emojis in your replies please", "No emojis in your replies please"),
    ("By the way, no spoilers please", "No spoilers please"),
    ("No, I am 35", "I am 35"),
    ("Oh, and no, I don't have kids", "I don't have kids"),
    ("Never mind the cake, I'm 40", "Never mind the cake, I'm 40"),
])
def test_strip_markers_keeps_a_meaningful_negation(sentence, stripped):
    assert strip_markers(sentence) == stripped
