"""A night that trains from the base model again (consolidation) replays every earlier insight
still active, several questions each, anchors their statements too, and keeps tonight's practice
as it was."""

from __future__ import annotations

from dream.config import DreamConfig
from dream.insights import render
from dream.pipeline import consolidate, dream_for_sessions
from tests.dream.conftest import ScriptedGenerator

TONIGHT = {"move": [{"role": "user", "content": "I moved to Thornbury last month."}]}
EARLIER = [render(["My dog is called Pemberton."]),
           render(["I work as a beekeeper at Hollowmere Farm."]),
           render(["The capital of Ostravel is Quenmarsh."])]
PROMPTS = [f"General question {k}?" for k in range(200)]


def test_every_earlier_insight_is_replayed_and_anchored_and_tonight_is_kept():
    generator, config = ScriptedGenerator(), DreamConfig(teacher_samples=2)
    night = dream_for_sessions(TONIGHT, generator, config, earlier=EARLIER,
                               general_prompts=PROMPTS)
    sampled = [i for i in night.train_items() if i.origin == "replay"]
    whole = consolidate(night, EARLIER, generator, config, general_prompts=PROMPTS)
    replayed = [i for i in whole.train_items() if i.origin == "replay"]
    # Every earlier insight, each with several of its questions, up to the bound.
    assert {i.context for i in replayed} == set(EARLIER)
    assert len(replayed) > len(sampled)
    assert len({i.question for i in replayed}) == len(replayed)
    per = [sum(i.context == text for i in replayed) for text in EARLIER]
    assert all(2 <= n <= config.consolidation_replay for n in per), per
    # Tonight's own practice and neighbour probes are as they were.
    mine = [i.to_dict() for i in night.items if i.origin == "dream"]
    assert [i.to_dict() for i in whole.items if i.origin == "dream"] == mine
    assert [i.question for i in whole.neighbour_items()] == [
        i.question for i in night.neighbour_items()]
    # Earlier statements get anchors (their practised form about others), never probes.
    beside = {i.beside for i in whole.items if i.origin == "anchor" and i.split == "train"}
    assert {"My dog is called Pemberton.", "I work as a beekeeper at Hollowmere Farm.",
            "The capital of Ostravel is Quenmarsh."} <= beside
    assert all(i.beside in night.statements() for i in whole.neighbour_items())
    assert any(i.question.endswith("do for a living?") for i in whole.train_items()
               if i.origin == "anchor")
    # General prompts in proportion to all that is learned anew.
    general = sum(i.origin == "general" for i in whole.train_items())
    learned = sum(i.origin in ("dream", "replay") for i in whole.train_items())
    assert general == round(config.general_fraction * learned)


def test_a_retired_insight_is_not_replayed_when_it_is_not_passed():
    generator = ScriptedGenerator()
    night = dream_for_sessions(TONIGHT, generator, earlier=EARLIER, general_prompts=PROMPTS)
    whole = consolidate(night, EARLIER[:1], generator, general_prompts=PROMPTS)
    assert {i.context for i in whole.items if i.origin == "replay"} == {EARLIER[0]}
    assert not any("beekeeper" in (i.context or "") for i in whole.items)
