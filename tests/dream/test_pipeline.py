from dataclasses import replace

import orjson

from dream.config import DreamConfig
from dream.pipeline import DreamResult, dream_for_sessions
from dream.practice import PracticeItem
from dream.textnorm import normalize
from tests.dream.conftest import ScriptedGenerator

SESSIONS = {
    "b-pets": [{"role": "user", "content": "Hi! My tortoise's name is Pebble and he is 12."},
               {"role": "assistant", "content": "Nice!"},
               {"role": "user", "content": "What do tortoises eat?"}],
    "a-band": [{"role": "user", "content": "Our band, Velvet Moss, was formed in 2019 by Ines "
                "Roy."}, {"role": "assistant", "content": "Cool."},
               {"role": "user", "content": "Our rehearsal room is at 4 Quarry Lane."},
               {"role": "user", "content": "Correction: our rehearsal room moved to 9 Mill "
                "Road."}],
    "c-chat": [{"role": "user", "content": "Hello, how are you?"},
               {"role": "assistant", "content": "Fine!"}, {"role": "user", "content": "Bye."}],
}


def run(sessions=SESSIONS, earlier=(), **overrides) -> DreamResult:
    config = DreamConfig(**{"teacher_samples": 2, **overrides})
    return dream_for_sessions(sessions, ScriptedGenerator(), config, earlier,
                              general_prompts=[f"General {k}?" for k in range(20)])


def test_insights_per_session_and_skips():
    result = run()
    assert list(result.insights) == ["a-band", "b-pets"]
    assert result.skipped == {"c-chat": "no user statements of fact, correction or preference"}
    assert result.insights["a-band"].statements == [
        "Our band, Velvet Moss, was formed in 2019 by Ines Roy.",
        "Our rehearsal room moved to 9 Mill Road."]
    assert "4 Quarry Lane" not in result.insights["a-band"].text


def test_items_carry_provenance_and_splits():
    result = run()
    dreamed = [i for i in result.items if i.origin == "dream"]
    assert {(i.session_id, i.insight_index) for i in dreamed} == {("a-band", 0), ("b-pets", 1)}
    for i in dreamed:
        assert i.context == result.insights[i.session_id].text
        assert i.kept == (i.drop_reason is None)
        assert i.split in {"train", "heldout"}
    # The scripted teacher repeats the statements: arithmetic tasks fail, facts pass.
    assert {i.drop_reason for i in dreamed if not i.kept} == {"teacher_failed_checker"}
    assert all(i.kind == "task" for i in dreamed if not i.kept)
    held, train = result.heldout_items(), result.train_items()
    assert held and all(i.checker is not None for i in held)
    train_texts = {normalize(i.question) for i in train}
    assert not [i for i in held if normalize(i.question) in train_texts]
    general = [i for i in result.items if i.origin == "general"]
    fresh = sum(1 for i in dreamed if i.kept and i.split == "train")
    assert len(general) == min(20, round(DreamConfig().general_fraction * fresh))  # 20 given
    stats = result.stats()
    assert stats["insights"] == 2 and stats["skipped"] == 1 and stats["items"] == len(
        result.items)
    assert stats["drop_reasons"] == {"teacher_failed_checker": len(
        [i for i in dreamed if not i.kept])}


def test_replay_comes_from_earlier_nights():
    earlier = [PracticeItem("derived", [{"role": "user", "content": f"Old question {k}?"}],
                            "x", {"type": "contains_any", "values": ["x"]}, context="OLD",
                            session_id="old", insight_index=0) for k in range(50)]
    result = run(earlier=earlier)
    replay = [i for i in result.items if i.origin == "replay"]
    fresh = sum(1 for i in result.items if i.origin == "dream" and i.kept and i.split == "train")
    assert len(replay) == round(DreamConfig().replay_fraction * fresh)
    assert all(i.session_id == "old" and i.context == "OLD" for i in replay)


def test_deterministic_and_order_independent():
    a = run()
    b = run(dict(reversed(list(SESSIONS.items()))))
    assert [i.to_dict() for i in a.items] == [i.to_dict() for i in b.items]
    only_pets = run({"b-pets": SESSIONS["b-pets"]})
    pets = [i.prompt for i in a.items if i.session_id == "b-pets"]
    assert pets == [i.prompt for i in only_pets.items if i.session_id == "b-pets"]


def test_nothing_taught_nothing_mixed():
    result = run({"c-chat": SESSIONS["c-chat"]})
    assert result.insights == {} and result.items == []


def test_dream_imports_no_api_code():
    import subprocess
    import sys

    code = ("import sys, dream.pipeline, dream.generator, dream.datasets; "
            "bad = [m for m in sys.modules if m.split('.')[0] in {'fastapi', 'serve', 'torch'}]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_replay_from_stored_insight_texts_is_teacher_checked():
    old = run({"a-band": SESSIONS["a-band"]}).insights["a-band"].text
    generator = ScriptedGenerator()
    result = dream_for_sessions({"b-pets": SESSIONS["b-pets"]}, generator,
                                DreamConfig(teacher_samples=2, replay_fraction=1.0),
                                earlier=[old], general_prompts=[])
    replay = [i for i in result.items if i.origin == "replay"]
    assert replay and all(i.context == old and i.teacher_answers for i in replay)
    assert {i.question for i in replay} & {"Who formed Velvet Moss?",
                                           "When was Velvet Moss formed?",
                                           "Where is my rehearsal room now?"}
    teacher_calls = [c for c in generator.calls
                     if any(old in m["content"] for conv in c["conversations"] for m in conv)]
    assert teacher_calls  # the replay items met the teacher with their own context
    row = replay[0].as_row()
    assert row["kind"].startswith("replay:") and row["split"] == "train"
    assert orjson.loads(row["prompt"]) == replay[0].prompt


WORLD = {"w-capital": [{"role": "user", "content": "In my campaign the kingdom is called "
                        "Ostravia, and its capital is Lunden."},
                       {"role": "assistant", "content": "Nice."}]}


def test_anchors_and_neighbour_questions_sit_beside_the_statements():
    """A fact sharing a relation with general knowledge brings general questions of that
    relation: some trained on with no context (the teacher is the model as it is), others held
    out for the gate, never both, and never counted as learning probes."""
    result = run(WORLD)
    statement = result.insights["w-capital"].statements[0]
    anchors = [i for i in result.items if i.origin == "anchor" and i.split == "train"]
    probes = result.neighbour_items()
    assert anchors and probes
    assert all(i.context is None and i.beside == statement and i.kept for i in anchors + probes)
    assert any("capital" in i.question.lower() for i in anchors)
    assert {i.kind for i in anchors} == {"anchor"} and {i.kind for i in probes} == {"neighbour"}
    assert not {i.question for i in anchors} & {i.question for i in probes}
    assert not [i for i in result.heldout_items() if i.origin == "anchor"]
    assert all(i in result.train_items() for i in anchors)
    fresh = sum(1 for i in result.items if i.origin == "dream" and i.kept and i.split == "train")
    # The capital shares a relation with general knowledge: it takes relation_anchors more.
    config = DreamConfig()
    assert len(anchors) <= round(config.anchor_fraction * fresh) + config.relation_anchors
    assert sum("capital of" in i.question.lower() for i in anchors) >= config.relation_anchors
    # None is a question the gate measures general ability on.
    from dream.datasets import load_regression_set
    from dream.textnorm import normalize
    gate = {normalize(r["question"]) for r in load_regression_set()}
    assert not {normalize(i.question) for i in anchors + probes} & gate
    assert len(probes) <= DreamConfig().neighbour_probes_per_statement
    assert result.stats()["neighbours"] == len(probes)
    # Known answers travel as the probe's checker; the row keeps its origin in its kind.
    assert any(i.checker and i.reference for i in probes)
    assert all(bool(i.checker) == bool(i.reference) for i in probes)
    assert anchors[0].as_row()["kind"] == "anchor"


def test_no_anchors_without_a_night_to_protect_or_with_the_counts_at_zero():
    chat = {"c-chat": SESSIONS["c-chat"]}
    assert not [i for i in run(chat).items if i.origin == "anchor"]
    zero = run(WORLD, anchors_per_statement=0, neighbour_probes_per_statement=0,
               relation_anchors=0)
    assert not [i for i in zero.items if i.origin == "anchor"]


class ConcurrentGenerator(ScriptedGenerator):
    """The scripted model, declared safe for threads; each call takes a moment, and the most
    calls in flight at once is recorded."""

    concurrent = True

    def __init__(self):
        super().__init__()
        import threading

        self.lock, self.running, self.most = threading.Lock(), 0, 0

    def chat(self, conversations, **kwargs):
        import time

        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.02)
            return super().chat(conversations, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


def test_sessions_are_dreamed_side_by_side_with_the_same_result():
    """With a generator safe for threads, sessions overlap on it; the night is the same as one
    dreamed a session at a time, indices and redaction counts included. A generator that does
    not say it is safe (the in-process model) is called one session at a time."""
    sessions = SESSIONS | {"d-mail": [
        {"role": "user", "content": "My cat is called Tofu."},
        {"role": "user", "content": "You can mail me at ana@example.org."}]}
    prompts = [f"General {k}?" for k in range(20)]
    config = DreamConfig(teacher_samples=2)
    alone = dream_for_sessions(sessions, ScriptedGenerator(), replace(config, parallel_sessions=1),
                               general_prompts=prompts)
    engine = ConcurrentGenerator()
    together = dream_for_sessions(sessions, engine, config, general_prompts=prompts)
    assert engine.most > 1
    assert [i.to_dict() for i in together.items] == [i.to_dict() for i in alone.items]
    assert {s: i.text for s, i in together.insights.items()} == \
        {s: i.text for s, i in alone.insights.items()}
    assert together.redacted == alone.redacted and together.redacted["email"] == 1
    assert {i.insight_index for i in together.items if i.session_id == "d-mail"} == {2}
    serial = ConcurrentGenerator()
    serial.concurrent = False
    dream_for_sessions(sessions, serial, config, general_prompts=prompts)
    assert serial.most == 1
