"""Private data never reaches learning: each kind is redacted (and near-misses are not), and a
dream over sessions full of private values leaves none in insights, practice or training."""

from __future__ import annotations

import re
from collections import Counter

import orjson
import pytest

from dream.config import DreamConfig
from dream.pipeline import dream_for_sessions
from dream.redact import has_private, iban_ok, luhn_ok, redact, redact_transcript
from tests.dream.conftest import ScriptedGenerator

PRIVATE = [
    ("Write to jane.doe+work@example.co.uk today", "Write to [email] today", "email"),
    ("+1 (415) 555-0132", "[phone]", "phone"),
    ("020 7946 0958", "[phone]", "phone"),
    ("+442079460958", "[phone]", "phone"),
    ("call 415-555-0132 later", "call [phone] later", "phone"),
    ("06 12 34 56 78", "[phone]", "phone"),
    ("4111 1111 1111 1111", "[card]", "card"),
    ("card 4111-1111-1111-1111 exp", "card [card] exp", "card"),
    ("378282246310005", "[card]", "card"),
    ("DE89 3704 0044 0532 0130 00", "[iban]", "iban"),
    ("GB82WEST12345698765432", "[iban]", "iban"),
    ("ssh to 192.168.1.20 now", "ssh to [ip] now", "ip"),
    ("2001:db8::8a2e:370:7334", "[ip]", "ip"),
    ("sk-proj-abcdefghijklmnop1234", "[secret]", "secret"),
    ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ012345", "[secret]", "secret"),
    ("AKIAIOSFODNN7EXAMPLE", "[secret]", "secret"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijk", "[secret]", "secret"),
    ("Authorization: Bearer abcdef123456789xyz", "Authorization: Bearer [secret]", "secret"),
    ("my password is hunter2!x", "my password is [secret]", "secret"),
    ("api_key=abc123def456", "api_key=[secret]", "secret"),
    ("key Zx8Qw3Er5Ty7Ui9Op1As2Df4Gh6Jk8Lz0Xc", "key [secret]", "secret"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "[secret]",
     "secret"),
]

NOT_PRIVATE = [
    "I was born in 1987.", "Call me at 5.", "The meeting is on 2024-11-26.", "Pi is 3.14159.",
    "It costs 1,250 dollars.", "My locker code is 4821.", "Use version 1.2.3.",
    "I ran 10.5 km in 52 minutes.", "4111 1111 1111 1112", "Time 10:30.", "At 12:30:45.",
    "My bus is the 42.", "Order 12345.", "The capital of France is Paris.",
    "My dog is called Rex and he is 7 years old.", "A ratio of 16:9.", "In 2019 and 2020.",
    "Between 3.5 and 4.5.", "On 26.11.2026.", "Room 101 on floor 3.",
    "My password manager is great.", "GB82WEST12345698765433",
]


@pytest.mark.parametrize(("text", "expected", "kind"), PRIVATE)
def test_each_kind_of_private_value_is_replaced_and_counted(text, expected, kind):
    found: Counter = Counter()
    assert redact(text, found) == expected
    assert found == {kind: 1}


@pytest.mark.parametrize("text", NOT_PRIVATE)
def test_numbers_dates_and_near_misses_stay(text):
    assert redact(text) == text and not has_private(text)


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89 3704 0044 0532 0130 00") and not iban_ok("DE88 3704 0044 0532 0130 00")


def test_transcripts_keep_their_shape_and_content_parts():
    messages = [{"role": "user", "content": [{"type": "text", "text": "Mail a@b.io"}],
                 "name": "x"},
                {"role": "assistant", "content": None}]
    assert redact_transcript(messages) == [
        {"role": "user", "content": [{"type": "text", "text": "Mail [email]"}], "name": "x"},
        {"role": "assistant", "content": None}]
    assert messages[0]["content"][0]["text"] == "Mail a@b.io"  # the original is not touched


SECRETS = ["maya.lind@example.org", "+44 20 7946 0958", "4111 1111 1111 1111",
           "DE89 3704 0044 0532 0130 00", "10.20.30.40", "sk-live-Zx8Qw3Er5Ty7Ui9Op1As2",
           "hunter2!x"]


def test_a_dream_over_private_sessions_keeps_the_fact_and_no_private_value():
    sessions = {"s1": [
        {"role": "user", "content": "My cat is called Biscuit. My email is maya.lind@example.org "
                                    "and my phone is +44 20 7946 0958."},
        {"role": "assistant", "content": "Noted."},
        {"role": "user", "content": "Pay with 4111 1111 1111 1111 or IBAN DE89 3704 0044 0532 "
                                    "0130 00. My server is 10.20.30.40."},
        {"role": "user", "content": "My API key is sk-live-Zx8Qw3Er5Ty7Ui9Op1As2 and my password "
                                    "is hunter2!x. I live in Tromsø."}]}
    result = dream_for_sessions(sessions, ScriptedGenerator(), DreamConfig(teacher_samples=2),
                                general_prompts=[f"General {k}?" for k in range(10)])
    insight = result.insights["s1"]
    assert any("Biscuit" in s for s in insight.statements)
    assert any("Tromsø" in s for s in insight.statements)
    stored = orjson.dumps({"insight": [insight.text, insight.statements],
                           "items": [i.as_row() for i in result.items],
                           "train": [(i.prompt, i.context)
                                     for i in result.train_items()]}).decode()
    for value in SECRETS:
        assert value not in stored, value
    assert not re.search(r"\[(?:email|phone|card|iban|ip|secret)\]", insight.text)
    assert result.stats()["redacted"] == {"email": 1, "phone": 1, "card": 1, "iban": 1, "ip": 1,
                                          "secret": 2}
    assert any("Biscuit" in (i.reference or "") + i.question for i in result.train_items())
