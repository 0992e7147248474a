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
from dream.embedded_facts import facts_in_request
from dream.frames import session_sentences
from dream.generator import Generator
from dream.guard import screen
from dream.negation import drop_interjection, is_negative_request
from dream.redact import PLACEHOLDER
from dream.request_clauses import hedged
from dream.sentence_types import NOT_ASSERTED, QUESTION, REQUEST, sentence_type
from dream.supersession import Memory
from dream.textnorm import (
    clean,
    content_tokens,
    mend_typing,
    message_text,
    normalize,
    numbers_in,
)

# Discourse openers before the statement proper: "By the way,", "Just so you know:", "Update:".
# An answering "No," is not here: `dream.negation.drop_interjection` cuts it only when it does
# not negate what follows ("No emojis please" keeps its "No").
_MARKERS = re.compile(
    r"^(?:by the way|btw|heads[ -]up|oh,? and|(?:a )?(?:fun|random|quick) fact|side note|"
    r"and also|also|and|so|well|ok(?:ay)?|just so you know|fyi|"
    r"for the record|for context|just fyi|note that|please note(?: that)?|(?:please )?remember"
    r"(?: that)?|keep in mind(?: that)?|i want you to know(?: that)?|you should know(?: that)?|"
    r"i should (?:mention|tell you)(?: that)?|(?:just )?to be clear|(?:a )?quick note|"
    r"oh|hey|hi|hello|um+|anyway|actually|correction|update|sorry|wait|lol|haha|lmao|"
    r"(?:(?:a |my )?(?:real|serious|actual) question)|"
    r"(?:if|in case) (?:it|that) (?:helps|matters)|"
    r"that'?s (?:wrong|not right|incorrect|not true)|you'?re wrong|i meant(?: to say)?(?: that)?|"
    r"let me correct (?:that|myself)|to correct (?:that|myself))\b[\s,:;.!\-]*|"
    # Acknowledgements open a statement only when punctuated: "Nice, ..." but "Nice is a city".
    r"^(?:great|cool|nice|awesome|perfect|thanks|thank you|yes|yeah|sure|wow|interesting|got it|"
    r"i see)\s*[,.!:;]+\s*", re.I)
_CORRECTION = re.compile(
    r"\b(?:correction|actually|i meant|that'?s (?:wrong|not right|incorrect|not true)|"
    r"you'?re wrong|not (?:right|correct)|update|no longer|anymore|changed|moved to|instead|"
    r"let me correct|to correct|i mean|scratch that|my bad|typo|make (?:that|it)|"
    r"change (?:that|it) to|changed my mind|oops|no wait)\b|"
    r"^(?:(?:ah|oh|hm+|um+|well|ok|lol|haha|lmao|ha|ugh)\W*\s*)?"
    r"(?:no|nope|nah|sorry|wait|oops|my bad|change of plans?)\b", re.I)
# How the user wants to be treated: likes and dislikes, a name or pronouns, allergies, and
# standing instructions about the replies to them ("always answer in metric", "keep it under
# three sentences", "call me Jo", "please use British spelling").
_PREFERENCE = re.compile(
    r"^(?:i(?: |(?='))(?:really |also |much |generally |usually )?(?:prefer|like|love|enjoy|"
    r"hate|dislike|can'?t stand|don'?t like|do not like|would rather|'d rather|want you to|"
    r"would like you to|"
    r"'d like you to|would appreciate it if you|'d appreciate it if you|wish you would|"
    r"wish you'd|go by)\b|call me\b|"
    r"(?:please )?(?:always|never|don'?t|do not|stop)\b|from now on\b|in (?:the )?future\b|"
    r"(?:going forward|by default|every time|each time|whenever you)\b|"
    r"it would (?:be (?:great|nice|better|helpful)|help) if you\b|"
    r"(?:please|pls|plz) (?:use|answer|reply|respond|write|keep|be|address|avoid)\b|"
    r"i'?m allergic|i am allergic|my pronouns\b|(?:(?:please|pls|plz) )?keep (?:it|them|things|"
    r"answers|responses|replies|(?:your|ur) \w+)\b|"
    r"(?:please )?(?:address|refer to|speak to|talk to|write to) me\b|"
    r"(?:please )?(?:use|stick to|stick with|switch to|write in|answer in|reply in|respond in)"
    r"\b.{0,40}\b(?:spelling|units?|metric|imperial|celsius|fahrenheit|english|tone|format|"
    r"formatting|bullet points)\b)"
    # A fact and what it means for the replies: "I'm vegetarian, don't suggest meat", "I'm
    # diabetic so keep that in mind".
    r"|[,;]\s*(?:so |and |but )?(?:please )?(?:don'?t|do not|never|always|avoid|stop)\b"
    r"|\b(?:keep|bear|take) (?:that|this|it) (?:in mind|into account|into consideration)\b",
    re.I)
# Nothing but greetings, thanks and acknowledgements ("Thanks, bye!", "Ok cool").
_CHITCHAT = re.compile(
    r"^(?:hi|hello|hey|thanks|thank you|thx|ty|ok|okay|cool|great|nice|awesome|perfect|"
    r"got it|i see|bye|goodbye|see you|good (?:morning|afternoon|evening|night)|sounds good|"
    r"no worries|don'?t worry|you'?re welcome|lol|haha|yes|yeah|yep|sure|wow|interesting|"
    r"makes sense|how are you|that'?s (?:great|cool|helpful|interesting|right|correct|fine|"
    r"nice|good|awesome|it)|i'?m (?:fine|good|great|ok|okay|well|back|bored|here)|"
    r"good job|well done|never mind|nevermind)\b[\s!.,:)]*", re.I)
_CODE = re.compile(r"```|[{};]\s*$|^\s*(?:def|class|import|return|SELECT|<\w+)\b")
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
    questions: list[tuple[str, str]] = field(default_factory=list)
    """(question, answer) the model reader wrote about the statements, answers checked against
    the user's words (`dream.reading`); the rules reader writes none."""


def strip_markers(sentence: str) -> str:
    """Cut discourse openers ("By the way, ", "Correction: ") until the statement proper; an
    answering "No," goes too, but never a "no" that negates what follows ("No emojis please")."""
    previous = None
    while previous != sentence:
        previous = sentence
        sentence = drop_interjection(_MARKERS.sub("", sentence, count=1).strip())
    return sentence[:1].upper() + sentence[1:]


def _is_chitchat(sentence: str) -> bool:
    """Nothing but greetings, thanks and acknowledgements ("Thanks, bye!", "Ok cool")."""
    previous = None
    while sentence and previous != sentence:
        previous, sentence = sentence, _CHITCHAT.sub("", sentence, count=1)
    return not sentence.strip()


def classify(sentence: str) -> str | None:
    """"fact", "correction" or "preference" for a statement; None for anything else.

    What kind of sentence it is comes first (`dream.sentence_types`): a hypothetical, role-play,
    exercise, quotation or sarcasm asserts nothing, whatever words it uses.
    """
    raw = clean(sentence)
    body = strip_markers(raw)
    if not body or raw.endswith("?") or _CODE.search(raw) or _is_chitchat(body):
        return None
    types = {sentence_type(raw), sentence_type(body)}
    if types & NOT_ASSERTED:
        return None
    if _PREFERENCE.search(body) or is_negative_request(body):
        return "preference"
    if types & {QUESTION, REQUEST}:
        return None
    # A statement needs substance: two topical words, or one next to a number or a name.
    topical = content_tokens(body)
    has_anchor = bool(numbers_in(body)) or bool(re.search(r"\s[A-Z][a-z]", body))
    if len(topical) < 2 and not (topical and has_anchor):
        return None
    return "correction" if _CORRECTION.search(raw) else "fact"


# A short question tagged onto a statement: "my boss is Hallam and he wants an update, help?"
_TAG = re.compile(r"^(?P<said>.*\w)\s*(?:[,;:]|\s[-\u2013\u2014]+)\s*(?P<tag>(?:(?:any|some) )?"
                  r"(?:help|thoughts|ideas|advice|tips|suggestions|pointers)"
                  r"(?: (?:for|on|about|with) [^?]{1,60})?(?: pls| please)?|pls help|please help|"
                  r"what do you (?:think|reckon|suggest)|wdyt|how|what now)\s*\?+$", re.I)


def _untagged(sentence: str) -> list[str]:
    """The sentence, or the statement and its tag question as two sentences."""
    tagged = _TAG.match(sentence)
    if tagged is None or hedged(tagged["said"]):
        return [sentence]  # "I might call him Orrin, thoughts?" asks; it asserts nothing
    return [tagged["said"] + ".", tagged["tag"][:1].upper() + tagged["tag"][1:] + "?"]


def extract_statements(transcript: list[dict[str, Any]], max_chars: int = 300,
                       limit: int = 16) -> list[tuple[str, str]]:
    """(statement, kind) for what the user stated, in order, each new statement updating what
    the session said before (`dream.memory`: corrections win, superseded statements go)."""
    memory = Memory()
    # A role-play, an imagined world or an announced paste may run on over several messages.
    users = (mend_typing(message_text(m)) for m in transcript if m.get("role") == "user")
    for own_sentences in session_sentences(users):
        carried = False  # a correction's next sentence may carry it ("no wait. ours is Rex")
        for sentence in (part for whole in own_sentences for part in _untagged(whole)):
            said = clean(sentence)
            # A redacted value was the point of its sentence ("My email is [email]."): skip it.
            if len(sentence) > max_chars or PLACEHOLDER.search(sentence):
                continue
            kind = classify(sentence)
            asked = said.endswith("?") or sentence_type(said) in (QUESTION, REQUEST)
            if kind is None and asked and not _CORRECTION.search(said):
                # Not asserted itself, but it may take facts for granted ("a gift for my wife
                # Ana's 40th birthday"): those the user did assert.
                for fact in facts_in_request(said):
                    memory.learn(fact, "fact", False)
                continue
            # Not a statement by itself, a bare correction ("make that Tuesday") may still apply.
            signal = kind == "correction" or bool(_CORRECTION.search(said))
            before = memory.pairs()
            memory.learn(strip_markers(said), kind, signal or carried)
            # A correction carries on to the next sentence unless it changed something itself:
            # "no wait that's my sister's cat. ours is Pickle", not "it's Callum. Autocorrect."
            after = memory.pairs()
            carried = signal and after[:len(before)] == before
    return memory.pairs()[-limit:]  # the latest: corrections and the session's conclusions last


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
    dog is called Rex."), for the teacher's earlier turn (`dream.teacher_view.teacher_chat`); None
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
                   held: list[dict[str, str]] | None = None,
                   read: list[tuple[str, str]] | None = None,
                   questions: Callable[[list[str]], list[tuple[str, str]]] | None = None
                   ) -> Insight | None:
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
    to `held` as {"text", "kind", "reason"}, for review. `read`: the (statement, kind) pairs
    when another reader has read the session (`dream.reading`), else the rules read it here;
    `questions` gives that reader's questions about the statements kept.
    """
    config = config or DreamConfig()
    if read is None:
        read = extract_statements(transcript, config.max_statement_chars, config.max_statements)
    pairs = []
    for statement, kind in read:
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
    return Insight(render(statements, summary), kind, statements, kinds, summary,
                   questions(statements) if questions else [])
