"""What a session taught, as privileged context for the teacher: the user's own statements.

Statements of fact, correction and preference are cut from the user's messages by rule, with
questions, requests and small talk dropped, and rendered in the third person for the teacher's
system prompt. See `derive_insight` for why the user's words rather than a model summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dream.config import DreamConfig
from dream.generator import Generator
from dream.guard import screen
from dream.redact import PLACEHOLDER
from dream.textnorm import (
    clean,
    content_tokens,
    message_text,
    normalize,
    numbers_in,
    split_sentences,
)

_MARKERS = re.compile(
    r"^(?:by the way|btw|oh,? and|(?:a )?(?:fun|random|quick) fact|side note|and also|also|"
    r"and|so|well|ok(?:ay)?|just so you know|fyi|"
    r"for the record|for context|just fyi|note that|please note(?: that)?|(?:please )?remember"
    r"(?: that)?|keep in mind(?: that)?|i want you to know(?: that)?|you should know(?: that)?|"
    r"i should (?:mention|tell you)(?: that)?|(?:just )?to be clear|(?:a )?quick note|"
    r"oh|hey|hi|hello|um+|anyway|actually|correction|update|sorry|wait|no|nope|"
    r"that'?s (?:wrong|not right|incorrect|not true)|you'?re wrong|i meant(?: to say)?(?: that)?|"
    r"let me correct (?:that|myself)|to correct (?:that|myself))\b[\s,:;.!\-]*|"
    # Acknowledgements open a statement only when punctuated: "Nice, ..." but "Nice is a city".
    r"^(?:great|cool|nice|awesome|perfect|thanks|thank you|yes|yeah|sure|wow|interesting|got it|"
    r"i see)\s*[,.!:;]+\s*", re.I)
_CORRECTION = re.compile(
    r"\b(?:correction|actually|i meant|that'?s (?:wrong|not right|incorrect|not true)|"
    r"you'?re wrong|not (?:right|correct)|update|no longer|anymore|changed|moved to|instead|"
    r"let me correct|to correct)\b|^(?:no|nope|sorry|wait)\b", re.I)
_PREFERENCE = re.compile(
    r"^(?:i (?:really |also |much |generally |usually )?(?:prefer|like|love|enjoy|hate|dislike|"
    r"can'?t stand|don'?t like|do not like|would rather|'d rather|want you to)\b|call me\b|"
    r"(?:please )?(?:always|never|don'?t|do not|stop)\b|from now on\b|in (?:the )?future\b|"
    r"please (?:use|answer|reply|respond|write|keep|be|address|avoid)\b|i'?m allergic|"
    r"i am allergic|my pronouns\b)", re.I)
_QUESTION_START = re.compile(
    r"^(?:what|who|whom|whose|when|where|why|how|which|is|are|am|was|were|do|does|did|can|"
    r"could|would|will|should|shall|may|might|have|has|had|isn'?t|aren'?t|don'?t you|"
    r"any idea|i wonder|i was wondering|i'?m (?:curious|wondering))\b", re.I)
_REQUEST = re.compile(
    r"^(?:please |pls |kindly )?(?:tell|write|explain|give|help|show|list|translate|summari[sz]e|"
    r"describe|make|create|generate|draft|compose|suggest|recommend|find|calculate|compute|"
    r"solve|fix|check|rewrite|plan|imagine|pretend|define|compare|name|continue|repeat|"
    r"let'?s|go ahead|try|answer|reply|say|can you|could you|would you|i (?:need|want|would "
    r"like|'d like) (?:help|you to|to know|to ask|a|an|some)|i have a question|let me ask)\b",
    re.I)
_CHITCHAT = re.compile(
    r"^(?:hi|hello|hey|thanks|thank you|thx|ty|ok|okay|cool|great|nice|awesome|perfect|"
    r"got it|i see|bye|goodbye|see you|good (?:morning|afternoon|evening|night)|sounds good|"
    r"no worries|don'?t worry|you'?re welcome|lol|haha|yes|yeah|yep|sure|wow|interesting|"
    r"makes sense|how are you|that'?s (?:great|cool|helpful|interesting|right|correct|fine|"
    r"nice|good|awesome|it)|i'?m (?:fine|good|great|ok|okay|well|back|bored|here)|"
    r"good job|well done|never mind|nevermind)\b[\s!.,:)]*", re.I)
_CODE = re.compile(r"```|[{};]\s*$|^\s*(?:def|class|import|return|SELECT|<\w+)\b")
# A statement's subject and main verb: a later correction with the same key supersedes it.
_HEAD = re.compile(r"^(.{1,60}?)\s+(is|are|am|was|were|'s|'m|'re|has|have|had|moved|relocated|"
                   r"lives?|lived|works?|worked|changed|located|based)\b\s*(\S*)", re.I)
_BE = {"is", "are", "am", "was", "were", "s", "m", "re", "moved", "relocated", "located",
       "based", "lives", "live", "lived"}
_PRONOUNS = {"i", "we", "he", "she", "it", "they", "you"}

HEADER = "What the user told you in an earlier conversation:"


@dataclass
class Insight:
    """Privileged context distilled from one session.

    `text` goes into the teacher's system prompt; `statements` are the user's sentences as
    written (first person, discourse openers cut), which question derivation works from;
    `kind` is "fact", "correction", "preference", or "mixed" when statements differ in kind.
    """

    text: str
    kind: str
    statements: list[str]
    kinds: list[str] = field(default_factory=list)
    summary: str | None = None


def strip_markers(sentence: str) -> str:
    """Cut discourse openers ("By the way, ", "Correction: ") until the statement proper."""
    previous = None
    while previous != sentence:
        previous, sentence = sentence, _MARKERS.sub("", sentence, count=1).strip()
    return sentence[:1].upper() + sentence[1:]


def _is_chitchat(sentence: str) -> bool:
    """Nothing but greetings, thanks and acknowledgements ("Thanks, bye!", "Ok cool")."""
    previous = None
    while sentence and previous != sentence:
        previous, sentence = sentence, _CHITCHAT.sub("", sentence, count=1)
    return not sentence.strip()


def classify(sentence: str) -> str | None:
    """"fact", "correction" or "preference" for a statement; None for anything else."""
    raw = clean(sentence)
    body = strip_markers(raw)
    if not body or raw.endswith("?") or _CODE.search(raw) or _is_chitchat(body):
        return None
    if _PREFERENCE.match(body):
        return "preference"
    if _QUESTION_START.match(body) or _REQUEST.match(body):
        return None
    # A statement needs substance: two topical words, or one next to a number or a name.
    topical = content_tokens(body)
    has_anchor = bool(numbers_in(body)) or bool(re.search(r"\s[A-Z][a-z]", body))
    if len(topical) < 2 and not (topical and has_anchor):
        return None
    return "correction" if _CORRECTION.search(raw) else "fact"


def _key(statement: str) -> tuple[str, ...] | None:
    """What a statement is about: its subject and main verb (being somewhere counts as "be").

    For pronoun subjects ("I am 34", "I am a nurse") the kind of complement joins the key, since
    "I" says too little on its own: a number, or the first word (a preposition or article).
    """
    match = _HEAD.match(statement)
    if not match:
        return None
    subject = " ".join(w for w in normalize(match.group(1)).split() if w not in {"my", "our"})
    verb = normalize(match.group(2)).removesuffix("s") or "s"
    verb = "be" if verb in _BE or verb + "s" in _BE else verb
    if subject not in _PRONOUNS:
        return (subject, verb)
    after = normalize(match.group(3))
    return (subject, verb, "#" if numbers_in(after) else after)


def extract_statements(transcript: list[dict[str, Any]], max_chars: int = 300,
                       limit: int = 16) -> list[tuple[str, str]]:
    """(statement, kind) for what the user stated, in order, superseded statements removed."""
    out: list[tuple[str, str]] = []
    for message in transcript:
        if message.get("role") != "user":
            continue
        for sentence in split_sentences(message_text(message)):
            kind = classify(sentence)
            # A redacted value was the point of its sentence ("My email is [email]."): skip it.
            if kind is None or len(sentence) > max_chars or PLACEHOLDER.search(sentence):
                continue
            body = strip_markers(clean(sentence)).rstrip(" .!;,")
            if kind == "correction" and (key := _key(body)):
                out = [(s, k) for s, k in out if _key(s) != key]
            out = [(s, k) for s, k in out if normalize(s) != normalize(body)]  # repeated facts
            out.append((body + ".", kind))
    return out[-limit:]  # the latest: corrections and the session's conclusions come last


# Irregular past tenses: already third person ("we met" -> "the user met", not "mets").
_PAST = set("""ate became began bought brought built caught chose came did drank drove fell felt
flew forgot found gave got grew had heard held hid kept knew led left lost made meant met paid put
ran rode said sang sat saw sent shot sold spent spoke stood stole swam taught thought threw told
took understood went woke won wore wrote""".split())


def _conjugate(verb: str) -> str:
    irregular = {"am": "is", "are": "is", "were": "was", "have": "has", "do": "does", "go": "goes",
                 "'m": "is", "'re": "is", "'ve": "has", "don't": "doesn't", "aren't": "isn't",
                 "haven't": "hasn't", "weren't": "wasn't"}
    low = verb.lower()
    if low in irregular:
        return irregular[low]
    if low.endswith(("ed", "s", "n't")) or low in _PAST or low in {
            "can", "could", "will", "would", "should", "must", "might", "may", "did", "had", "was"}:
        return verb
    if low.endswith(("sh", "ch", "x", "z", "o")):
        return verb + "es"
    if re.search(r"[^aeiou]y$", low):
        return verb[:-1] + "ies"
    return verb + "s"


_ADVERBS = (r"(?:(?:also|really|just|usually|always|never|often|still|now|recently|actually"
            r"|finally)\s+)*")


def third_person(statement: str) -> str:
    """Rewrite the user's first person as "the user" ("I live in Oslo" -> "The user lives...")."""
    def subject(match: re.Match[str]) -> str:
        return f"the user {match.group(2) or ''}{_conjugate(match.group(3))}"

    text = re.sub(r"\b(I|we)\s*('m|'re|'ve|'d|'ll)\b",
                  lambda m: "the user " + {"'d": "would", "'ll": "will"}.get(
                      m.group(2), _conjugate(m.group(2))), statement, flags=re.I)
    text = re.sub(rf"\b(I|we)\s+({_ADVERBS})([A-Za-z']+)", subject, text,
                  flags=re.I)
    text = re.sub(r"\b(?:my|our|mine|ours)\b", "the user's", text, flags=re.I)
    text = re.sub(r"\bmyself\b|\bourselves\b", "themselves", text, flags=re.I)
    text = re.sub(r"\b(?:me|us)\b", "the user", text)  # lowercase only: "US" is a country
    return text[:1].upper() + text[1:]


def _unconjugate(verb: str) -> str:
    irregular = {"is": "am", "has": "have", "does": "do", "goes": "go", "doesn't": "don't",
                 "isn't": "am not", "hasn't": "haven't"}
    low = verb.lower()
    if low in irregular:
        return irregular[low]
    if re.search(r"(?:sh|ch|x|z|o)es$", low):
        return verb[:-2]
    if re.search(r"[^aeiou]ies$", low):
        return verb[:-3] + "y"
    if low.endswith("s") and not low.endswith(("ss", "us")) and len(low) > 3:
        return verb[:-1]
    return verb


def first_person(line: str) -> str:
    """Inverse of `third_person`, for insights stored as text ("The user lives" -> "I live").
    "our" comes back as "my": the rendering did not keep the difference."""
    # Only "the user" as a subject (sentence or clause start) becomes "I": "call the user Sam".
    text = re.sub(rf"(^|[,;]\s+|\b(?:and|but|that|so|because|when|if)\s+)the user\s+"
                  rf"({_ADVERBS})([A-Za-z']+)",
                  lambda m: f"{m.group(1)}I {m.group(2)}{_unconjugate(m.group(3))}"
                  if not m.group(3).startswith("'") else m.group(0), line, flags=re.I)
    text = re.sub(r"\bthe user's\b", "my", text, flags=re.I)
    text = re.sub(r"\bthe user\b", "me", text, flags=re.I)
    text = re.sub(r"\bthemselves\b", "myself", text)
    return text[:1].upper() + text[1:]


def second_person(statement: str) -> str:
    """The user's own first-person statement said back to them ("I'm from Oslo, my dog is Rex"
    -> "You're from Oslo, your dog is Rex"); "we"/"our" become "you"/"your" too."""
    def keep_case(word: str) -> Callable[[re.Match[str]], str]:
        return lambda m: word.capitalize() if m.group(0)[0].isupper() else word

    def sentence_case(word: str) -> Callable[[re.Match[str]], str]:  # "I" is always a capital
        return lambda m: word.capitalize() if re.search(
            r"(?:^|(?<![a-z]\.[a-z])[.!?]\s+)$", m.string[:m.start()]) else word

    # "I" only as a capital ("i.e." stays); "me"/"us" only lowercase ("US" is a country).
    for pattern, word in ((r"\bI'm\b|\bI am\b", "you're"), (r"\bI was\b", "you were"),
                          (r"\bI\b", "you")):
        statement = re.sub(pattern, sentence_case(word), statement)
    statement = re.sub(r"\b(?:me|us)\b", "you", statement)
    for pattern, word in ((r"\b(?:my|our)\b", "your"), (r"\b(?:mine|ours)\b", "yours"),
                          (r"\bmyself\b", "yourself"), (r"\bourselves\b", "yourselves"),
                          (r"\bwe\b", "you")):
        statement = re.sub(pattern, keep_case(word), statement, flags=re.I)
    return statement[:1].upper() + statement[1:]


def recap(context: str) -> str | None:
    """An insight's statements recalled to the user in the second person ("You told me:\n- Your
    dog is called Rex."), for the teacher's earlier turn (`dream.practice.teacher_chat`); None
    for a context that is not a rendered insight."""
    if not context.startswith(HEADER):
        return None
    statements = insight_from_text(context).statements
    if not statements:
        return None
    return "You told me:\n" + "\n".join(f"- {second_person(s)}" for s in statements)


def insight_from_text(text: str, kind: str = "fact") -> Insight:
    """An Insight rebuilt from its stored `text` (earlier nights keep only text and kind)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    bullets = [line[2:] for line in lines if line.startswith("- ")]
    body = bullets or [line for line in lines if line != HEADER and not line.startswith("In short")]
    statements = [first_person(line) for line in body]
    return Insight(text, kind, statements, [kind] * len(statements))


def render(statements: list[str], summary: str | None = None) -> str:
    lines = [HEADER] + [f"- {third_person(s)}" for s in statements]
    if summary:
        lines.append(f"In short: {summary}")
    return "\n".join(lines)


def summary_is_consistent(summary: str, statements: list[str]) -> bool:
    """Every number and capitalised name in the summary was stated, and it stays on topic."""
    source = " ".join(statements)
    if not summary or len(summary) > 300 or "?" in summary:
        return False
    if not set(numbers_in(summary)) <= set(numbers_in(source)):
        return False
    names = {n.lower() for n in re.findall(r"(?<=\s)[A-Z][\w-]+", summary)}
    known = set(normalize(source).split()) | {"user", "the"}
    if not {normalize(n) for n in names} <= known:
        return False
    words = content_tokens(summary) - {"user"}
    return bool(words) and len(words & content_tokens(source)) / len(words) >= 0.6


def _summarize(statements: list[str], generator: Generator, config: DreamConfig) -> str | None:
    notes = "\n".join(f"- {third_person(s)}" for s in statements)
    prompt = [{"role": "user", "content": "Rewrite these notes as one short sentence. Keep every "
               f"name and number exactly.\n\n{notes}"}]
    reply = generator.chat([prompt], max_tokens=64, temperature=0.0, seed=config.seed)[0][0]
    summary = clean(reply.split("\n")[0])
    return summary if summary_is_consistent(summary, statements) else None


def derive_insight(transcript: list[dict[str, Any]], generator: Generator,
                   config: DreamConfig | None = None,
                   held: list[dict[str, str]] | None = None) -> Insight | None:
    """The session's insight, or None when the user stated nothing worth learning.

    Why the user's words and not a model summary: the teacher is the same small model, and a
    135M model summarising a chat invents, drops and swaps facts; anything wrong in the context
    is then distilled into the adapter. What the user stated is the ground truth of what the
    session taught, so it is extracted deterministically: questions, requests, greetings and
    acknowledgements dropped, openers such as "By the way," cut, statements a later correction
    supersedes removed. The third-person rendering ("The user's dog's name is Biscuit") is read
    far more reliably by the small model than quoted first-person text (measured: quoted text
    made it mix up the facts). Assistant turns are never used: they are the model's own,
    possibly wrong, output. A model-written one-line summary is added only when
    `config.insight_summary` is set and it passes `summary_is_consistent`.

    Statements the poisoning guard (`dream.guard.screen`) holds back are left out and appended
    to `held` as {"text", "kind", "reason"}, for review.
    """
    config = config or DreamConfig()
    pairs = []
    for statement, kind in extract_statements(transcript, config.max_statement_chars,
                                              config.max_statements):
        reason = screen(statement)
        if reason is None:
            pairs.append((statement, kind))
        elif held is not None:
            held.append({"text": statement, "kind": kind, "reason": reason})
    if not pairs:
        return None
    statements, kinds = [s for s, _ in pairs], [k for _, k in pairs]
    summary = _summarize(statements, generator, config) if config.insight_summary else None
    kind = kinds[0] if len(set(kinds)) == 1 else "mixed"
    return Insight(render(statements, summary), kind, statements, kinds, summary)
