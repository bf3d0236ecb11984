"""The Hypothesis strategies of the Lab 5 grader: reward tables, counts for pass@k, batches of
responses with garbage on their padding, and logits for the entropy functions."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder import strategies as gen
from autograder.labs.lab5_grpo.lab import AGGREGATIONS, CLIP_EPSILONS, CLIP_RANGES, METHODS


@st.composite
def reward_tables(draw, max_prompts: int = 4, max_group: int = 6, equal_row: bool = True):
    """Rewards (P, G): binary, with a format bonus (0, 0.5, 1) or continuous; maybe an all-equal row."""
    p = draw(st.integers(1, max_prompts), label="P")
    g = draw(st.integers(2, max_group), label="G")
    kind = draw(st.sampled_from(["binary", "bonus", "continuous"]), label="kind")
    if kind == "continuous":
        rewards = draw(gen.arrays((p, g), -5.0, 5.0))
    else:
        levels = [0.0, 1.0] if kind == "binary" else [0.0, 0.5, 1.0]
        rewards = draw(gen.array_of(np.float64, (p, g), st.sampled_from(levels)))
    if equal_row and draw(st.booleans(), label="an all-equal row"):
        rewards[draw(st.integers(0, p - 1))] = draw(st.sampled_from([0.0, 1.0, 0.1, 0.7]))
    return rewards


@st.composite
def small_counts(draw, max_n: int = 30):
    """`(n, c, k)` with n <= max_n."""
    n = draw(st.integers(1, max_n), label="n")
    return n, draw(st.integers(0, n), label="c"), draw(st.integers(1, n), label="k")


@st.composite
def large_counts(draw):
    """`(n, c, k)` with n up to 1e6 and min(c, k) <= 40, so that the exact value is cheap."""
    n = draw(st.integers(100_000, 1_000_000), label="n")
    small = draw(st.integers(0, 40), label="the smaller of c and k")
    large = draw(st.integers(1, n // 2), label="the larger")
    c, k = (small, max(large, 1)) if draw(st.booleans(), label="c is the smaller") else (large, max(small, 1))
    return n, c, k


@st.composite
def response_batches(draw, equal_lengths: bool = False, full: bool = False, log_ratio: float = 1.0):
    """`(logp_new, logp_old, advantages, mask, clip_eps, aggregation)` with garbage on the padding."""
    b = draw(st.integers(1, 4), label="B")
    t = draw(st.integers(1, 5), label="T")
    if full:
        lengths = np.full(b, t)
    elif equal_lengths:
        lengths = np.full(b, draw(st.integers(1, t), label="length"))
    else:
        lengths = np.array([draw(st.integers(1, t), label="length") for _ in range(b)])
    mask = np.arange(t)[None, :] < lengths[:, None]
    old = draw(gen.arrays((b, t), -5.0, 0.0))
    new = old + draw(gen.arrays((b, t), -log_ratio, log_ratio))
    padding = draw(gen.arrays((b, t), -50.0, 50.0))
    new, old = np.where(mask, new, padding), np.where(mask, old, -padding)
    advantages = draw(gen.arrays(b, -2.0, 2.0))
    return (
        new,
        old,
        advantages,
        mask,
        draw(st.sampled_from(CLIP_EPSILONS)),
        draw(st.sampled_from(AGGREGATIONS)),
    )


def case(logp_new, logp_old, advantages, mask, aggregation: str, clip_eps: float = 0.2) -> tuple:
    """An explicit `(logp_new, logp_old, advantages, mask, clip_eps, aggregation)`, written as lists."""
    arrays = (np.array(v, dtype=np.float64) for v in (logp_new, logp_old, advantages))
    return (*arrays, np.array(mask, dtype=bool), clip_eps, aggregation)


TWO_RESPONSES = (
    [[0.5, -0.3, 9.0], [0.0, 0.0, 0.0]],
    [[0.0, 0.0, 4.0], [0.1, -0.2, 0.3]],
    [1.0, -0.5],
    [[True, True, False], [True, True, True]],
)
"""Two responses, of lengths 2 and 3: lengths that tell the aggregations apart, with a large
log-prob on the padding (`case(*TWO_RESPONSES, aggregation)`)."""


@st.composite
def ratio_batches(draw, methods=METHODS, one_token: bool = False, log_ratio: float = 1.0):
    """`(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)`, garbage on the padding.

    With `one_token`, every response is the first token of its row (the rest is padding).
    """
    new, old, advantages, mask, _, _ = draw(response_batches(log_ratio=log_ratio))
    if one_token:
        mask = np.zeros_like(mask)
        mask[:, 0] = True
    method = draw(st.sampled_from(methods), label="method")
    clip_low, clip_high = draw(st.sampled_from(CLIP_RANGES), label="(clip_low, clip_high)")
    return new, old, advantages, mask, method, clip_low, clip_high


def ratio_case(logp_new, logp_old, advantages, mask, method: str, clip_low=0.2, clip_high=0.28) -> tuple:
    """An explicit `(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)`, from lists."""
    arrays = (np.array(v, dtype=np.float64) for v in (logp_new, logp_old, advantages))
    return (*arrays, np.array(mask, dtype=bool), method, clip_low, clip_high)


def away_from_bounds(batch):
    """The ratio batch with every ratio that meets a clip bound ('ppo': each token's, 'gspo': each
    response's s_b) moved off it, so that finite differences do not straddle a kink."""
    new, old, advantages, mask, method, clip_low, clip_high = batch
    margin = 0.1 * min(clip_low, clip_high)
    log_ratio = np.where(mask, new - old, 0.0)
    if method == "gspo":
        log_ratio = np.broadcast_to(
            log_ratio.sum(axis=1, keepdims=True) / mask.sum(axis=1, keepdims=True), mask.shape
        )
    near = np.zeros(mask.shape, dtype=bool)
    for bound in (np.log1p(-clip_low), np.log1p(clip_high)):
        near |= np.abs(log_ratio - bound) < margin
    if method == "gspo":
        near = mask & near.any(axis=1, keepdims=True)
    return np.where(mask & near, new + 3 * margin, new), old, advantages, mask, method, clip_low, clip_high


@st.composite
def logit_batches(draw, scale: float = 5.0):
    """`(logits, mask)`: logits (B, T, V) in [-scale, scale], a mask with a True in some row."""
    b = draw(st.integers(1, 3), label="B")
    t = draw(st.integers(1, 4), label="T")
    v = draw(st.integers(2, 6), label="V")
    logits = draw(gen.arrays((b, t, v), -scale, scale))
    mask = draw(gen.array_of(np.bool_, (b, t), st.booleans()))
    mask[draw(st.integers(0, b - 1), label="a row with a token"), 0] = True
    return logits, mask


@st.composite
def policies(draw, scale: float = 4.0):
    """`(logits, advantages, lr)` for a softmax policy over K actions."""
    k = draw(st.integers(2, 6), label="K")
    logits = draw(gen.arrays(k, -scale, scale))
    advantages = draw(gen.arrays(k, -2.0, 2.0))
    return logits, advantages, draw(st.sampled_from([0.1, 1.0, 0.01]), label="lr")
