"""Lab 1, `masked_mean_nll` and its gradient: the per-token mean over the mask."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab1_sft.lab import (
    masked_mean_nll,
    masked_mean_nll_grad,
    ref,
)
from autograder.numerics import numerical_gradient

masked_mean_nll.matches_reference(
    "matches the reference on random batches",
    2,
    gen.logits_targets_mask(),
)


@masked_mean_nll.holds("averages per token: flattening the rows changes nothing", points=1)
@given(batch=gen.logits_targets_mask())
@example(
    batch=(
        np.array([[[0.0, 2.0], [1.0, 0.0]], [[0.0, 0.0], [3.0, 0.0]]]),  # rows of 2 and 1 tokens
        np.array([[1, 1], [0, 1]]),
        np.array([[True, True], [False, True]]),
    )
)
def nll_is_mean_per_token(f, batch):
    logits, targets, mask = batch
    vocab = logits.shape[-1]
    rows = f(logits, targets, mask)
    flat = f(logits.reshape(-1, vocab), targets.reshape(-1), mask.reshape(-1))
    checks.close(
        rows,
        flat,
        rtol=1e-9,
        what="the loss of the batch compared with the loss of its flattened tokens",
        got_from="the batch (B, T)",
        expected_from="its tokens flattened to one row",
        relation="the two equal: the mean is per token, so the batch's layout does not matter",
    )
    checks.close(rows, ref.masked_mean_nll(logits, targets, mask), rtol=1e-9, what="the loss of the batch")


@masked_mean_nll.holds("ignores every position where mask is False", points=1)
@given(batch=gen.logits_targets_mask(), noise=gen.arrays(1, -50.0, 50.0))
def nll_ignores_masked_out_positions(f, batch, noise):
    logits, targets, mask = batch
    changed = logits.copy()
    changed[~mask] += noise[0] * np.arange(1, logits.shape[-1] + 1)
    changed_targets = np.where(mask, targets, (targets + 1) % logits.shape[-1])
    original = f(logits, targets, mask)
    checks.close(
        f(changed, changed_targets, mask),
        original,
        rtol=1e-9,
        what="the loss after changing masked-out positions",
        got_from="masked-out logits and targets changed",
        expected_from="the original batch",
        relation="the two equal: masked-out positions do not count",
    )
    checks.close(original, ref.masked_mean_nll(logits, targets, mask), rtol=1e-9, what="the loss")


@masked_mean_nll.holds("keeps its precision (rtol 1e-9) with no warning for logits up to ±1e6", points=1)
@given(batch=gen.logits_targets_mask(scale=1e6))
@example(batch=(np.array([[1e6, 0.0]]), np.array([1]), np.array([True])))  # p(target) = exp(-1e6) = 0.0
def nll_precise_for_large_logits(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.masked_mean_nll(*batch), rtol=1e-9, atol=1e-6)


NLL_ERRORS = [
    Invalid(
        "targets has 3 positions but logits 2",
        ("targets", "shape", "logits"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), np.array([True, True, True])),
    ),
    Invalid("a target equals V", "target", (np.zeros((2, 3)), np.array([0, 3]), np.array([True, True]))),
    Invalid("a target is negative", "target", (np.zeros((2, 3)), np.array([-1, 0]), np.array([True, True]))),
    Invalid("mask holds no True", "mask", (np.zeros((2, 3)), np.array([0, 1]), np.array([False, False]))),
]
masked_mean_nll.rejects(NLL_ERRORS, description="raises ValueError for bad shapes, targets and an empty mask")


masked_mean_nll_grad.matches_reference(
    "matches the reference on random batches",
    2,
    gen.logits_targets_mask(),
    atol=1e-12,
)


@masked_mean_nll_grad.holds("equals finite differences of masked_mean_nll", points=2)
@given(batch=gen.logits_targets_mask(max_vocab=4, scale=5.0))
def nll_gradient_is_finite_differences(f, batch):
    logits, targets, mask = batch
    numeric = numerical_gradient(lambda z: ref.masked_mean_nll(z, targets, mask), logits)
    checks.close(f(logits, targets, mask), numeric, rtol=1e-5, atol=1e-7, what="the gradient")


@masked_mean_nll_grad.holds("rows sum to 0 and masked-out rows are 0", points=1)
@given(batch=gen.logits_targets_mask())
def nll_gradient_rows_sum_to_zero(f, batch):
    logits, targets, mask = batch
    got = checks.as_array(f(logits, targets, mask), logits.shape, "the gradient")
    checks.close(
        got.sum(axis=-1),
        np.zeros(targets.shape),
        atol=1e-12,
        what="each row's sum",
    )
    checks.close(
        got[~mask],
        np.zeros((int((~mask).sum()), logits.shape[-1])),
        atol=0.0,
        what="the rows where mask is False",
    )
    checks.close(got, ref.masked_mean_nll_grad(logits, targets, mask), atol=1e-12, what="the gradient")


masked_mean_nll_grad.rejects(
    NLL_ERRORS, description="raises ValueError for bad shapes, targets and an empty mask"
)
