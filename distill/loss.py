"""Generalized Jensen-Shannon divergence between teacher and student next-token distributions,
the per-token loss of on-policy self-distillation. Pure torch, no model code.

beta = 0 is forward KL(teacher || student), beta = 1 reverse KL(student || teacher).
`generalized_jsd` takes the teacher's logits; `jsd_on_top_k` takes a teacher target kept as its
top-k ids and log-probabilities (`TopK`, from `teacher_top_k`), so a target computed once can be
reused every pass without running the teacher again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class TopK:
    """A teacher's next-token distributions at N completion tokens, in the order a mask's 1s are
    read (row by row): its k most likely ids [N, k] and their log-probabilities followed by one
    bucket holding the rest of the mass [N, k + 1]."""

    ids: torch.Tensor
    log_probs: torch.Tensor

    def split(self, lengths: list[int]) -> list[TopK]:
        """One TopK per row of a batch whose rows have `lengths` completion tokens."""
        return [TopK(i, p) for i, p in zip(self.ids.split(lengths), self.log_probs.split(lengths),
                                           strict=True)]

    @staticmethod
    def cat(parts: list[TopK]) -> TopK:
        return TopK(torch.cat([p.ids for p in parts]), torch.cat([p.log_probs for p in parts]))


def teacher_top_k(teacher_logits: torch.Tensor, mask: torch.Tensor, k: int) -> TopK:
    """The teacher's top-k target at each masked position of logits [batch, seq, vocab]."""
    log_p = torch.log_softmax(teacher_logits.detach()[mask.bool()].float(), dim=-1)
    ids = log_p.topk(min(k, log_p.shape[-1]), dim=-1).indices
    return TopK(ids, _on_ids_with_rest(log_p, ids))


def generalized_jsd(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    mask: torch.Tensor,
    beta: float = 0.0,
    top_k: int | None = None,
    clip: float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss averaged over masked tokens, and the per-token loss [batch, seq] (0 where unmasked).

    Logits are [batch, seq, vocab], aligned so position t of both predicts the same token; mask
    is [batch, seq] with 1 on completion tokens to train on. With P = teacher, Q = student and
    M = beta*P + (1-beta)*Q:

      beta == 0:      KL(P || Q)                     (forward: mass-covering)
      0 < beta < 1:   [beta*KL(P||M) + (1-beta)*KL(Q||M)] / (beta*(1-beta))
      beta == 1:      KL(Q || P)                     (reverse: mode-seeking)

    The middle form is divided by beta*(1-beta) so it is continuous in beta and tends to the two
    KLs at the ends; TRL's GKD uses the undivided form, whose value vanishes as beta nears 0 or 1
    (so a small beta there would silently mean a tiny learning rate).

    top_k keeps the teacher's k most likely ids per position plus one "rest" bucket holding each
    distribution's remaining mass, so both stay proper distributions and the divergence stays
    >= 0. clip caps each token's loss (its gradient is zero above the cap), so a few tokens the
    student finds surprising cannot dominate a batch. The teacher is detached.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be within [0, 1], got {beta}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"logit shapes differ: {tuple(student_logits.shape)} "
                         f"vs {tuple(teacher_logits.shape)}")
    if mask.shape != student_logits.shape[:2]:
        raise ValueError(f"mask shape {tuple(mask.shape)} is not [batch, seq] of the logits")
    keep = mask.bool()
    # Only masked positions are computed at all: unmasked ones get no value and no gradient,
    # whatever their logits hold (even inf/nan), and memory scales with completion tokens only.
    # At least float32, so bfloat16 logits from the model do not lose the small KL values.
    dtype = torch.promote_types(student_logits.dtype, torch.float32)
    log_q = torch.log_softmax(student_logits[keep].to(dtype), dim=-1)
    log_p = torch.log_softmax(teacher_logits.detach()[keep].to(dtype), dim=-1)
    if top_k is not None and top_k < log_p.shape[-1]:
        ids = log_p.topk(top_k, dim=-1).indices
        log_p, log_q = _on_ids_with_rest(log_p, ids), _on_ids_with_rest(log_q, ids)
    return _divergence(log_p, log_q, keep, beta, clip)


def jsd_on_top_k(student_logits: torch.Tensor, target: TopK, mask: torch.Tensor,
                 beta: float = 0.0, clip: float | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """`generalized_jsd` with top-k against a teacher target kept from an earlier pass: the same
    values as with the teacher's logits, without the teacher's forward pass."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be within [0, 1], got {beta}")
    if mask.shape != student_logits.shape[:2]:
        raise ValueError(f"mask shape {tuple(mask.shape)} is not [batch, seq] of the logits")
    keep = mask.bool()
    if target.ids.shape[0] != int(keep.sum()):
        raise ValueError(f"the target covers {target.ids.shape[0]} tokens, the mask "
                         f"{int(keep.sum())}")
    dtype = torch.promote_types(student_logits.dtype, torch.float32)
    log_q = torch.log_softmax(student_logits[keep].to(dtype), dim=-1)
    ids = target.ids.to(log_q.device)
    log_p = target.log_probs.to(device=log_q.device, dtype=dtype)
    return _divergence(log_p, _on_ids_with_rest(log_q, ids), keep, beta, clip)


def _divergence(log_p: torch.Tensor, log_q: torch.Tensor, keep: torch.Tensor, beta: float,
                clip: float | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean loss over kept tokens and the per-token loss laid out like `keep`."""
    if beta == 0.0:
        values = _kl(log_p, log_q)
    elif beta == 1.0:
        values = _kl(log_q, log_p)
    else:
        log_m = torch.logsumexp(
            torch.stack([log_p + math.log(beta), log_q + math.log1p(-beta)]), dim=0)
        values = (beta * _kl(log_p, log_m) + (1 - beta) * _kl(log_q, log_m)) / (beta * (1 - beta))
    # Rounding can leave tiny negatives where the distributions agree; the divergence is >= 0.
    values = values.clamp(min=0.0)
    if clip is not None:
        values = values.clamp(max=clip)

    per_token = torch.zeros(keep.shape, dtype=values.dtype, device=values.device)
    per_token = per_token.masked_scatter(keep, values)
    loss = values.sum() / keep.sum().clamp(min=1)
    return loss, per_token


def _kl(log_a: torch.Tensor, log_b: torch.Tensor) -> torch.Tensor:
    """KL(A || B) over the last dim from log-probabilities (finite, so 0 * finite = 0)."""
    return (log_a.exp() * (log_a - log_b)).sum(dim=-1)


def _on_ids_with_rest(logs: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """A distribution [N, vocab] on `ids` [N, k] plus one bucket for the rest, in log space."""
    # logsumexp over the ids outside the top-k rather than log(1 - sum(top-k)): exact, and
    # never log(0) or log(negative) when the top-k mass rounds to 1.
    rest = torch.logsumexp(logs.scatter(-1, ids, float("-inf")), dim=-1, keepdim=True)
    return torch.cat([logs.gather(-1, ids), rest], dim=-1)
