"""The generalized JSD loss: its end points are the two KLs, it is continuous in beta, and only
masked completion tokens count; a top-k teacher target kept from an earlier pass gives the same
loss and gradients as the teacher's logits."""

import pytest
import torch

from distill.loss import TopK, generalized_jsd, jsd_on_top_k, teacher_top_k

BETAS = [0.0, 0.1, 0.5, 0.9, 1.0]


def logits(*shape, seed=0, scale=3.0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype) * scale


def kl_by_hand(p_logits, q_logits):
    """KL(P || Q) per position, straight from the definition with softmax probabilities."""
    p, q = p_logits.softmax(-1), q_logits.softmax(-1)
    return (p * (p.log() - q.log())).sum(-1)


@pytest.fixture
def pair():
    return logits(2, 5, 11, seed=1), logits(2, 5, 11, seed=2), torch.ones(2, 5)


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("top_k", [None, 3])
def test_identical_distributions_give_zero(beta, top_k):
    s = logits(2, 4, 11)
    loss, per_token = generalized_jsd(s, s.clone(), torch.ones(2, 4), beta, top_k=top_k)
    assert loss.item() == pytest.approx(0.0, abs=1e-9)
    assert per_token.abs().max().item() < 1e-9


def test_beta_zero_is_forward_kl_and_beta_one_is_reverse_kl(pair):
    s, t, mask = pair
    forward, per_token = generalized_jsd(s, t, mask, beta=0.0)
    torch.testing.assert_close(per_token, kl_by_hand(t, s))
    torch.testing.assert_close(forward, kl_by_hand(t, s).mean())
    reverse, _ = generalized_jsd(s, t, mask, beta=1.0)
    torch.testing.assert_close(reverse, kl_by_hand(s, t).mean())
    assert abs(forward.item() - reverse.item()) > 1e-3  # the two ends really differ here


def test_continuous_in_beta_at_both_ends():
    # LM-like differences; the limit is not uniform: it needs beta << Q/P where Q is tiny and P
    # is not, so wildly different distributions converge at smaller beta.
    s, t = logits(2, 5, 11, seed=1, scale=1.0), logits(2, 5, 11, seed=2, scale=1.0)
    mask = torch.ones(2, 5)
    forward = kl_by_hand(t, s).mean()
    reverse = kl_by_hand(s, t).mean()
    near_zero, _ = generalized_jsd(s, t, mask, beta=1e-4)
    near_one, _ = generalized_jsd(s, t, mask, beta=1 - 1e-4)
    torch.testing.assert_close(near_zero, forward, rtol=1e-3, atol=0)
    torch.testing.assert_close(near_one, reverse, rtol=1e-3, atol=0)
    middle, _ = generalized_jsd(s, t, mask, beta=0.5)
    assert 0 < middle.item() < max(forward.item(), reverse.item())


def test_masked_positions_change_neither_loss_nor_gradient():
    s, t = logits(2, 6, 11, seed=3), logits(2, 6, 11, seed=4)
    mask = torch.tensor([[0, 0, 1, 1, 1, 0], [0, 1, 1, 0, 0, 0]])
    s2, t2 = s.clone(), t.clone()
    s2[mask == 0] = logits(int((mask == 0).sum()), 11, seed=5) * 10
    t2[mask == 0] = float("-inf")  # even garbage in padding must not leak in
    results = []
    for student, teacher in ((s, t), (s2, t2)):
        student = student.clone().requires_grad_(True)
        loss, per_token = generalized_jsd(student, teacher, mask, beta=0.3)
        loss.backward()
        results.append((loss, per_token, student.grad))
    (l1, p1, g1), (l2, p2, g2) = results
    torch.testing.assert_close(l1, l2)
    torch.testing.assert_close(g1, g2)
    assert g1[mask == 0].abs().max().item() == 0.0
    assert p1[mask == 0].abs().max().item() == 0.0
    # The loss is the mean over the 5 masked tokens, not over all 12 positions.
    torch.testing.assert_close(l1, p1.sum() / 5)


@pytest.mark.parametrize("beta", BETAS)
def test_top_k_keeps_proper_distributions(pair, beta):
    s, t, mask = pair
    full, _ = generalized_jsd(s, t, mask, beta)
    whole_vocab, _ = generalized_jsd(s, t, mask, beta, top_k=11)
    # With k = vocab - 1 the rest bucket is exactly the one left-out token: nothing is lost.
    all_but_one, _ = generalized_jsd(s, t, mask, beta, top_k=10)
    torch.testing.assert_close(whole_vocab, full)
    torch.testing.assert_close(all_but_one, full)
    # Merging tokens into a bucket can only lose information: 0 <= top-k <= full.
    coarse, per_token = generalized_jsd(s, t, mask, beta, top_k=2)
    assert 0 < coarse.item() < full.item()
    assert per_token.min().item() >= 0


def test_top_k_buckets_the_tokens_outside_the_teachers_top_k():
    t = torch.tensor([[[5.0, 4.0, 0.0, 1.0, 0.0]]], dtype=torch.float64)
    s_a = torch.tensor([[[3.0, 4.0, 2.0, -1.0, 0.5]]], dtype=torch.float64)
    s_b = torch.tensor([[[3.0, 4.0, 0.5, 2.0, -1.0]]], dtype=torch.float64)  # rest permuted
    mask = torch.ones(1, 1)
    a, _ = generalized_jsd(s_a, t, mask, top_k=2)
    b, _ = generalized_jsd(s_b, t, mask, top_k=2)
    torch.testing.assert_close(a, b)  # same mass outside the teacher's top-2: same loss
    full_a, _ = generalized_jsd(s_a, t, mask)
    full_b, _ = generalized_jsd(s_b, t, mask)
    assert full_a.item() != pytest.approx(full_b.item())
    p, q = t.softmax(-1)[0, 0], s_a.softmax(-1)[0, 0]
    p3 = torch.stack([p[0], p[1], p[2:].sum()])
    q3 = torch.stack([q[0], q[1], q[2:].sum()])
    torch.testing.assert_close(a, (p3 * (p3.log() - q3.log())).sum())


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0])
def test_clip_caps_each_token(pair, beta):
    s, t, mask = pair
    _, raw = generalized_jsd(s, t, mask, beta)
    cap = raw.median().item()
    student = s.clone().requires_grad_(True)
    loss, clipped = generalized_jsd(student, t, mask, beta, clip=cap)
    assert clipped.max().item() <= cap + 1e-12
    torch.testing.assert_close(clipped, raw.clamp(max=cap))
    assert loss.item() < raw.mean().item()
    loss.backward()
    above = raw > cap
    assert above.any() and student.grad[above].abs().max().item() == 0.0
    assert student.grad[~above].abs().max().item() > 0.0


def test_teacher_gets_no_gradient(pair):
    s, t, mask = pair
    student, teacher = s.clone().requires_grad_(True), t.clone().requires_grad_(True)
    loss, _ = generalized_jsd(student, teacher, mask, beta=0.5)
    loss.backward()
    assert teacher.grad is None
    assert student.grad is not None and student.grad.abs().sum().item() > 0


@pytest.mark.parametrize("beta", BETAS)
def test_non_negative_on_many_random_pairs(beta):
    for seed in range(5):
        s, t = logits(3, 4, 50, seed=seed), logits(3, 4, 50, seed=100 + seed)
        _, per_token = generalized_jsd(s, t, torch.ones(3, 4), beta)
        assert per_token.min().item() >= 0
        assert per_token.max().item() > 0


def test_bfloat16_logits_are_computed_in_float32(pair):
    s, t, mask = pair
    loss, per_token = generalized_jsd(s.bfloat16(), t.bfloat16(), mask, beta=0.0)
    assert loss.dtype == torch.float32 and per_token.dtype == torch.float32
    reference = kl_by_hand(t.bfloat16().double(), s.bfloat16().double()).mean()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-4)


def test_bad_beta_and_shapes_are_rejected(pair):
    s, t, mask = pair
    with pytest.raises(ValueError, match="beta"):
        generalized_jsd(s, t, mask, beta=1.5)
    with pytest.raises(ValueError, match="shape"):
        generalized_jsd(s, t[:, :4], mask)
    with pytest.raises(ValueError, match="mask"):
        generalized_jsd(s, t, mask[:, :4])


@pytest.mark.parametrize("beta", BETAS)
def test_a_kept_top_k_target_gives_the_same_loss_and_gradient_as_the_teachers_logits(beta):
    """What the trainer caches: the teacher's top-k at each masked token, split per row and put
    back together in another batch's order, scores the student exactly as the logits do."""
    s, t = logits(3, 4, 11, seed=5), logits(3, 4, 11, seed=6)
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    student = s.clone().requires_grad_(True)
    want, want_tokens = generalized_jsd(student, t, mask, beta, top_k=3, clip=4.0)
    want.backward()
    want_grad = student.grad.clone()
    rows = teacher_top_k(t, mask, 3).split([3, 2, 4])
    assert [r.ids.shape for r in rows] == [(3, 3), (2, 3), (4, 3)]
    assert all(r.log_probs.shape[-1] == 4 for r in rows)
    student.grad = None
    got, got_tokens = jsd_on_top_k(student, TopK.cat(rows), mask, beta, clip=4.0)
    got.backward()
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_tokens, want_tokens)
    torch.testing.assert_close(student.grad, want_grad)
    # The kept log-probabilities are a whole distribution: the top-k and the rest sum to 1.
    torch.testing.assert_close(rows[0].log_probs.exp().sum(-1), torch.ones(3, dtype=torch.float32))


def test_a_target_for_other_tokens_is_refused():
    s, t, mask = logits(1, 4, 11, seed=7), logits(1, 4, 11, seed=8), torch.ones(1, 4)
    target = teacher_top_k(t, torch.tensor([[1, 1, 1, 0]]), 3)
    with pytest.raises(ValueError, match="covers 3 tokens"):
        jsd_on_top_k(s, target, mask)
    with pytest.raises(ValueError, match="beta"):
        jsd_on_top_k(s, teacher_top_k(t, mask, 3), mask, beta=2.0)
