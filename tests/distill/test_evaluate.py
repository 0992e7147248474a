"""Batched greedy answers and perplexity on the real SmolLM2: padding must not change results."""

import math
from pathlib import Path

import pytest
import torch

from distill.evaluate import answer, load_for_eval, perplexity

MODEL = str(Path(__file__).resolve().parents[2] / "var" / "models" / "SmolLM2-135M-Instruct")
TEXT = ("The river runs through the middle of the old town. In spring the water rises, and the "
        "children watch the boats pass under the stone bridge on their way to the market.")


@pytest.fixture(scope="module")
def model_and_tokenizer():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # see test_trainer.one_thread: the machine is shared
    yield load_for_eval(MODEL, None, device="cpu")
    torch.set_num_threads(before)


@pytest.mark.slow
def test_batched_answers_equal_one_at_a_time(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    prompts = [[{"role": "user", "content": "What is the capital of France?"}],
               [{"role": "system", "content": "You answer in one short sentence."},
                {"role": "user", "content": "Why is the sky blue? Explain it simply for a child "
                                            "who is curious about the weather."}]]
    batched = answer(model, tokenizer, prompts, max_new_tokens=12)
    single = [answer(model, tokenizer, [p], max_new_tokens=12)[0] for p in prompts]
    assert batched == single  # left padding and positions are handled
    assert "Paris" in batched[0]


@pytest.mark.slow
def test_perplexity_is_token_weighted_and_padding_free(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    short = "The cat sat on the mat."
    both = perplexity(model, tokenizer, [TEXT, short])
    n_long = len(tokenizer(TEXT)["input_ids"]) - 1
    n_short = len(tokenizer(short)["input_ids"]) - 1
    nll = (n_long * math.log(perplexity(model, tokenizer, [TEXT]))
           + n_short * math.log(perplexity(model, tokenizer, [short])))
    assert both == pytest.approx(math.exp(nll / (n_long + n_short)), rel=1e-4)
    words = TEXT.split()
    shuffled = " ".join(words[i] for i in torch.randperm(len(words), generator=torch.Generator()
                                                         .manual_seed(0)).tolist())
    assert 1 < perplexity(model, tokenizer, [TEXT]) < perplexity(model, tokenizer, [shuffled])
