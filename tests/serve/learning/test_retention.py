"""The gate asks earlier nights' questions: the run samples them from the store (real
PostgreSQL), leaving out what tonight trains on; on the real SmolLM2, a candidate that lost an
earlier fact is refused and the fact is named."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import torch

from distill.config import GateConfig, LearningConfig
from distill.gate import Probe, evaluate_candidate
from distill.retention import Earlier
from distill.trainer import PracticeExample
from dream.pipeline import DreamResult
from serve.config.settings import Settings
from serve.learning.stages import LearningRun, Practice, earlier_probes

MODEL = str(Path(__file__).resolve().parents[3] / "var" / "models" / "SmolLM2-135M-Instruct")


def _ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def _earlier_night(db, runs, questions: dict[str, list[str]]) -> None:
    """A succeeded run whose insights (text -> held-out questions) are active."""
    sid = uuid.uuid4()
    db.execute("INSERT INTO sessions (id, tenant_id, public_id) VALUES (%s, %s, %s)",
               (sid, runs.tenant_id, str(sid)))
    run = runs.create()
    ids = runs.replace_insights(run, sid, [{"kind": "fact", "text": t} for t in questions])
    runs.replace_practice(run, [
        {"insight_id": i, "kind": "question", "split": "heldout", "prompt": json.dumps(_ask(q)),
         "checker": {"type": "contains_all", "values": [text.split()[-1].rstrip(".")]}}
        for i, (text, asked) in zip(ids, questions.items(), strict=True) for q in asked])
    runs.finish(run, "succeeded")


def test_the_run_asks_earlier_questions_it_does_not_train_on_tonight(db, runs, tmp_path):
    _earlier_night(db, runs, {"The user has a cat named Miso.": ["What is my cat called?",
                                                                "My cat's name?"],
                              "The user lives in Lyon.": ["Where do I live?"]})
    config = LearningConfig.from_overrides({"gate": {"earlier_questions": 5}})
    run = LearningRun(Settings(var_dir=tmp_path), runs, runs.create(), config)
    tonight = Practice(1, DreamResult({}, []), [PracticeExample(_ask("where do I  live?"))], [])
    asked = earlier_probes(run, tonight)
    assert sorted(p.question for p in asked) == ["My cat's name?", "What is my cat called?"]
    assert {p.about for p in asked} == {"The user has a cat named Miso."}
    assert asked[0].checker == {"type": "contains_all", "values": ["Miso"]}
    off = LearningConfig.from_overrides({"gate": {"earlier_questions": 0}})
    assert earlier_probes(LearningRun(Settings(var_dir=tmp_path), runs, run.run_id, off),
                          tonight) == []


@pytest.fixture
def broken_adapter(tmp_path) -> Path:
    """A real LoRA adapter with random weights on every attention projection: it breaks what
    the model answers."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODEL, torch_dtype=torch.float32)
    lora = LoraConfig(r=8, lora_alpha=64, init_lora_weights=False,
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj"])
    get_peft_model(model, lora).save_pretrained(tmp_path / "broken")
    return tmp_path / "broken"


@pytest.mark.slow
def test_a_candidate_that_lost_an_earlier_fact_is_refused_and_the_fact_named(broken_adapter):
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # the machine is shared with the rest of the suite
    try:
        verdict = evaluate_candidate(
            MODEL, broken_adapter, None, [Probe(_ask("What is my cat called?"),
                                                {"type": "contains_all", "values": ["Miso"]})],
            GateConfig(max_new_tokens=8, device="cpu"),
            earlier=[Earlier(_ask("What is the capital of France?"),
                             {"type": "contains_all", "values": ["Paris"]}, "France's capital"),
                     Earlier(_ask("What is my cat called?"),
                             {"type": "contains_all", "values": ["Miso"]}, "The cat")])
    finally:
        torch.set_num_threads(before)
    kept = verdict.details["earlier"]
    assert not verdict.passed and "earlier" in verdict.kinds
    assert kept["asked"] == 2 and kept["known_before"] == 1 and kept["lost_share"] == 1.0
    [lost] = kept["lost"]
    assert lost["question"] == "What is the capital of France?" and "Paris" in lost["before"]
    assert "Paris" not in lost["after"] and lost["about"] == "France's capital"
