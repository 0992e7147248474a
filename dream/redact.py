"""Private data out of learning: e-mail addresses, phone numbers, payment cards, IBANs, IP
addresses and secrets are replaced by a placeholder before a transcript becomes an insight,
a practice item or a training example.

Every kind is matched by a pattern and, where the kind has one, confirmed by its checksum (Luhn
for cards, ISO 7064 mod 97 for IBANs, a real address for IPs), so a long number that is neither
stays a number. Placeholders are `[email]`, `[phone]`, `[card]`, `[iban]`, `[ip]`, `[secret]`;
a sentence holding one teaches nothing (the value was the private part) and the insight step
drops it.

It runs in two places: always on the learning side, before anything is learned; and, for a
tenant with `redact_at_rest`, in the chat service before a turn is stored or spooled
(serve/chat/), so that tenant's stored transcripts hold the placeholders, never the values.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

KINDS = ("secret", "email", "iban", "card", "ip", "phone")
PLACEHOLDER = re.compile(r"\[(?:" + "|".join(KINDS) + r")\]")

# Secrets with a recognisable shape: provider key prefixes, bearer tokens, JWTs, PEM private
# keys, and `password=...`-style assignments (the value only).
_SECRETS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
               re.S),
    re.compile(r"\b(?:sk|pk|rk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?<=\bBearer )[A-Za-z0-9._~+/\-]{12,}=*", re.I),
]
_ASSIGNED = re.compile(
    r"\b(?P<name>password|passwd|pwd|passphrase|secret|api[_ -]?key|access[_ -]?key|token|"
    r"client[_ -]?secret|private[_ -]?key)(?P<sep>\s*(?:is|=|:)\s*[\"']?)"
    r"(?P<value>[^\s\"',;]{6,}(?<![.!?:)]))", re.I)
# Long unbroken strings of letters and digits with high entropy: keys without a known prefix.
_OPAQUE = re.compile(r"(?<![\w/.@-])[A-Za-z0-9_\-+/]{32,}={0,2}(?![\w/.@-])")

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"(?<![\d.])\d(?:[ \-]?\d){12,18}(?!\d|\.\d)")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\d{2,4}(?:[\s.\-]\d{2,4}){1,4}"
    r"(?![\w])|(?<![\w+])\+\d{7,15}\b")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _entropy(s: str) -> float:
    counts = Counter(s)
    return -sum(n / len(s) * math.log2(n / len(s)) for n in counts.values())


def _opaque_secret(s: str) -> bool:
    return (_entropy(s) >= 4.0 and any(c.isdigit() for c in s) and any(c.isupper() for c in s)
            and any(c.islower() for c in s))


def _card(s: str) -> bool:
    digits = re.sub(r"\D", "", s)
    return 13 <= len(digits) <= 19 and luhn_ok(digits)


def _ipv4(s: str) -> bool:
    return all(int(part) <= 255 for part in s.split("."))


def _ipv6(s: str) -> bool:
    try:
        return isinstance(ipaddress.ip_address(s), ipaddress.IPv6Address)
    except ValueError:
        return False


def _phone(s: str) -> bool:
    digits = re.sub(r"\D", "", s)
    if not 7 <= len(digits) <= 15 or _DATE.match(s.strip()):
        return False
    # "3.5 4.5" or "10.30": decimals and times are not phone numbers; a phone number has no
    # group of one digit and, without a leading + or (, at least 9 digits or a dash/space rhythm.
    groups = [g for g in re.split(r"[\s.\-()+]+", s.strip("+() ")) if g]
    if s.startswith("+"):
        groups = groups[1:]  # the country code may be one digit
    if "." in s and not s.startswith("+") and len(digits) < 10:
        return False
    return all(len(g) >= 2 for g in groups) and (
        s.startswith(("+", "(")) or len(digits) >= 9 or len(groups) >= 3)


_RULES: list[tuple[str, re.Pattern[str], Callable[[str], bool] | None]] = [
    ("email", _EMAIL, None),
    ("iban", _IBAN, iban_ok),
    ("card", _CARD, _card),
    ("ip", _IPV4, _ipv4),
    ("ip", _IPV6, _ipv6),
    ("phone", _PHONE, _phone),
    ("secret", _OPAQUE, _opaque_secret),
]


def _sub(kind: str, pattern: re.Pattern[str], confirm: Callable[[str], bool] | None, text: str,
         found: Counter | None) -> str:
    def replace(match: re.Match[str]) -> str:
        if confirm is not None and not confirm(match.group(0)):
            return match.group(0)
        if found is not None:
            found[kind] += 1
        return f"[{kind}]"

    return pattern.sub(replace, text)


def redact(text: str, found: Counter | None = None) -> str:
    """`text` with every private value replaced by its placeholder; counts go into `found`."""
    if not text:
        return text
    for pattern in _SECRETS:  # first: a key may contain what looks like a phone number
        text = _sub("secret", pattern, None, text, found)

    def assigned(match: re.Match[str]) -> str:
        if PLACEHOLDER.fullmatch(match.group("value")):
            return match.group(0)
        if found is not None:
            found["secret"] += 1
        return f"{match.group('name')}{match.group('sep')}[secret]"

    text = _ASSIGNED.sub(assigned, text)
    for kind, pattern, confirm in _RULES:
        text = _sub(kind, pattern, confirm, text, found)
    return text


def has_private(text: str) -> bool:
    """Whether redaction would change `text`."""
    return bool(text) and redact(text) != text


def redact_content(content: Any, found: Counter | None = None) -> Any:
    """A message's `content`: a string, or OpenAI's list of parts (text parts redacted)."""
    if isinstance(content, str):
        return redact(content, found)
    if isinstance(content, list):
        return [{**part, "text": redact(part["text"], found)}
                if isinstance(part, dict) and isinstance(part.get("text"), str) else part
                for part in content]
    return content


def redact_transcript(messages: list[dict[str, Any]],
                      found: Counter | None = None) -> list[dict[str, Any]]:
    """A copy of the transcript with every message's content redacted."""
    return [{**m, "content": redact_content(m.get("content"), found)} for m in messages]
