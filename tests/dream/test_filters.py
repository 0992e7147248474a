import random

import pytest

from dream.config import DreamConfig
from dream.filters import dedupe, filter_by_teacher, mix_replay, split_heldout
from dream.insights import Insight
from dream.practice import PracticeItem
from dream.textnorm import normalize

INSIGHT = Insight("What the user told you in an earlier conversation:\n"
                  "- The user's tortoise's name is Pebble and he is 12.", "fact",
                  ["My tortoise's name is Pebble and he is 12."])
NAME = {"type": "contains_any", "values": ["Pebble"]}
AGE = {"type": "number", "value": 12}


def item(question: str, checker: dict | None = None, kind: str = "derived",
         **fields) -> PracticeItem:
    return PracticeItem(kind, [{"role": "user", "content": question}], None, checker, **fields)


class Fixed:
    """Answers every conversation with the same list of samples."""

    def __init__(self, answers: list[str]) -> None:
        self.answers, self.calls = answers, []

    def chat(self, conversations, *, n=1, temperature=0.0, max_tokens=128, seed=None):
        self.calls.append((conversations, n, temperature))
        return [list(self.answers[:n]) for _ in conversations]


def test_dedupe_exact_and_near_duplicates():
    items = [item("What is my tortoise's name?"), item("what is my tortoise's name"),
             item("WHAT is my  tortoise's name ?!"), item("How old is Pebble?"),
             item("Remind me, what is my tortoise's name?"),
             item("Hey! What is my tortoise's name?")]
    kept = dedupe(items, threshold=0.85)
    assert [i.question for i in kept] == ["What is my tortoise's name?", "How old is Pebble?",
                                          "Remind me, what is my tortoise's name?",
                                          "Hey! What is my tortoise's name?"]
    assert [i.question for i in dedupe(items, threshold=0.7)] == [
        "What is my tortoise's name?", "How old is Pebble?"]


def test_dedupe_compares_user_turns_only():
    a = PracticeItem("followup", [{"role": "user", "content": "Hi"},
                                  {"role": "assistant", "content": "Hello there"},
                                  {"role": "user", "content": "How old is Pebble?"}], None, AGE)
    b = PracticeItem("followup", [{"role": "user", "content": "Hi"},
                                  {"role": "assistant", "content": "Hey, what's up"},
                                  {"role": "user", "content": "How old is Pebble?"}], None, AGE)
    assert dedupe([a, b]) == [a]
    assert len(dedupe([a, item("How old is Pebble?")])) == 2


def test_teacher_filter_keeps_correct_and_drops_contradicted():
    generator = Fixed(["Pebble is 12 years old.", "He is Pebble, aged twelve.",
                       "Pebble, 12, lives in Rome.", "I think it is Pebble."])
    items = [item("What is my tortoise's name?", NAME), item("How old is Pebble?", AGE),
             item("What is my tortoise's name?", {"type": "contains_any", "values": ["Rex"]}),
             item("How old is Pebble?", {"type": "number", "value": 40})]
    config = DreamConfig(teacher_samples=4, agreement_threshold=0.5)
    filter_by_teacher(items, INSIGHT, generator, config)
    assert [i.kept for i in items] == [True, True, False, False]
    assert [i.drop_reason for i in items[2:]] == ["teacher_failed_checker"] * 2
    # Faithful answers are preferred: "lives in Rome" adds a name the context never gave.
    assert items[0].teacher_answers == ["Pebble is 12 years old.", "He is Pebble, aged twelve.",
                                        "I think it is Pebble."]
    assert items[1].teacher_answers == ["Pebble is 12 years old.", "He is Pebble, aged twelve."]
    conversations, n, temperature = generator.calls[0]
    assert n == 4 and temperature == config.teacher_temperature
    assert conversations[0][0] == {"role": "system", "content":
                                   "Use the following information when answering.\n\n"
                                   + INSIGHT.text}
    assert items[0].context == INSIGHT.text


def test_teacher_filter_needs_agreement_share():
    items = [item("How old is Pebble?", AGE)]
    filter_by_teacher(items, INSIGHT, Fixed(["12", "no idea", "40", "who?"]),
                      DreamConfig(teacher_samples=4, agreement_threshold=0.5))
    assert items[0].drop_reason == "teacher_failed_checker"
    assert items[0].teacher_answers == ["12", "no idea", "40", "who?"]
    filter_by_teacher(items, INSIGHT, Fixed(["12", "no idea", "40", "who?"]),
                      DreamConfig(teacher_samples=4, agreement_threshold=0.25))
    assert items[0].kept and items[0].teacher_answers == ["12"]


@pytest.mark.parametrize(("answers", "kept", "reason"), [
    (["Pebble is a tortoise of 12.", "Pebble, aged 12, is your tortoise.", "Pebble is 12."],
     True, None),
    (["Pebble is 12.", "Pebble is 30.", "He is 7, named Rex."], False, "teacher_disagree"),
    (["Tortoises live long.", "Tortoises are reptiles.", "Tortoises are slow."], False,
     "ungrounded"),
    (["", " ", ""], False, "teacher_empty"),
    (["Pebble is 12 and lives in Rome.", "Pebble, 12, from Rome.", "Pebble is 12 (Rome)."],
     False, "teacher_unfaithful"),
    (["Your tortoise is a tortoise.", "A tortoise, yes.", "Tortoise!"], False, "ungrounded"),
])
def test_teacher_filter_without_checker(answers, kept, reason):
    items = [item("Tell me about my tortoise.", None, kind="model_question")]
    filter_by_teacher(items, INSIGHT, Fixed(answers), DreamConfig(teacher_samples=3,
                                                                  agreement_threshold=0.6))
    assert (items[0].kept, items[0].drop_reason) == (kept, reason)


def _checkable(n_facts: int, per_fact: int) -> list[PracticeItem]:
    kinds = ["derived", "variant", "paraphrase", "recall"]
    return [item(f"Question {f} wording {w}?", {"type": "number", "value": f},
                 kind=kinds[w % len(kinds)], session_id="s", insight_index=0)
            for f in range(n_facts) for w in range(per_fact)]


@pytest.mark.parametrize("seed", range(5))
def test_split_heldout_respects_fraction_and_never_repeats_train_text(seed):
    items = _checkable(5, 4) + [item("Question 0 wording 0?", {"type": "number", "value": 0},
                                     session_id="s", insight_index=0)]
    items += [item("Unchecked?", None, session_id="s", insight_index=0),
              item("Dropped?", AGE, kept=False, session_id="s", insight_index=0)]
    split_heldout(items, 0.25, random.Random(seed))
    held = [i for i in items if i.split == "heldout"]
    train = [i for i in items if i.split == "train"]
    assert len(held) == round(0.25 * 21)
    train_texts = {normalize(i.question) for i in train}
    assert all(normalize(i.question) not in train_texts for i in held)
    assert all(i.kept and i.checker is not None for i in held)
    for fact in range(5):  # every fact still trained on
        assert any(i.checker == {"type": "number", "value": fact} for i in train)
    assert {i.kind for i in held} <= {"paraphrase", "variant", "recall"}  # rewordings first


def test_split_heldout_per_insight_and_single_items_stay_train():
    a = _checkable(2, 5)
    b = [item("Only one?", AGE, session_id="t", insight_index=1)]
    split_heldout(a + b, 0.2, random.Random(0))
    assert sum(i.split == "heldout" for i in a) == 2
    assert b[0].split == "train"
    with pytest.raises(ValueError):
        split_heldout(a, 1.0, random.Random(0))


def test_mix_replay_fractions_and_pool():
    new = _checkable(4, 5)  # 20 kept train items
    earlier = [item(f"Earlier {k}?", AGE, context="OLD") for k in range(30)]
    earlier += [item("Earlier dropped?", AGE, kept=False),
                item("Earlier heldout?", AGE, split="heldout"),
                item("Question 0 wording 0?", AGE, context="OLD")]
    general = [f"General prompt {k}" for k in range(10)]
    config = DreamConfig(replay_fraction=0.5, general_fraction=0.25)
    mixed = mix_replay(new, earlier, general, config, random.Random(0))
    replay = [i for i in mixed if i.origin == "replay"]
    gen = [i for i in mixed if i.origin == "general"]
    assert mixed[:20] == new
    assert len(replay) == 10 and len(gen) == 5
    assert all(i.question.startswith("Earlier ") and i.context == "OLD" for i in replay)
    assert all(i.context is None and i.kind == "general" and i.checker is None for i in gen)
    assert all(e.origin == "dream" for e in earlier)  # replays are copies
    nothing_new = [item("x?", AGE, kept=False)]
    assert mix_replay(nothing_new, earlier, general, config, random.Random(0)) == nothing_new


def test_preference_items_need_agreement_not_grounding():
    items = [item("How do I boil an egg?", None, kind="preference"),
             item("How do I boil an egg?", None, kind="model_question")]
    filter_by_teacher(items, INSIGHT, Fixed(["Boil it 7 minutes."] * 3),
                      DreamConfig(teacher_samples=3))
    assert [(i.kept, i.drop_reason) for i in items] == [(True, None), (False, "ungrounded")]


def test_replay_never_repeats_tonights_questions():
    new = [item("Where is our office now?", {"type": "contains_any", "values": ["12 Harbor"]})]
    stale = [item("Where is my office now?", {"type": "contains_any", "values": ["5 Main"]}),
             item("where is our office now", {"type": "contains_any", "values": ["5 Main"]}),
             item("Who founded my company?", NAME)]
    mixed = mix_replay(new, stale, [], DreamConfig(replay_fraction=4.0), random.Random(0))
    assert [i.question for i in mixed if i.origin == "replay"] == ["Who founded my company?"]
