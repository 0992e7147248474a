"""Practice prompts for the student: questions a user might later ask about what they taught.

Most items come from deterministic derivation (`dream.questions`), because a 135M model writes
few usable questions; around those: template variants, recall prompts, multi-turn follow-ups,
arithmetic tasks on stated numbers, and model-written questions and paraphrases, which are kept
only when they pass cheap validation. Checkers come from the statements, never from the model.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from dream.behaviours import behaviours
from dream.checkers import check
from dream.config import DreamConfig
from dream.datasets import load_general_prompts
from dream.derived import Derived
from dream.generator import Generator
from dream.insights import Insight
from dream.questions import derive
from dream.teacher_view import teacher_chat
from dream.textnorm import STOPWORDS, clean, contains_phrase, content_tokens, jaccard, tokens

_VARIANTS = ["Remind me, {lq}", "Quick question: {q}", "{casual}", "Hey, {lq}",
             "I forgot. {q}", "Can you tell me again? {q}", "Do you remember? {q}"]
_RECALL = ["What do you know about {s}?", "Tell me what you remember about {s}.",
           "What have I told you about {s}?"]
# Few-shot turns about unrelated topics: the small model follows demonstrated turns far better
# than an instruction, and neutral examples cannot leak into the insight's facts.
_PARAPHRASE_SYSTEM = "You reword questions. Reply with the same question in different words. " \
                     "Never answer it."
_PARAPHRASE_SHOTS = [("What is the capital of France?", "Which city is the capital of France?"),
                     ("How many legs does a spider have?", "A spider has how many legs?"),
                     ("Where does my brother Tom work?", "Do you know where my brother Tom works?")]
_QUESTION_SYSTEM = "You write questions about facts. Reply with one question only. Never answer it."
_QUESTION_SHOTS = [("My cat is called Tom. He likes fish.", "What does my cat like to eat?"),
                   ("The bakery on Elm Road opens at 7am.", "When does the bakery open?"),
                   ("I moved to Lyon last spring.", "Which city do I live in now?")]
# What a question asks for, by its opening, and words that must survive a rewording of it.
_ASKS = {"how old": {"old", "age"}, "how many": {"many", "number", "count"},
         "when": {"when", "year", "date", "time", "day"},
         "where": {"where", "location", "address", "place", "city", "located"},
         "who": {"who", "whom", "person", "name"}}
_WARMUPS = ["Can you give me a tip for staying focused while working?",
            "What is a good way to start the morning?", "Tell me a fun fact about the ocean.",
            "How do I make a cup of tea?"]


@dataclass
class PracticeItem:
    """One prompt the student rehearses on, with what the teacher filter found.

    `prompt` is what the student sees (no context); `context` is the teacher's privileged
    context (None for general prompts); `reference`/`checker` hold the expected answer, cut from
    the user's statement; `split` is "train" or "heldout" (for the gate); `teacher_answers`,
    `kept` and `drop_reason` are set by the teacher filter; `session_id`/`insight_index` and
    `origin` ("dream", "replay", "general", "anchor") are provenance; an anchor's `beside` is
    the statement it sits beside (`dream.neighbours`), its `reference` the known answer.
    """

    kind: str
    prompt: list[dict[str, Any]]
    reference: str | None
    checker: dict[str, Any] | None
    split: str = "train"
    teacher_answers: list[str] = field(default_factory=list)
    kept: bool = True
    drop_reason: str | None = None
    context: str | None = None
    session_id: str | None = None
    insight_index: int | None = None
    origin: str = "dream"
    beside: str | None = None

    @property
    def question(self) -> str:
        """The last user message: what the student answers."""
        return next((m["content"] for m in reversed(self.prompt) if m["role"] == "user"), "")

    def teacher_messages(self) -> list[dict[str, Any]]:
        """The prompt as the teacher sees it: the privileged context as the system message."""
        return teacher_chat(self.prompt, self.context)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_row(self) -> dict[str, Any]:
        """Columns of the practice_items table: the prompt as JSON text, and replay items'
        origin folded into `kind` ("replay:derived"), since the table has no origin column."""
        kind = self.kind if self.origin in {"dream", self.kind} else f"{self.origin}:{self.kind}"
        return {"kind": kind, "split": self.split, "prompt": orjson.dumps(self.prompt).decode(),
                "reference": self.reference, "checker": self.checker,
                "teacher_answers": list(self.teacher_answers), "kept": self.kept,
                "drop_reason": self.drop_reason, "session_id": self.session_id,
                "origin": self.origin}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PracticeItem:
        return cls(**data)


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def _lower_first(q: str) -> str:
    return q if q.startswith("I ") else q[:1].lower() + q[1:]


def _variant(q: str, rng: random.Random) -> str:
    template = rng.choice(_VARIANTS)
    return template.format(q=q, lq=_lower_first(q), casual=_lower_first(q).rstrip("?"))


def anchors(text: str) -> set[str]:
    """Names and numbers in a text (lowercased): what a rewording must keep."""
    words = re.findall(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'-]*|\d+", text)
    return {w.lower().removesuffix("'s") for w in words if w != "I"}


def valid_question(reply: str) -> str | None:
    """The question in a model reply, or None when the reply is not a plain question."""
    line = clean(reply.strip().split("\n")[0]).strip("\"' ")
    line = re.sub(r"^(?:question|rewrite|q)\s*[:.-]\s*", "", line, flags=re.I)
    if "?" not in line:
        return None
    line = line[: line.index("?") + 1].strip("\"' ")
    return line if 3 <= len(line.split()) <= 30 and line[:1].isalpha() else None


def same_question(source: str, rewrite: str, answers: list[str]) -> bool:
    """Whether a model rewording plausibly asks what `source` asks.

    It must still ask for the same kind of thing (a time, a place, an age...), keep most of the
    source's topic words and all its names and numbers, add no new ones (an invented year or
    name changes the question), not contain the answer, and keep the user's perspective.
    Rewordings failing this are usually the model answering instead."""
    cue = next((cues for start, cues in _ASKS.items() if source.lower().startswith(start)), None)
    if cue and not cue & set(tokens(rewrite)):
        return False  # "When was X opened?" reworded into a question about something else
    topic, new_topic = content_tokens(source), content_tokens(rewrite)
    if topic and len(topic & new_topic) < max(1, len(topic) / 2):
        return False
    if anchors(source) - (anchors(rewrite) | new_topic) or anchors(rewrite) - anchors(source) \
            - content_tokens(source):
        return False
    if any(contains_phrase(rewrite, a) for a in answers):
        return False
    return _first_person_kept(source, rewrite)


def _first_person_kept(source: str, text: str) -> bool:
    """A rewording of "my dog" must not turn into "your dog": that is the assistant's dog."""
    mine = {"i", "my", "me", "our", "we", "us"}
    if not mine & set(tokens(source)):
        return True
    return bool(mine & set(tokens(text))) or not {"your", "yours"} & set(tokens(text))


def _derived_items(derived: list[Derived], config: DreamConfig,
                   rng: random.Random) -> list[PracticeItem]:
    items = [PracticeItem("derived", _user(d.question), d.answer, d.checker) for d in derived]
    for d in derived:
        for _ in range(config.variants):
            items.append(PracticeItem("variant", _user(_variant(d.question, rng)), d.answer,
                                      d.checker))
    return items


def _recall_items(derived: list[Derived], config: DreamConfig,
                  rng: random.Random) -> list[PracticeItem]:
    by_subject: dict[str, list[Derived]] = {}
    for d in derived:
        by_subject.setdefault(d.subject, []).append(d)
    items = []
    for subject, group in list(by_subject.items())[: config.recall_prompts]:
        values = list(dict.fromkeys(v for d in group for v in checker_values(d.checker)))
        s = {"I": "me", "we": "us"}.get(subject, subject)
        items.append(PracticeItem("recall", _user(rng.choice(_RECALL).format(s=s)),
                                  "; ".join(dict.fromkeys(d.answer for d in group)),
                                  {"type": "contains_any", "values": values}))
    return items


def checker_values(checker: dict[str, Any]) -> list[str]:
    """The strings a checker expects (a number as digits; a date by its month)."""
    if checker["type"] == "number":
        return [str(checker["value"])]
    if checker["type"] == "all":  # a date: month and day must both be there, so keep the month
        return checker_values(checker["checks"][0])
    return list(checker.get("values", []))


def _task_items(derived: list[Derived], config: DreamConfig,
                rng: random.Random) -> list[PracticeItem]:
    """Arithmetic on a stated number: the answer needs the fact and a step beyond it."""
    items = []
    numeric = [d for d in derived if d.number is not None and d.number.is_integer()
               and d.relation in {"age", "count", "created_year", "born_year"}]
    for d in rng.sample(numeric, min(len(numeric), config.tasks)):
        n, k, s = int(d.number or 0), rng.randint(2, 9), d.subject
        if d.relation == "age":
            will = f"How old will {s} be in {k} years?"
            items.append(PracticeItem("task", _user(will), str(n + k),
                                      {"type": "arithmetic", "expression": f"{n} + {k}"}))
        elif d.relation == "count":
            things = d.extra.get("things", "of them")
            have = "have" if s in {"I", "we"} else "has"
            q = f"If {s} got {k} more {things}, how many {things} would {s} {have}?"
            items.append(PracticeItem("task", _user(q[0].upper() + q[1:]), str(n + k),
                                      {"type": "arithmetic", "expression": f"{n} + {k}"}))
        elif d.relation in {"created_year", "born_year"}:
            event = "I was born" if s == "I" else f"{s} was {d.extra.get('verb', 'born')}"
            q = f"What year is {k} years after {event}?"
            items.append(PracticeItem("task", _user(q), str(n + k),
                                      {"type": "arithmetic", "expression": f"{n} + {k}"}))
    return items


def _usable_turn(answer: str, first: Derived) -> bool:
    """A teacher answer fit to stand as an earlier assistant turn: correct, complete, and not
    talking about "the user" (the context's wording, odd when addressed to the user)."""
    return (check(first.checker, answer) and answer.rstrip()[-1:] in ".!)"
            and "the user" not in answer.lower())


def _followup_items(derived: list[Derived], generator: Generator, context: str,
                    config: DreamConfig, rng: random.Random) -> list[PracticeItem]:
    """The question asked after an earlier turn, as users rarely ask it first.

    The earlier turn is another derived question with the teacher's answer, when that answer is
    usable, else an ordinary request with the base model's answer; both are generated in one
    batch so a fallback costs no second round trip."""
    if not derived or config.followups == 0:
        return []
    plans: list[tuple[Derived, Derived | None, str]] = []
    for _ in range(config.followups):
        second = rng.choice(derived)
        others = [d for d in derived if d.answer != second.answer]
        plans.append((second, rng.choice(others) if others else None, rng.choice(_WARMUPS)))
    conversations = [_user(warmup) for _, _, warmup in plans]
    conversations += [teacher_chat(_user(first.question), context) for _, first, _ in plans
                      if first]
    replies = [r[0] for r in generator.chat(conversations, max_tokens=config.answer_max_tokens,
                                            seed=config.seed)]
    warm_replies, first_replies = replies[: len(plans)], iter(replies[len(plans):])
    items = []
    for (second, first, warmup), warm_reply in zip(plans, warm_replies, strict=True):
        opener, answer = warmup, warm_reply
        if first is not None:
            reply = next(first_replies)
            if _usable_turn(reply, first):
                opener, answer = first.question, reply
        if not answer.strip():
            continue
        prompt = [*_user(opener), {"role": "assistant", "content": answer},
                  *_user(second.question)]
        items.append(PracticeItem("followup", prompt, second.answer, second.checker))
    return items


def _preference_items(insight: Insight, config: DreamConfig,
                      rng: random.Random) -> list[PracticeItem]:
    """Ordinary requests, for preferences ("always answer briefly", "I'm vegetarian") that show
    in how any answer is written rather than in an answer to a question about them."""
    if "preference" not in insight.kinds or config.preference_prompts == 0:
        return []
    # Where the preference is one `dream.behaviours` knows: requests on which it shows, with
    # a check of the behaviour (the teacher filter keeps answers that behave; the gate asks).
    shown = [PracticeItem("behaviour", _user(p), None, b.checker)
             for b in behaviours(insight.statements)
             for p in rng.sample(b.prompts, min(len(b.prompts), config.preference_prompts))]
    prompts = load_general_prompts()
    return shown + [PracticeItem("preference", _user(p), None, None)
                    for p in rng.sample(prompts, min(len(prompts), config.preference_prompts))]


def _shots(system: str, shots: list[tuple[str, str]], text: str) -> list[dict[str, Any]]:
    messages = [{"role": "system", "content": system}]
    for asked, answered in shots:
        messages += [{"role": "user", "content": asked}, {"role": "assistant", "content": answered}]
    return [*messages, {"role": "user", "content": text}]


def _paraphrase_items(derived: list[Derived], generator: Generator, config: DreamConfig,
                      rng: random.Random) -> list[PracticeItem]:
    if config.paraphrases == 0 or config.paraphrase_sources == 0 or not derived:
        return []
    sources = rng.sample(derived, min(len(derived), config.paraphrase_sources))
    replies = generator.chat([_shots(_PARAPHRASE_SYSTEM, _PARAPHRASE_SHOTS, d.question)
                              for d in sources], n=config.paraphrases,
                             temperature=config.creative_temperature,
                             max_tokens=config.question_max_tokens, seed=config.seed)
    items = []
    for d, candidates in zip(sources, replies, strict=True):
        for reply in candidates:
            q = valid_question(reply)
            if q is None or jaccard(set(tokens(q)), set(tokens(d.question))) >= 0.9:
                continue
            if not same_question(d.question, q, checker_values(d.checker)):
                continue
            items.append(PracticeItem("paraphrase", _user(q), d.answer, d.checker))
    return items


def _model_question_items(insight: Insight, generator: Generator,
                          config: DreamConfig) -> list[PracticeItem]:
    if config.questions_per_insight == 0:
        return []
    facts = " ".join(insight.statements)
    replies = generator.chat([_shots(_QUESTION_SYSTEM, _QUESTION_SHOTS, facts)],
                             n=config.questions_per_insight,
                             temperature=config.creative_temperature,
                             max_tokens=config.question_max_tokens, seed=config.seed + 1)[0]
    topical = content_tokens(facts) - STOPWORDS
    items = []
    for reply in replies:
        q = valid_question(reply)
        # On topic (shares a word with the statements), inventing no names or numbers (the
        # few-shot examples' "Lyon" must not leak in), and from the user's side.
        if q and content_tokens(q) & topical and not anchors(q) - anchors(facts) - topical \
                and _first_person_kept(facts, q):
            items.append(PracticeItem("model_question", _user(q), None, None))
    return items


def _reader_question_items(insight: Insight, config: DreamConfig,
                           rng: random.Random) -> list[PracticeItem]:
    """The model reader's questions about the statements, each with its checked answer, and
    variants of them."""
    items = []
    for question, answer in insight.questions:
        checker = {"type": "contains_any", "values": [answer]}
        items.append(PracticeItem("reader_question", _user(question), answer, checker))
        items += [PracticeItem("variant", _user(_variant(question, rng)), answer, checker)
                  for _ in range(config.variants)]
    return items


def dream_practice(insight: Insight, generator: Generator, config: DreamConfig,
                   rng: random.Random) -> list[PracticeItem]:
    """Practice items for one insight, with the context set, capped across kinds."""
    derived = derive(insight.statements)
    items = _derived_items(derived, config, rng)
    items += _recall_items(derived, config, rng)
    items += _followup_items(derived, generator, insight.text, config, rng)
    items += _task_items(derived, config, rng)
    items += _preference_items(insight, config, rng)
    items += _paraphrase_items(derived, generator, config, rng)
    items += _model_question_items(insight, generator, config)
    items += _reader_question_items(insight, config, rng)
    kept = [i for i in items
            if sum(len(m["content"]) for m in i.prompt) <= config.max_prompt_chars]
    for item in kept:
        item.context = insight.text
    return _capped(kept, config.max_items_per_insight)


def _capped(items: list[PracticeItem], cap: int) -> list[PracticeItem]:
    """At most `cap` items, taken round-robin across kinds (each kind in its own order), so a
    long list of one kind never crowds the others out."""
    by_kind: dict[str, list[PracticeItem]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    queues = list(by_kind.values())
    out: list[PracticeItem] = []
    while len(out) < cap and any(queues):
        for queue in queues:
            if queue and len(out) < cap:
                out.append(queue.pop(0))
    return out
