import random
from dataclasses import replace

import pytest

from dream.checkers import check
from dream.config import DreamConfig
from dream.filters import dedupe, filter_by_teacher
from dream.insights import derive_insight, render
from dream.practice import PracticeItem, dream_practice, same_question, valid_question
from dream.teacher_view import RECALL_ASK, teacher_chat
from tests.dream.conftest import ScriptedGenerator

FACTS = [{"role": "user", "content": "Fun fact: my tortoise's name is Pebble and he is 12."},
         {"role": "assistant", "content": "What a great name!"},
         {"role": "user", "content": "Also, our band, Velvet Moss, was formed in 2019 by "
          "Ines Roy."}]


@pytest.fixture
def insight():
    return derive_insight(FACTS, ScriptedGenerator())


def test_practice_covers_every_kind_without_leaking_context(insight, scripted):
    items = dream_practice(insight, scripted, DreamConfig(), random.Random(0))
    kinds = {i.kind for i in items}
    assert kinds == {"derived", "variant", "recall", "followup", "task", "paraphrase",
                     "model_question"}
    for item in items:
        assert item.context == insight.text
        assert all(m["role"] != "system" for m in item.prompt)  # the student sees no context
        assert item.prompt[-1]["role"] == "user"
    derived = {i.question: i for i in items if i.kind == "derived"}
    assert derived["What is my tortoise's name?"].checker == {"type": "contains_any",
                                                              "values": ["Pebble"]}
    assert derived["How old is Pebble?"].checker == {"type": "number", "value": 12}
    assert derived["Who formed Velvet Moss?"].reference == "Ines Roy"


def test_checkers_come_from_the_statements(insight, scripted):
    """A teacher that repeats the statements passes every fact checker (not the tasks)."""
    items = dream_practice(insight, scripted, DreamConfig(), random.Random(0))
    statements = " ".join(insight.statements)
    for item in items:
        if item.checker is not None and item.kind != "task":
            assert check(item.checker, statements), item
            assert check(item.checker, item.reference), item
    tasks = [i for i in items if i.kind == "task"]
    assert tasks and all(i.checker["type"] == "arithmetic" for i in tasks)
    assert all(check(i.checker, i.reference) for i in tasks)


def test_practice_is_deterministic_and_capped(insight):
    a = dream_practice(insight, ScriptedGenerator(), DreamConfig(), random.Random(7))
    b = dream_practice(insight, ScriptedGenerator(), DreamConfig(), random.Random(7))
    assert [i.prompt for i in a] == [i.prompt for i in b]
    capped = dream_practice(insight, ScriptedGenerator(),
                            DreamConfig(max_items_per_insight=5), random.Random(7))
    # The cap takes kinds in turn, so one prolific kind cannot crowd out the rest.
    assert len(capped) == 5 and len({i.kind for i in capped}) == 5
    short = dream_practice(insight, ScriptedGenerator(),
                           DreamConfig(max_prompt_chars=60), random.Random(7))
    assert short and all(sum(len(m["content"]) for m in i.prompt) <= 60 for i in short)


def test_no_model_calls_when_counts_are_zero(insight):
    generator = ScriptedGenerator()
    config = DreamConfig(questions_per_insight=0, paraphrases=0, followups=0)
    items = dream_practice(insight, generator, config, random.Random(0))
    assert items and generator.calls == []


def test_preferences_practice_on_ordinary_requests(scripted):
    transcript = [{"role": "user", "content": "Please always answer briefly. I'm vegetarian."}]
    insight = derive_insight(transcript, scripted)
    items = dream_practice(insight, scripted, DreamConfig(preference_prompts=3), random.Random(0))
    preference = [i for i in items if i.kind == "preference"]
    assert len(preference) == 3 and all(i.checker is None for i in preference)
    assert not [i for i in dream_practice(insight, scripted, DreamConfig(preference_prompts=0),
                                          random.Random(0)) if i.kind == "preference"]


def test_bad_rewordings_are_rejected(insight):
    for reword in ["Is it Pebble? {q}", "What is your tortoise called?", "Can you help me?",
                   "Sure! The answer is easy."]:
        items = dream_practice(insight, ScriptedGenerator(reword=reword), DreamConfig(),
                               random.Random(0))
        assert not [i for i in items if i.kind == "paraphrase"], reword


def test_valid_question_and_same_question():
    assert valid_question('Question: "When was the band formed?" I think...') == \
        "When was the band formed?"
    assert valid_question("The band was formed in 2019.") is None
    assert valid_question("Why?") is None
    assert same_question("How old is Pebble?", "What age is Pebble?", ["12"])
    assert not same_question("How old is Pebble?", "Is Pebble 12?", ["12"])
    assert not same_question("How old is Pebble?", "How old is Pebble in 2031?", ["12"])
    assert not same_question("When was our shop opened?", "What is our shop?", ["2014"])
    assert same_question("When was our shop opened?", "In which year was our shop opened?",
                         ["2014"])
    assert not same_question("What is my tortoise's name?", "What is your tortoise's name?",
                             ["Pebble"])


def test_item_round_trips_and_teacher_messages():
    item = PracticeItem("derived", [{"role": "user", "content": "Q?"}], "A", None,
                        context="CTX")
    assert PracticeItem.from_dict(item.to_dict()) == item
    assert item.teacher_messages() == [
        {"role": "system", "content": "Use the following information when answering.\n\nCTX"},
        {"role": "user", "content": "Q?"}]
    with_system = replace(item, prompt=[{"role": "system", "content": "Be brief."},
                                        {"role": "user", "content": "Q?"}])
    assert with_system.teacher_messages()[0]["content"].endswith("CTX\n\nBe brief.")


@pytest.mark.slow
def test_real_model_practice_is_checkable_and_filtered(hf_generator):
    """Two made-up statements through the real 135M model: checkable questions come out, the
    teacher filter keeps some, and items whose checker contradicts the statements are dropped."""
    transcript = [{"role": "user", "content": "By the way, my parrot's name is Tango and she is "
                   "9."}, {"role": "assistant", "content": "Lovely!"},
                  {"role": "user", "content": "Our bakery, Crumbly, was opened in 2014 by Ana "
                   "Ruiz."}]
    config = DreamConfig(questions_per_insight=3, paraphrases=2, paraphrase_sources=3,
                         followups=1, recall_prompts=1, tasks=1, teacher_samples=3,
                         answer_max_tokens=40, question_max_tokens=32, max_items_per_insight=16)
    insight = derive_insight(transcript, hf_generator, config)
    items = dedupe(dream_practice(insight, hf_generator, config, random.Random(0)))
    checked = [i for i in items if i.checker is not None]
    assert len(checked) >= 6
    assert all(check(i.checker, i.reference) for i in checked)
    # Contradictions of what the user said: the teacher, who knows better, must fail them.
    wrong = [replace(i, kind="contradiction", checker={"type": "contains_any",
                                                       "values": ["Zanzibar"]})
             for i in checked if i.kind == "derived"][:4]
    filter_by_teacher(items + wrong, insight, hf_generator, config)
    kept = [i for i in items if i.kept and i.checker is not None]
    assert kept, [(i.question, i.teacher_answers) for i in items]
    assert all(check(i.checker, a) for i in kept for a in i.teacher_answers)
    assert all(not i.kept and i.drop_reason == "teacher_failed_checker" for i in wrong)


def test_the_teacher_sees_the_insight_and_has_recalled_it_to_the_user():
    context = render(["My cat is called Biscotti.", "I live in Tarrowby."])
    asked = [{"role": "system", "content": "Be brief."},
             {"role": "user", "content": "What is my cat called?"}]
    system, ask, recalled, demo_q, demo_a, question = teacher_chat(asked, context)
    assert system["role"] == "system" and "The user's cat is called Biscotti." in \
        system["content"] and system["content"].endswith("Be brief.")
    assert ask == {"role": "user", "content": RECALL_ASK}
    assert recalled == {"role": "assistant", "content": "You told me:\n- Your cat is called "
                        "Biscotti.\n- You live in Tarrowby."}
    # Then one of the insight's own questions, other than the one asked, answered in a sentence.
    assert demo_q["role"] == "user" and demo_q["content"] != asked[1]["content"]
    assert demo_a["role"] == "assistant" and demo_a["content"] in {
        "Your cat is called Biscotti.", "You live in Tarrowby."}
    assert not demo_a["content"].startswith("You told me")
    assert question == asked[1]
    # Other context: the system message only; no context: the prompt unchanged.
    assert [m["role"] for m in teacher_chat(asked[1:], "The sky is green.")] == ["system", "user"]
    assert teacher_chat(asked, None) == asked
