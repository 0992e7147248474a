"""One night of dreaming: sessions in, insights and filtered practice items out.

Per session: private data redacted -> insight -> practice -> dedupe -> teacher filter -> held-out
split; then replay of earlier insights, general prompts and anchors (general questions beside
tonight's statements, `dream.neighbours`) are mixed in, further neighbour questions are held out
for the gate's locality check, and every item is scrubbed once more (a model can write a
phone-number-like string of its own). No database access: the caller (a Celery task) loads
transcripts and stores the result, so this stays testable with any Generator.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from dream.config import DreamConfig
from dream.datasets import load_general_prompts, load_regression_set
from dream.filters import dedupe, filter_by_teacher, mix_replay, split_heldout
from dream.generator import Generator
from dream.insights import Insight, derive_insight, insight_from_text
from dream.model_neighbours import model_neighbours
from dream.neighbours import Neighbour, plan, shares_named_relation
from dream.practice import PracticeItem, dream_practice
from dream.reading import read_statements
from dream.redact import redact, redact_content, redact_transcript
from dream.textnorm import normalize

log = logging.getLogger(__name__)


@dataclass
class DreamResult:
    """Insights per session id, and every practice item (kept or not) with its provenance."""

    insights: dict[str, Insight]
    items: list[PracticeItem]
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    redacted: Counter = field(default_factory=Counter)
    """Private values replaced, by kind (email, phone, card, iban, ip, secret)."""
    quarantined: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    """Statements the poisoning guard held back, by session: {"text", "kind", "reason"}."""
    reading: Counter = field(default_factory=Counter)
    """Which reader read the sessions, its fallbacks and what it dropped (`dream.reading`)."""

    def statements(self) -> list[str]:
        """Every statement of tonight's insights, in session order."""
        return [s for insight in self.insights.values() for s in insight.statements]

    def train_items(self) -> list[PracticeItem]:
        """What the student trains on: kept items of the train split (new, replay, general)."""
        return [i for i in self.items if i.kept and i.split == "train"]

    def heldout_items(self) -> list[PracticeItem]:
        """What the promotion gate asks to see learning: kept held-out items of what was taught
        (no training item repeats them)."""
        return [i for i in self.items if i.kept and i.split == "heldout" and i.origin != "anchor"]

    def neighbour_items(self) -> list[PracticeItem]:
        """What the promotion gate asks to see damage: held-out general questions beside
        tonight's statements, whose answers must not change."""
        return [i for i in self.items if i.kept and i.split == "heldout" and i.origin == "anchor"]

    def stats(self) -> dict[str, Any]:
        """Counts for logs and the run record: by kind, by origin, and why items were dropped."""
        return {
            "sessions": len(self.insights) + len(self.skipped),
            "insights": len(self.insights),
            "skipped": len(self.skipped),
            "items": len(self.items),
            "train": len(self.train_items()),
            "heldout": len(self.heldout_items()),
            "neighbours": len(self.neighbour_items()),
            "kept_by_kind": dict(Counter(i.kind for i in self.items if i.kept)),
            "dropped_by_kind": dict(Counter(i.kind for i in self.items if not i.kept)),
            "by_origin": dict(Counter(i.origin for i in self.items)),
            "drop_reasons": dict(Counter(i.drop_reason for i in self.items if i.drop_reason)),
            "redacted": dict(self.redacted),
            "quarantined": sum(len(v) for v in self.quarantined.values()),
            "reading": dict(self.reading),
            "seconds": round(self.seconds, 1),
        }


def dream_session(session_id: str, transcript: list[dict[str, Any]], generator: Generator,
                  config: DreamConfig, insight_index: int = 0, redacted: Counter | None = None,
                  held: list[dict[str, str]] | None = None, reading: Counter | None = None
                  ) -> tuple[Insight | None, list[PracticeItem]]:
    """Insight and filtered, split practice items for one session (no replay). The transcript
    is redacted first; what was replaced is counted into `redacted`, how it was read into
    `reading`, and statements the poisoning guard holds back go to `held`."""
    # Seeded by session id, not by position: a session dreams the same whatever else ran.
    rng = random.Random(f"{config.seed}:{session_id}")
    redacted_transcript = redact_transcript(transcript, redacted)
    read = read_statements(redacted_transcript, generator, config, reading)
    insight = derive_insight(redacted_transcript, generator, config, held, read.pairs,
                             read.questions_for)
    if insight is None:
        return None, []
    items = dedupe(dream_practice(insight, generator, config, rng),
                   config.near_duplicate_jaccard)
    for item in items:
        item.session_id, item.insight_index = session_id, insight_index
    filter_by_teacher(items, insight, generator, config)
    split_heldout(items, config.heldout_fraction, rng)
    return insight, items


def _replay_pool(earlier: Iterable[PracticeItem | Insight | str], generator: Generator,
                 config: DreamConfig) -> list[PracticeItem]:
    """Replay candidates: earlier items as they are; earlier insights (objects, or the text the
    database keeps) re-derived into questions by rule, with no model calls."""
    by_rule = replace(config, questions_per_insight=0, paraphrases=0, followups=0,
                      preference_prompts=0, variants=0, tasks=0)
    pool: list[PracticeItem] = []
    for entry in earlier:
        if isinstance(entry, PracticeItem):
            pool.append(entry)
            continue
        insight = entry if isinstance(entry, Insight) else insight_from_text(entry)
        rng = random.Random(f"{config.seed}:{insight.text}")
        pool += dream_practice(insight, generator, by_rule, rng)
    return pool


def _check_replay(items: list[PracticeItem], generator: Generator, config: DreamConfig) -> None:
    """Replay items re-derived tonight have not met a teacher yet: filter them by their own
    context, one batch per earlier insight."""
    unchecked: dict[str, list[PracticeItem]] = {}
    for item in items:
        if item.origin == "replay" and not item.teacher_answers and item.context:
            unchecked.setdefault(item.context, []).append(item)
    for context, group in unchecked.items():
        filter_by_teacher(group, insight_from_text(context), generator, config)


@dataclass
class _Dreamt:
    """One session's dream: its insight and items, what was redacted, what the guard held and
    how it was read."""

    session_id: str
    insight: Insight | None = None
    items: list[PracticeItem] = field(default_factory=list)
    redacted: Counter = field(default_factory=Counter)
    held: list[dict[str, str]] = field(default_factory=list)
    reading: Counter = field(default_factory=Counter)


def _dream_each(transcripts: dict[str, list[dict[str, Any]]], generator: Generator,
                config: DreamConfig) -> list[_Dreamt]:
    """Every session dreamed, `config.parallel_sessions` at once, in session-id order."""
    def one(session_id: str) -> _Dreamt:
        done = _Dreamt(session_id)
        done.insight, done.items = dream_session(session_id, transcripts[session_id], generator,
                                                 config, redacted=done.redacted,
                                                 held=done.held, reading=done.reading)
        return done

    ids = sorted(transcripts)
    if config.parallel_sessions <= 1 or len(ids) <= 1 or not getattr(generator, "concurrent",
                                                                        False):
        return [one(session_id) for session_id in ids]
    with ThreadPoolExecutor(max_workers=min(config.parallel_sessions, len(ids))) as pool:
        return list(pool.map(one, ids))


def dream_for_sessions(transcripts: dict[str, list[dict[str, Any]]], generator: Generator,
                       config: DreamConfig | None = None,
                       earlier: Iterable[PracticeItem | Insight | str] = (),
                       general_prompts: list[str] | None = None) -> DreamResult:
    """Dream over every session.

    `earlier` is the replay pool from past nights: kept PracticeItems, or earlier insights
    (Insight objects or their stored text), whose rule-derived questions are teacher-checked
    here before they count. `general_prompts` defaults to the packaged set."""
    config = config or DreamConfig()
    started = time.monotonic()
    insights: dict[str, Insight] = {}
    skipped: dict[str, str] = {}
    items: list[PracticeItem] = []
    redacted: Counter = Counter()
    reading: Counter = Counter()
    quarantined: dict[str, list[dict[str, str]]] = {}
    for done in _dream_each(transcripts, generator, config):
        session_id, insight = done.session_id, done.insight
        redacted.update(done.redacted)
        reading.update(done.reading)
        if done.held:
            quarantined[session_id] = done.held
            log.warning("dream %s: %d statements quarantined for review", session_id,
                        len(done.held))
        if insight is None:
            skipped[session_id] = "no user statements of fact, correction or preference"
            continue
        for item in done.items:
            item.insight_index = len(insights)
        insights[session_id] = insight
        items += done.items
        log.info("dream %s: %d statements, %d items, %d kept", session_id,
                 len(insight.statements), len(done.items), sum(1 for i in done.items if i.kept))
    prompts = general_prompts if general_prompts is not None else load_general_prompts()
    items = mix_replay(items, _replay_pool(earlier, generator, config), prompts, config,
                       random.Random(config.seed))
    _check_replay(items, generator, config)
    items += anchor_items(insights, items, config, random.Random(f"{config.seed}:anchors"),
                          generator)
    for item in items:
        _scrub(item, redacted)
    return DreamResult(insights, items, skipped, time.monotonic() - started, redacted,
                       quarantined, reading)


@cache
def gate_questions() -> frozenset[str]:
    """The gate's general regression questions, normalised: never an anchor or a neighbour
    probe, or the gate would measure what the run trained on ("What is the capital of France?"
    is both a capital's neighbour and a regression question)."""
    return frozenset(normalize(row["question"]) for row in load_regression_set())


def consolidate(result: DreamResult, earlier: list[str], generator: Generator,
                config: DreamConfig | None = None,
                general_prompts: list[str] | None = None) -> DreamResult:
    """Tonight's practice made fit for an adapter trained from the base model again
    (consolidation): every earlier insight still active (`earlier`, their stored text) is
    replayed, up to `consolidation_replay` of its questions each (not a sample across all
    earlier items, which may miss one), with the general prompts in proportion, and its
    statements get anchors of their own (the shipped set's and the practised questions' own
    form, no model-written ones), since the weights that kept their neighbours in place are
    not the ones trained. Held-out neighbour questions stay tonight's only: the gate's retention
    check asks after earlier facts (`distill.retention`)."""
    config = config or DreamConfig()
    rng = random.Random(f"{config.seed}:consolidate")
    new = [i for i in result.items if i.origin not in ("replay", "general")]
    prompts = general_prompts if general_prompts is not None else load_general_prompts()
    by_insight: dict[str | None, list[PracticeItem]] = {}
    for item in _replay_pool(earlier, generator, config):
        by_insight.setdefault(item.context, []).append(item)
    pool = [i for group in by_insight.values()
            for i in rng.sample(group, min(len(group), config.consolidation_replay))]
    items = mix_replay([i for i in new if i.origin != "anchor"], pool, prompts, config, rng,
                       replay_all=True)
    _check_replay(items, generator, config)
    items += [i for i in new if i.origin == "anchor"]
    statements = [s for text in earlier for s in insight_from_text(text).statements]
    anchors, _ = plan(statements, config.anchors_per_statement, 0,
                      random.Random(f"{config.seed}:consolidate-anchors"),
                      {normalize(i.question) for i in items} | gate_questions(),
                      relation_anchors=config.relation_anchors)
    items += map(_anchor, anchors)
    for item in items:
        _scrub(item, result.redacted)
    return replace(result, items=items)


def more_anchors(result: DreamResult, statements: list[str], count: int,
                 config: DreamConfig | None = None) -> DreamResult:
    """The result with up to `count` more anchors beside each of `statements`, none asking what
    the night already asks: what a run refused for a right answer lost beside them trains
    with again (`serve.learning.deferral`)."""
    config = config or DreamConfig()
    taken = {normalize(i.question) for i in result.items} | gate_questions()
    anchors, _ = plan(statements, count, 0, random.Random(f"{config.seed}:more-anchors"), taken)
    return replace(result, items=[*result.items, *map(_anchor, anchors)])


def _anchor(neighbour: Neighbour) -> PracticeItem:
    """A neighbour to train on with no context: its teacher is the model as it is."""
    return PracticeItem("anchor", [{"role": "user", "content": neighbour.question}], None, None,
                        origin="anchor", beside=neighbour.statement)


def anchor_items(insights: dict[str, Insight], items: list[PracticeItem],
                 config: DreamConfig, rng: random.Random,
                 generator: Generator | None = None) -> list[PracticeItem]:
    """Anchors to train on and neighbour questions to hold out, beside tonight's statements
    (`dream.neighbours.plan`, with the questions `generator` writes for statements the shipped
    set lacks, `dream.model_neighbours`); none when nothing new is trained. Anchors have no
    context, so the teacher is the model as it is; their count is capped by `anchor_fraction`
    of new items, plus `relation_anchors` for each statement sharing a relation of named
    subjects with the shipped knowledge set."""
    fresh = sum(1 for i in items if i.kept and i.split == "train" and i.origin == "dream")
    if fresh == 0:
        return []
    statements = [s for insight in insights.values() for s in insight.statements]
    taken = {normalize(i.question) for i in items} | gate_questions()
    written = model_neighbours(statements, generator, config) if generator else {}
    anchors, probes = plan(statements, config.anchors_per_statement,
                           config.neighbour_probes_per_statement, rng, taken, written,
                           config.relation_anchors, config.form_probes)
    # The extra anchors of relation-sharing statements come last and are not capped.
    extra = config.relation_anchors * sum(map(shares_named_relation, dict.fromkeys(statements)))
    anchors = anchors[:round(config.anchor_fraction * fresh) + extra]
    probes = probes[:config.max_neighbour_probes]
    return [*map(_anchor, anchors),
            *(PracticeItem("neighbour", [{"role": "user", "content": n.question}],
                           n.accepted[0] if n.accepted else None,
                           {"type": "contains_any", "values": list(n.accepted)} if n.accepted
                           else None, split="heldout", origin="anchor", beside=n.statement)
              for n in probes)]


def _scrub(item: PracticeItem, found: Counter) -> None:
    """Redact every text an item carries into training or storage."""
    item.prompt = redact_transcript(item.prompt, found)
    item.context = redact(item.context, found) if item.context else item.context
    item.reference = redact(item.reference, found) if item.reference else item.reference
    item.teacher_answers = [redact_content(a, found) for a in item.teacher_answers]
