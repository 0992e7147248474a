"""The in-process generator (transformers): batched answers equal single ones, sampling is seeded.
The engine's generator is tested in tests/serve/engine/test_generator.py."""

import pytest


@pytest.mark.slow
def test_hf_batched_matches_single_and_sampling_is_seeded(hf_generator):
    conversations = [[{"role": "user", "content": "What is the capital of France?"}],
                     [{"role": "system", "content": "Answer in one word."},
                      {"role": "user", "content": "Name a primary color, please, any one."}]]
    batched = hf_generator.chat(conversations, max_tokens=12)
    single = [hf_generator.chat([c], max_tokens=12)[0] for c in conversations]
    assert batched == single
    assert "Paris" in batched[0][0]
    a = hf_generator.chat(conversations[:1], n=2, temperature=1.0, max_tokens=8, seed=3)
    b = hf_generator.chat(conversations[:1], n=2, temperature=1.0, max_tokens=8, seed=3)
    assert a == b and len(a[0]) == 2
