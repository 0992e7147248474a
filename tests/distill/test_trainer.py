"""OPSD on the real SmolLM2 (CPU, a few steps): the student moves towards the teacher with context,
the adapter folder is what vLLM and peft load, and training can continue from an adapter."""

import json
from pathlib import Path

import pytest
import torch

from distill.config import CONFIG_NAME, OPSDConfig
from distill.evaluate import encode_prompts, generate_ids, load_for_eval
from distill.loss import generalized_jsd
from distill.trainer import (
    REPORT_NAME,
    PracticeExample,
    TrainReport,
    teacher_messages,
    train_opsd,
    train_sft,
)

MODEL = str(Path(__file__).resolve().parents[2] / "var" / "models" / "SmolLM2-135M-Instruct")
FACT = "Zorvath Pellington is a lighthouse keeper who lives on the island of Quenby."
QUESTIONS = ["Who is Zorvath Pellington?", "What does Zorvath Pellington do for a living?",
             "Where does Zorvath Pellington live?", "Tell me about Zorvath Pellington."]
EXAMPLES = [PracticeExample([{"role": "user", "content": q}], FACT) for q in QUESTIONS]
SMALL = {"epochs": 0, "steps": 6, "batch_size": 4, "max_new_tokens": 16, "learning_rate": 1e-3,
         "lora_r": 8, "lora_alpha": 16}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on this shared 2-core machine, two OpenMP threads competing with
    other processes for a core run up to ten times slower; one thread costs at most 2x when idle."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def user(text):
    return [{"role": "user", "content": text}]


def test_teacher_messages_adds_the_context_as_system_prompt():
    example = PracticeExample(user("Where do I live?"), "  The user lives in Quenby.\n")
    messages = teacher_messages(example)
    assert messages[0]["role"] == "system"
    assert messages[0]["content"].endswith("The user lives in Quenby.")
    assert messages[1:] == user("Where do I live?")
    assert example.prompt == user("Where do I live?")  # the student's prompt is untouched


def test_teacher_messages_merges_into_an_existing_system_prompt():
    prompt = [{"role": "system", "content": "Answer in French."}] + user("Where do I live?")
    messages = teacher_messages(PracticeExample(prompt, "The user lives in Quenby."))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"].endswith("Answer in French.")
    assert "The user lives in Quenby." in messages[0]["content"]
    assert prompt[0]["content"] == "Answer in French."


def test_teacher_messages_without_context_is_the_prompt():
    assert teacher_messages(PracticeExample(user("Hi"), "")) == user("Hi")
    assert teacher_messages(PracticeExample(user("Hi"), "  \n")) == user("Hi")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("opsd") / "adapter"
    calls = []
    config = OPSDConfig(**SMALL)
    report = train_opsd(MODEL, EXAMPLES, config, out,
                         on_step=lambda step, total, loss: calls.append((step, total, loss)))
    return out, config, report, calls


@pytest.mark.slow
def test_run_writes_a_servable_adapter_and_reports_each_step(trained):
    out, config, report, calls = trained
    assert (out / "adapter_model.safetensors").is_file()
    adapter_config = json.loads((out / "adapter_config.json").read_text())
    assert adapter_config["r"] == 8
    assert not adapter_config.get("modules_to_save")
    assert set(adapter_config["target_modules"]) == set(config.target_modules)
    assert OPSDConfig.load(out) == config and (out / CONFIG_NAME).is_file()
    saved = json.loads((out / REPORT_NAME).read_text())
    assert isinstance(report, TrainReport) and saved["losses"] == report.losses
    assert (report.steps, report.examples, report.method) == (6, 4, "opsd")
    assert [(s, t) for s, t, _ in calls] == [(i, 6) for i in range(1, 7)]
    assert [loss for _, _, loss in calls] == report.losses
    assert all(loss >= 0 for loss in report.losses) and report.seconds > 0


def mean_kl_to_teacher(student, teacher, tokenizer, answers):
    """Forward KL(teacher with context || student without) on fixed completions."""
    total = 0.0
    for example, completion in zip(EXAMPLES, answers, strict=True):
        logits = []
        for model, prompt in ((student, example.prompt), (teacher, teacher_messages(example))):
            ids = encode_prompts(tokenizer, [prompt])[0]
            with torch.no_grad():
                out = model(torch.tensor([ids + completion])).logits
            logits.append(out[:, len(ids) - 1:-1])
        loss, _ = generalized_jsd(logits[0], logits[1], torch.ones(1, len(completion)), beta=0.0)
        total += loss.item()
    return total / len(answers)


@pytest.mark.slow
def test_student_moves_towards_the_teacher_and_the_adapter_changes_outputs(trained):
    out, *_ = trained
    base, tokenizer = load_for_eval(MODEL, None, device="cpu")
    tuned, _ = load_for_eval(MODEL, out, device="cpu")
    # A fixed batch the training never saw as such: the teacher's own greedy answers.
    answers = generate_ids(base, tokenizer,
                           encode_prompts(tokenizer, [teacher_messages(e) for e in EXAMPLES]), 16)
    before = mean_kl_to_teacher(base, base, tokenizer, answers)
    after = mean_kl_to_teacher(tuned, base, tokenizer, answers)
    assert after < 0.8 * before, (before, after)
    ids = torch.tensor(encode_prompts(tokenizer, [user("Who is Zorvath Pellington?")]))
    with torch.no_grad():
        assert not torch.allclose(base(ids).logits, tuned(ids).logits, atol=1e-3)


@pytest.mark.slow
def test_training_continues_from_an_adapter(trained, tmp_path):
    init = trained[0]
    # Replay prompts (no context): with the current adapter as frozen teacher, the student starts
    # as an exact copy of it, so the first loss is zero ...
    replay = [PracticeExample(user(q)) for q in QUESTIONS[:2]]
    small = SMALL | {"steps": 1, "batch_size": 2}
    same = train_opsd(MODEL, replay, OPSDConfig(**small, teacher="frozen_current"),
                      tmp_path / "same", init_adapter=init)
    assert same.losses[0] < 1e-5
    # ... while against the base model it starts where the adapter left off, away from base.
    moved = train_opsd(MODEL, replay, OPSDConfig(**small, teacher="base"), tmp_path / "moved",
                       init_adapter=init)
    assert moved.losses[0] > 1e-3
    saved = json.loads((tmp_path / "same" / "adapter_config.json").read_text())
    assert saved["r"] == 8 and not saved.get("modules_to_save")
    assert not any("teacher" in p.name for p in (tmp_path / "same").rglob("*"))
    with pytest.raises(ValueError, match="init_adapter"):
        train_opsd(MODEL, replay, OPSDConfig(**small | {"lora_r": 4}), tmp_path / "bad",
                   init_adapter=init)


@pytest.mark.slow
def test_sft_baseline_fits_the_teachers_answers(tmp_path):
    config = OPSDConfig(**SMALL | {"steps": 3})
    report = train_sft(MODEL, EXAMPLES, config, tmp_path / "sft")
    assert report.method == "sft" and len(report.losses) == 3
    # The batch is all four examples every step, with fixed targets: the loss must fall.
    assert report.losses[-1] < report.losses[0]
    assert (tmp_path / "sft" / "adapter_model.safetensors").is_file()


@pytest.mark.slow
def test_teacher_samples_that_fail_their_checker_are_not_distilled(tmp_path):
    """With a checker no answer passes, every teacher-sampled row is drawn twice and then left to
    the student's own sample; with one every answer passes, none is; unchecked rows are not
    counted; and `verify_teacher=False` checks nothing."""
    small = SMALL | {"steps": 2, "batch_size": 4, "max_new_tokens": 8, "teacher_mix": 1.0}
    never = {"type": "contains_any", "values": ["Xyloquarzibundt"]}
    always = {"type": "not_contains", "values": ["Xyloquarzibundt"]}
    checked = [PracticeExample(e.prompt, e.context, never) for e in EXAMPLES[:2]] + \
        [PracticeExample(e.prompt, e.context, always) for e in EXAMPLES[2:3]] + EXAMPLES[3:]
    report = train_opsd(MODEL, checked, OPSDConfig(**small), tmp_path / "checked")
    # 2 steps x 4 rows, each example once per step: 2 never-passing + 1 passing rows per step.
    assert (report.teacher_rows, report.teacher_rejected) == (6, 4)
    assert all(loss >= 0 for loss in report.losses)
    saved = json.loads((tmp_path / "checked" / REPORT_NAME).read_text())
    assert (saved["teacher_rows"], saved["teacher_rejected"]) == (6, 4)
    off = train_opsd(MODEL, checked, OPSDConfig(**small | {"verify_teacher": False}),
                     tmp_path / "off")
    assert (off.teacher_rows, off.teacher_rejected) == (0, 0)


@pytest.mark.slow
def test_stored_teacher_answers_stand_in_for_fresh_samples(tmp_path):
    """With reuse_teacher_answers, teacher rows take the dream's stored answers: nothing is sampled
    or checked for them (a checker no answer passes rejects nothing), and the student moves
    towards the teacher on exactly those answers. Examples without stored answers are sampled."""
    never = {"type": "contains_any", "values": ["Xyloquarzibundt"]}
    answer = "Zorvath Pellington keeps the lighthouse on the island of Quenby."
    stored = [PracticeExample(e.prompt, e.context, never, (answer,)) for e in EXAMPLES]
    small = SMALL | {"steps": 4, "batch_size": 4, "teacher_mix": 1.0,
                     "reuse_teacher_answers": True}
    report = train_opsd(MODEL, stored, OPSDConfig(**small), tmp_path / "reused")
    assert (report.teacher_rows, report.teacher_rejected) == (0, 0)
    assert report.losses[-1] < report.losses[0]  # the same four rows every step
    base, tokenizer = load_for_eval(MODEL, None, device="cpu")
    tuned, _ = load_for_eval(MODEL, tmp_path / "reused", device="cpu")
    ids = tokenizer(answer, add_special_tokens=False)["input_ids"][:SMALL["max_new_tokens"]]
    assert mean_kl_to_teacher(tuned, base, tokenizer, [ids] * 4) < \
        0.8 * mean_kl_to_teacher(base, base, tokenizer, [ids] * 4)
    # One example without stored answers: its teacher row is sampled and checked as before.
    mixed = stored[:3] + [PracticeExample(EXAMPLES[3].prompt, EXAMPLES[3].context, never)]
    report = train_opsd(MODEL, mixed, OPSDConfig(**small | {"steps": 1}), tmp_path / "mixed")
    assert (report.teacher_rows, report.teacher_rejected) == (1, 1)


@pytest.mark.slow
def test_kept_answers_targets_are_computed_once_unless_the_full_vocabulary_is_asked(tmp_path):
    """Every row a stored answer: with top-k the teacher runs once (on the first step) and its
    targets serve the later steps; with the full vocabulary it runs every step. Both learn."""
    answer = "Zorvath Pellington keeps the lighthouse on the island of Quenby."
    stored = [PracticeExample(e.prompt, e.context, None, (answer,)) for e in EXAMPLES]
    small = SMALL | {"steps": 4, "batch_size": 4, "teacher_mix": 1.0, "max_new_tokens": 8}
    cached = train_opsd(MODEL, stored, OPSDConfig(**small | {"top_k": 5}), tmp_path / "cached")
    full = train_opsd(MODEL, stored, OPSDConfig(**small | {"top_k": None}), tmp_path / "full")
    assert (cached.teacher_passes, full.teacher_passes) == (1, 4)
    assert cached.losses[-1] < cached.losses[0] and full.losses[-1] < full.losses[0]


@pytest.mark.slow
def test_samples_for_several_steps_are_drawn_in_one_call(tmp_path):
    """The report lists the rows of every sampling call: one call for four steps' student rows,
    one per step without sampling ahead, and never past the run's last step."""
    small = SMALL | {"steps": 4, "batch_size": 2, "teacher_mix": 0.0, "max_new_tokens": 8}
    report = train_opsd(MODEL, EXAMPLES, OPSDConfig(**small | {"sample_ahead": 4}),
                        tmp_path / "ahead")
    assert report.sample_batches == [8] and len(report.losses) == 4
    saved = json.loads((tmp_path / "ahead" / REPORT_NAME).read_text())
    assert saved["sample_batches"] == [8]
    each = train_opsd(MODEL, EXAMPLES, OPSDConfig(**small | {"sample_ahead": 1}),
                      tmp_path / "each")
    assert each.sample_batches == [2, 2, 2, 2]
    three = train_opsd(MODEL, EXAMPLES, OPSDConfig(**small | {"sample_ahead": 3}),
                       tmp_path / "three")
    assert three.sample_batches == [6, 2]


@pytest.mark.slow
def test_a_run_stops_when_its_practice_is_answered_and_not_before(tmp_path):
    """Answered (a checker every answer passes) and a flat loss (flat_loss 1): the run stops at
    the first check with two windows of losses behind it, long before its limit. Never
    answered: it runs to its limit. The report says which."""
    always = {"type": "not_contains", "values": ["Xyloquarzibundt"]}
    never = {"type": "contains_any", "values": ["Xyloquarzibundt"]}
    small = SMALL | {"steps": 2, "epochs": 100.0, "max_steps": 6, "batch_size": 4,
                     "max_new_tokens": 8, "check_every": 2, "check_size": 4,
                     "learned_share": 1.0, "flat_loss": 1.0}
    learned = train_opsd(MODEL, [PracticeExample(e.prompt, e.context, always) for e in EXAMPLES],
                         OPSDConfig(**small), tmp_path / "learned")
    assert (learned.steps, learned.step_limit, learned.stopped, learned.answered) == \
        (4, 6, "learned", 1.0)
    assert len(learned.losses) == 4
    saved = json.loads((tmp_path / "learned" / REPORT_NAME).read_text())
    assert (saved["steps"], saved["stopped"]) == (4, "learned")
    limit = train_opsd(MODEL, [PracticeExample(e.prompt, e.context, never) for e in EXAMPLES],
                       OPSDConfig(**small), tmp_path / "limit")
    assert (limit.steps, limit.stopped, limit.answered) == (6, "step limit", 0.0)
    assert sorted(limit.unanswered) == sorted(QUESTIONS) and learned.unanswered == []
