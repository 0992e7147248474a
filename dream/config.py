"""Knobs for one dreaming run: how much practice to write per insight and how strictly to filter.

Defaults are the production settings for a nightly run against vLLM; tests shrink the counts.
Every field is range-checked on construction so a bad setting fails before any generation.
`StrictConfig` is how every config of a run (this one, and distill's above it) is stored as plain
values and loaded back, an unknown key being an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Self


def refuse_unknown(config: type, data: Mapping[str, Any], what: str = "fields") -> None:
    """Raise ValueError naming the dataclass `config` and every key of `data` that is not one of
    its fields: a misspelt override must fail the run, not leave the default silently in force."""
    unknown = sorted(set(data) - {f.name for f in fields(config)})
    if unknown:
        raise ValueError(f"unknown {config.__name__} {what}: {unknown}")


class StrictConfig:
    """Base of the dataclass configs: plain values out (`to_dict`), and back in (`from_dict`)
    through `refuse_unknown`, then the config's own range checks."""

    def to_dict(self) -> dict[str, Any]:
        """Plain values, to store with a run or an adapter so it can be replayed exactly."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of `to_dict`; unknown keys are an error rather than silently ignored."""
        refuse_unknown(cls, data)
        return cls(**data)


READERS = ("rules", "model", "auto")


@dataclass(frozen=True)
class DreamConfig(StrictConfig):
    """How much practice one night writes per insight, and how strictly it is filtered."""

    questions_per_insight: int = 6
    """Model-written questions sampled per insight (0..64); invalid ones are discarded."""
    paraphrases: int = 3
    """Model-written rewordings sampled per derived question (0..16)."""
    paraphrase_sources: int = 6
    """At most this many derived questions per insight get paraphrased (0..64)."""
    variants: int = 3
    """Template rewordings ("Remind me, ...") per derived question (0..8)."""
    followups: int = 2
    """Multi-turn items per insight where the question comes after an earlier turn (0..16)."""
    recall_prompts: int = 2
    """Open "what do you know about X?" prompts per insight (0..8)."""
    tasks: int = 2
    """Arithmetic tasks built on numbers the user stated, per insight (0..8)."""
    preference_prompts: int = 2
    """Ordinary requests per insight with a stated preference, where it should show (0..16)."""
    max_items_per_insight: int = 48
    """Cap on practice items per insight before filtering, derived ones first (1..1000)."""
    teacher_samples: int = 4
    """Teacher answers sampled per item for the consistency filter (1..16)."""
    teacher_temperature: float = 0.3
    """Sampling temperature of those teacher answers (0..2); 0 makes all samples equal."""
    agreement_threshold: float = 0.5
    """Share of teacher samples that must pass the checker, or agree with the majority, for
    an item to be kept (0..1)."""
    creative_temperature: float = 0.9
    """Temperature for writing questions and paraphrases (0..2)."""
    answer_max_tokens: int = 96
    """Token budget of a teacher answer (8..2048)."""
    question_max_tokens: int = 48
    """Token budget of a model-written question or paraphrase (8..512)."""
    heldout_fraction: float = 0.2
    """Share of each insight's kept, checkable items held out for the promotion gate (0..0.9)."""
    replay_fraction: float = 0.25
    """Replay items from earlier insights, as a share of new training items (0..4)."""
    consolidation_replay: int = 6
    """Practice items per earlier insight a consolidation replays (`dream.pipeline.consolidate`,
    1..100): enough of its questions, in several wordings, to learn it again, without every
    rewording of every insight making the night as long as all earlier nights together."""
    general_fraction: float = 0.5
    """General assistant prompts (against forgetting), as a share of new training items (0..4)."""
    anchors_per_statement: int = 4
    """General questions beside each statement (`dream.neighbours`: its practised questions
    about others, the same relation about other subjects, other relations about its names)
    trained on as anchors, answered by the model as it is, so learning the statement leaves them
    alone (0..32). Four: with three, e2e candidates still answered "What is Mei's dog's name?"
    with the user's dog's name."""
    relation_anchors: int = 6
    """Further anchors for a statement sharing a relation of named subjects with the shipped
    knowledge set ("the capital of Ostravel is Quenmarsh"), not counted against
    `anchor_fraction` (0..32): its relation asked of other subjects is where learning it leaks.
    A learning e2e candidate with two such anchors beside the capital answered "What is the
    capital of France?" in gibberish and was refused."""
    form_probes: bool = False
    """Hold out neighbours in the practised question's own form ("What is Mei's dog's name?"
    beside "my dog is called Pemberton") for the gate's locality check too, not only train on
    them. Off by default: on 2026-12-04 they caught a leak in every first-night candidate of
    the learning e2e (the user's dog's name given to someone else's dog), so most nights were
    refused or left most statements out; they come on once training stops those leaks."""
    anchor_fraction: float = 0.5
    """At most this many anchors, as a share of new training items (0..4)."""
    model_neighbours: int = 4
    """General-knowledge questions of the same kind the model is asked to write per statement
    (0..16), kept when they ask about a name the statement does not mention
    (`dream.model_neighbours`); they are used after the shipped set's neighbours."""
    neighbour_probes_per_statement: int = 2
    """Further such questions per statement held out for the gate's locality check, never
    trained on (0..16)."""
    max_neighbour_probes: int = 40
    """At most this many neighbour questions held out per run (0..1000)."""
    max_prompt_chars: int = 1200
    """Practice prompts longer than this (all messages together) are discarded (50..100000)."""
    max_statements: int = 16
    """An insight keeps at most this many user statements, the latest ones (1..200)."""
    max_statement_chars: int = 300
    """Longer sentences are pasted material rather than something the user stated (20..5000)."""
    near_duplicate_jaccard: float = 0.85
    """Prompts whose token sets overlap at least this much count as duplicates (0.1..1)."""
    insight_summary: bool = False
    """Add a model-written one-line summary to the insight when it passes the consistency check.
    Off by default: a 135M model's summary adds little over the user's own words."""
    parallel_sessions: int = 4
    """Sessions dreamed at once (1..32). Each sends its model requests on its own, so the engine
    batches several sessions' requests together instead of idling between one session's steps;
    the result is the same in any order (each session is seeded by its id)."""
    reader: str = "auto"
    """Who reads what a session asserted (`dream.reading`): "rules" (written rules: for small
    models, which cannot be trusted to summarise), "model" (the served model through the
    engine's structured outputs, every statement checked against the user's words; the rules
    when its output is unusable) or "auto" (the model when it has at least
    `model_reader_min_params` parameters and the engine can hold it to a schema, else the
    rules)."""
    reader_max_tokens: int = 1024
    """Longest reply of the model reader (64..8192); a reply cut short is not JSON, and the
    rules read that session instead."""
    model_reader_min_params: int = 3_000_000_000
    """The smallest model "auto" lets read sessions (>= 1). SmolLM2-135M fills the schema with
    values the user never gave; readers of 7B and more are what the model path is for."""
    seed: int = 0
    """Seed for sampling and every random choice, so a night can be replayed exactly."""

    def __post_init__(self) -> None:
        ranges: dict[str, tuple[float, float]] = {
            "questions_per_insight": (0, 64), "paraphrases": (0, 16),
            "paraphrase_sources": (0, 64), "variants": (0, 8), "followups": (0, 16),
            "recall_prompts": (0, 8), "tasks": (0, 8), "preference_prompts": (0, 16),
            "max_items_per_insight": (1, 1000),
            "teacher_samples": (1, 16), "teacher_temperature": (0.0, 2.0),
            "agreement_threshold": (0.0, 1.0), "creative_temperature": (0.0, 2.0),
            "answer_max_tokens": (8, 2048), "question_max_tokens": (8, 512),
            "heldout_fraction": (0.0, 0.9), "replay_fraction": (0.0, 4.0),
            "consolidation_replay": (1, 100),
            "general_fraction": (0.0, 4.0), "max_prompt_chars": (50, 100_000),
            "anchors_per_statement": (0, 32), "anchor_fraction": (0.0, 4.0),
            "relation_anchors": (0, 32),
            "neighbour_probes_per_statement": (0, 16), "model_neighbours": (0, 16),
            "max_neighbour_probes": (0, 1000),
            "max_statements": (1, 200), "max_statement_chars": (20, 5000),
            "near_duplicate_jaccard": (0.1, 1.0), "parallel_sessions": (1, 32),
            "model_reader_min_params": (1, 10**15), "reader_max_tokens": (64, 8192),
        }
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type in {"int", "float"} and isinstance(value, bool):
                raise TypeError(f"{f.name} must be a number, got {value!r}")
            if f.name in ranges:
                low, high = ranges[f.name]
                if f.type == "int" and not isinstance(value, int):
                    raise TypeError(f"{f.name} must be an int, got {value!r}")
                if not isinstance(value, int | float) or not low <= value <= high:
                    raise ValueError(f"{f.name} must be in [{low}, {high}], got {value!r}")
        if self.reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, got {self.reader!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
