"""Filtering and splitting practice: dedupe, teacher consistency, held-out split, replay mixing.

The teacher filter is what makes practice safe to distill: an item is trained on only when the
teacher (the model with the insight in its system prompt) answers it consistently and, where the
item has a checker, correctly. Items the teacher cannot answer teach the student nothing useful
and, worse, would distill the teacher's guesses.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from dream.answer_form import in_recap_form, sentence_form
from dream.checkers import check
from dream.config import DreamConfig
from dream.generator import Generator
from dream.insights import Insight
from dream.practice import PracticeItem, anchors
from dream.textnorm import content_tokens, jaccard, normalize, numbers_in, tokens

# Kinds most worth holding out first: rewordings test generalisation beyond the trained text.
_HOLDOUT_PREFERENCE = {"paraphrase": 0, "variant": 1, "recall": 2, "derived": 3,
                       "reader_question": 3, "task": 4}


def _prompt_text(item: PracticeItem) -> str:
    return normalize(" ".join(m["content"] for m in item.prompt if m["role"] == "user"))


def dedupe(items: Iterable[PracticeItem], threshold: float = 0.85) -> list[PracticeItem]:
    """First of each group of prompts equal after normalisation or with token Jaccard >= threshold.

    Only user turns count: two follow-ups differing in the assistant's wording ask the same."""
    kept: list[PracticeItem] = []
    seen_text: set[str] = set()
    seen_tokens: list[set[str]] = []
    for item in items:
        text = _prompt_text(item)
        words = set(text.split())
        if text in seen_text or any(jaccard(words, other) >= threshold for other in seen_tokens):
            continue
        seen_text.add(text)
        seen_tokens.append(words)
        kept.append(item)
    return kept


def _signature(answer: str, terms: set[str]) -> frozenset[str]:
    """The facts an answer commits to: insight terms it mentions and every number it states."""
    words = set(tokens(answer))
    found = {t for t in terms if t in words}
    return frozenset(found | {f"#{n:g}" for n in numbers_in(answer)})


def _insight_terms(insight: Insight) -> set[str]:
    """Words that show an answer used the insight: its names and numbers, else its topic words."""
    text = " ".join(insight.statements)
    found = {t for a in anchors(text) for t in tokens(a)}
    return found or content_tokens(text)


def _known(item: PracticeItem) -> set[str]:
    """Words the teacher was given: its context and the prompt."""
    return set(tokens(" ".join([item.context or "", *(m["content"] for m in item.prompt)])))


def _restates(answer: str, said: set[str]) -> bool:
    """Whether most of an answer's words are the context's own."""
    words = content_tokens(answer)
    return bool(words) and len(words & said) / len(words) >= 0.6


def _judge(item: PracticeItem, answers: list[str], terms: set[str],
           config: DreamConfig) -> tuple[list[str], str | None]:
    """(teacher answers to keep, drop reason or None)."""
    if item.kind in {"behaviour", "preference"}:
        # An answer that repeats the preference ("From now on I'll call you Jo.", "You told
        # me: - keep answers short") says what the behaviour is instead of showing it.
        said = content_tokens(item.context or "")
        shown = [a for a in answers if a.strip() and not in_recap_form(a)
                 and not _restates(a, said)]
        if not shown:
            return answers, "teacher_restated"
        answers = shown
    # A recap ("You told me:\n- ...") is kept as the sentence it holds: its form would be learned.
    answers = [sentence_form(a, item.checker) or a for a in answers if a.strip()]
    if not answers:
        return [], "teacher_empty"
    need = config.agreement_threshold * config.teacher_samples
    if item.checker is not None:
        passing = [a for a in answers if check(item.checker, a)]
        if not passing or len(passing) < need:
            return answers, "teacher_failed_checker"
        # Recorded answers should be faithful too: prefer those adding no names or numbers
        # beyond the context and the prompt ("founded in 2011" without "in Marbella, Spain").
        faithful = [a for a in passing if not anchors(a) - _known(item)]
        return faithful or passing, None
    signatures = [_signature(a, terms) for a in answers]
    # The medoid answer: the one that agrees most with the others stands for the majority.
    centre = max(range(len(answers)), key=lambda i: sum(jaccard(signatures[i], s)
                                                        for s in signatures))
    agreeing = [a for a, s in zip(answers, signatures, strict=True)
                if jaccard(s, signatures[centre]) >= 0.5]
    if len(agreeing) < need:
        return answers, "teacher_disagree"
    if item.kind == "preference":
        return agreeing, None  # shows in style, not in the context's words: agreement only
    # Grounded: the answer brings something from the context beyond the question's own words
    # ("What is Crumbly?" answered "Crumbly is a pastry" used nothing it was told).
    if not signatures[centre] & (terms - set(tokens(item.question))):
        return answers, "ungrounded"
    faithful = [a for a in agreeing if not anchors(a) - _known(item)]
    if len(faithful) < need:
        return answers, "teacher_unfaithful"  # agreeing, but on names the context never gave
    return faithful, None


def filter_by_teacher(items: list[PracticeItem], insight: Insight, generator: Generator,
                      config: DreamConfig) -> list[PracticeItem]:
    """Sample `teacher_samples` answers per item with the insight as context; set `kept`,
    `drop_reason` and `teacher_answers` on each item (in place) and return the items."""
    if not items:
        return items
    for item in items:
        item.context = item.context or insight.text
    samples = generator.chat([item.teacher_messages() for item in items],
                             n=config.teacher_samples, temperature=config.teacher_temperature,
                             max_tokens=config.answer_max_tokens, seed=config.seed + 2)
    terms = _insight_terms(insight)
    for item, answers in zip(items, samples, strict=True):
        item.teacher_answers, item.drop_reason = _judge(item, answers, terms, config)
        item.kept = item.drop_reason is None
    return items


def _group_key(item: PracticeItem) -> tuple[Any, ...]:
    return (item.session_id, item.insight_index, item.context)


def _fact_key(item: PracticeItem) -> str:
    return json.dumps(item.checker, sort_keys=True)


def split_heldout(items: list[PracticeItem], fraction: float,
                  rng: random.Random) -> list[PracticeItem]:
    """Mark about `fraction` of each insight's kept, checkable, single-turn items "heldout".

    A held-out item is never the same text as a training item, and every fact keeps at least one
    training item, so the gate asks about trained facts in words the student never saw."""
    if not 0 <= fraction < 1:
        raise ValueError("fraction must be in [0, 1)")
    train_texts = Counter(_prompt_text(i) for i in items if i.split == "train")
    groups: dict[tuple[Any, ...], list[PracticeItem]] = {}
    for item in items:
        if item.kept and item.split == "train" and item.origin == "dream":
            groups.setdefault(_group_key(item), []).append(item)
    for group in groups.values():
        eligible = [i for i in group if i.checker is not None and len(i.prompt) == 1]
        target = int(fraction * len(eligible) + 0.5)
        facts = Counter(_fact_key(i) for i in group)
        rng.shuffle(eligible)
        eligible.sort(key=lambda i: _HOLDOUT_PREFERENCE.get(i.kind, 5))
        held = 0
        for item in eligible:
            text = _prompt_text(item)
            if held >= target:
                break
            # Counter: the item's own text is counted once; any other copy would be a train twin.
            if facts[_fact_key(item)] < 2 or train_texts[text] > 1:
                continue
            item.split = "heldout"
            facts[_fact_key(item)] -= 1
            train_texts[text] -= 1
            held += 1
    return items


def _perspective_free(item: PracticeItem) -> set[str]:
    plural = {"our": "my", "ours": "mine", "we": "i", "us": "me"}
    return {plural.get(w, w) for w in _prompt_text(item).split()}


def mix_replay(new_items: list[PracticeItem], earlier_items: Iterable[PracticeItem],
               general_prompts: list[str], config: DreamConfig,
               rng: random.Random, replay_all: bool = False) -> list[PracticeItem]:
    """New items plus replay (earlier kept training items, with their own context) and general
    prompts (no context: the teacher is the base model, which anchors ordinary behaviour).
    `replay_all`: every earlier item, not `replay_fraction` of the new ones (an adapter trained
    from the base model again must learn every earlier fact anew)."""
    fresh = sum(1 for i in new_items if i.kept and i.split == "train")
    if fresh == 0:
        return list(new_items)  # nothing learned tonight: no run, so nothing to protect
    # Tonight's items win over replay asking (nearly) the same: after a correction the earlier
    # answer is stale, and replaying it would train both. "our" and "my" count as the same.
    new_words = [_perspective_free(i) for i in new_items]
    pool = [i for i in earlier_items if i.kept and i.split == "train" and i.origin == "dream"
            and not any(jaccard(_perspective_free(i), w) >= config.near_duplicate_jaccard
                        for w in new_words)]
    replay = rng.sample(pool, len(pool) if replay_all
                        else min(len(pool), round(config.replay_fraction * fresh)))
    prompts = list(dict.fromkeys(p for p in general_prompts if p.strip()))
    learned = fresh + (len(replay) if replay_all else 0)  # all of it is learned anew
    general = rng.sample(prompts, min(len(prompts), round(config.general_fraction * learned)))
    return [*new_items,
            *(replace(i, origin="replay", teacher_answers=list(i.teacher_answers)) for i in replay),
            *(PracticeItem("general", [{"role": "user", "content": p}], None, None,
                           origin="general") for p in general)]
