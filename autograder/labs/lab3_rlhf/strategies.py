"""Hypothesis strategies for Lab 3's inputs: policies, distributions, samples, log-ratios."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder import strategies as gen


@st.composite
def policy_cases(
    draw,
    min_k: int = 1,
    max_k: int = 6,
    scale: float = 5.0,
    low_beta: float = 0.0,
    high_beta: float = 5.0,
    extreme: bool = False,
):
    """`(logits, ref_logits, rewards, beta)` for a policy over K responses; with `extreme`, the
    first logit is `scale` and the last reference logit `-scale`, so that every example (a shrunk
    one too) holds the extreme values a stability property is named for."""
    k = draw(st.integers(min_k, max_k))
    logits, ref_logits, rewards = (draw(gen.arrays(k, -scale, scale)) for _ in range(3))
    if extreme:
        logits[0], ref_logits[-1] = scale, -scale
    return logits, ref_logits, rewards, draw(gen.floats(low_beta, high_beta))


@st.composite
def distributions(draw, size: int, zeros: bool = True) -> np.ndarray:
    """A probability vector of length `size`, with some zero entries when `zeros`."""
    z = draw(gen.arrays(size, -5.0, 5.0))
    if zeros:
        keep = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        keep[draw(st.integers(0, size - 1))] = True
        z = np.where(keep, z, -np.inf)
    weights = np.exp(z - z.max())
    return weights / weights.sum()


@st.composite
def distribution_pairs(draw, zeros: bool = True, min_k: int = 1):
    """`(p, q)` of one length; with `zeros`, some entries of either may be 0 (KL may be inf)."""
    k = draw(st.integers(min_k, 6))
    return draw(distributions(k, zeros)), draw(distributions(k, zeros))


@st.composite
def capability_cases(draw):
    """`(capabilities, reward_weights, step_size, kl_penalty, cap)`, the weights' keys reordered."""
    names = draw(
        st.lists(
            st.sampled_from(["Helpfulness", "Clarity", "Safety", "Refusal Robustness", "Tone"]),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    cap = draw(st.sampled_from([100.0, 60.0, 10.0]))
    capabilities = {k: draw(gen.floats(0.0, cap)) for k in names}
    order = draw(st.permutations(names))
    weights = {k: draw(gen.floats(-1.0, 1.0)) for k in order}
    step_size = draw(st.sampled_from([0.0, 1.0, 5.0, 20.0]) | gen.floats(0.0, 50.0))
    kl_penalty = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]) | gen.floats(0.0, 1.0))
    return capabilities, weights, step_size, kl_penalty, cap


@st.composite
def reinforce_cases(draw):
    """`(logits, ref_logits, samples, sample_rewards, beta)` with 2 to 8 samples (repeats likely)."""
    logits, ref_logits, _, beta = draw(policy_cases())
    n = draw(st.integers(2, 8))
    samples = np.array(
        draw(st.lists(st.integers(0, logits.size - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    return logits, ref_logits, samples, draw(gen.arrays(n, -5.0, 5.0)), beta


@st.composite
def ppo_cases(draw, low: float = -2.0, high: float = 2.0):
    """`(logp_new, logp_old, advantages, clip_eps)` with log-ratios in [low, high]."""
    n = draw(st.integers(1, 6))
    logp_old = draw(gen.arrays(n, -10.0, 0.0))
    log_ratio = draw(gen.arrays(n, low, high))
    clip_eps = draw(st.sampled_from([0.1, 0.2, 0.3]) | gen.floats(0.01, 0.99))
    return logp_old + log_ratio, logp_old, draw(gen.arrays(n, -5.0, 5.0)), clip_eps


@st.composite
def log_probability_pairs(draw, low: float = -10.0):
    """`(logp, logp_ref)` of one shape (up to 2-D), entries in [low, 0]."""
    shape = draw(gen.shapes(max_dims=2, max_side=5))
    return draw(gen.arrays(shape, low, 0.0)), draw(gen.arrays(shape, low, 0.0))


ESTIMATORS = st.sampled_from(["k1", "k2", "k3"])


@st.composite
def best_of_n_cases(draw, max_k: int = 6, scale: float = 5.0, max_n: int = 64):
    """`(ref_logits, rewards, n)` with rewards on a few levels, so that ties are common."""
    k = draw(st.integers(1, max_k))
    ref_logits = draw(gen.arrays(k, -scale, scale))
    rewards = np.array(draw(st.lists(st.integers(-2, 2), min_size=k, max_size=k)), dtype=np.float64)
    return ref_logits, rewards, draw(st.integers(1, max_n))
