"""Lab 6, `rejection_sampling_gradient`: the reference, the expectation over every n-tuple of
samples (`pi - pi_acc`, and `-(1/p)` times the gradient of the pass rate, by finite differences),
stability at ±1e3 logits, and the contract's errors."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab6_reasoning.lab import SECONDARY, ref, rejection_sampling_gradient
from autograder.labs.lab6_reasoning.strategies import rft_batches
from autograder.numerics import log_softmax, numerical_gradient

rejection_sampling_gradient.matches_reference(
    "matches the reference on random samples and verdicts",
    3,
    rft_batches(),
    examples=[
        (np.array([0.0, 1.0, -1.0]), np.array([0, 1, 0, 2]), np.array([1.0, 0.0, 1.0, 0.0])),
        (np.array([2.0, 0.0]), np.array([1, 1, 0]), np.array([1.0, 1.0, 0.0])),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the gradient",
    hint="softmax(logits) minus the mean of the one-hot vectors of the kept samples (reward 1)",
)


@st.composite
def enumerable_policies(draw):
    """`(logits (K,), correct (K,) of 0/1 with a 1, n)` with K**n <= 64, for enumerating every n-tuple."""
    k = draw(st.integers(2, 4), label="K")
    n = draw(st.integers(1, {2: 5, 3: 3, 4: 3}[k]), label="n")
    logits = draw(gen.arrays(k, -2.0, 2.0))
    correct = draw(gen.array_of(np.float64, k, st.sampled_from([0.0, 1.0])))
    correct[draw(st.integers(0, k - 1), label="a correct answer")] = 1.0
    return logits, correct, n


def _expected_rft_gradient(f, logits: np.ndarray, correct: np.ndarray, n: int) -> np.ndarray:
    """The learner's gradient averaged over every n-tuple of samples that keeps one, weighted by its
    probability under softmax(logits) (the learner's values, checked first)."""
    pi = np.exp(log_softmax(logits))
    total, mass = np.zeros(logits.size), 0.0
    for samples in itertools.product(range(logits.size), repeat=n):
        rewards = correct[list(samples)]
        if not rewards.any():
            continue
        got = checks.as_array(
            f(logits, np.array(samples), rewards), logits.shape, f"the gradient for samples {list(samples)}"
        )
        weight = float(np.prod(pi[list(samples)]))
        total, mass = total + weight * got, mass + weight
    return total / mass


@rejection_sampling_gradient.holds(
    "its expectation over every n-tuple of samples is pi - pi_acc (pi restricted to the correct answers)",
    points=2,
    max_examples=SECONDARY,
)
@given(policy=enumerable_policies())
@example(policy=(np.array([1.0, 0.0, -1.0]), np.array([0.0, 1.0, 1.0]), 2))
def rft_expectation_is_pi_minus_pi_accepted(f, policy):
    logits, correct, n = policy
    pi = np.exp(log_softmax(logits))
    accepted = pi * correct / np.sum(pi * correct)
    checks.close(
        _expected_rft_gradient(f, logits, correct, n),
        pi - accepted,
        rtol=1e-9,
        atol=1e-12,
        what=f"the gradient's mean over every {n}-tuple of samples that keeps one (weighted by its "
        "probability)",
        hint="given how many samples are kept, each kept sample is distributed as pi restricted to the "
        "correct answers, so the mean of their one-hot vectors must average to pi_acc: average over the "
        "kept samples only, each counted as often as it was drawn",
    )


@rejection_sampling_gradient.holds(
    "its expectation is -(1/p) times the gradient of the pass rate p (finite differences)",
    points=2,
    max_examples=SECONDARY,
)
@given(policy=enumerable_policies())
@example(policy=(np.array([0.5, -0.5]), np.array([1.0, 0.0]), 3))
def rft_expectation_is_scaled_policy_gradient(f, policy):
    logits, correct, n = policy
    pass_rate = float(np.sum(np.exp(log_softmax(logits)) * correct))
    grad_pass_rate = numerical_gradient(lambda z: float(np.sum(np.exp(log_softmax(z)) * correct)), logits)
    checks.close(
        _expected_rft_gradient(f, logits, correct, n),
        -grad_pass_rate / pass_rate,
        rtol=1e-6,
        atol=1e-8,
        what=f"the gradient's expectation (every {n}-tuple that keeps a sample)",
        expected_from=f"-(1/p) d p / d logits, p = {pass_rate:.4g}",
        hint="RFT is policy gradient on the pass rate divided by p: a descent step (logits - lr * grad) "
        "must raise p, and the mean is over the kept samples only",
    )


@rejection_sampling_gradient.holds(
    "finite, no warning and right for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(batch=rft_batches(max_answers=4), scale=st.sampled_from([1e3, -1e3]))
@example(batch=(np.array([1.0, -1.0, 0.0]), np.array([0, 2]), np.array([0.0, 1.0])), scale=1e3)
def rft_gradient_is_stable(f, batch, scale):
    logits, samples, rewards = batch
    big = np.where(np.arange(logits.size) % 2 == 0, scale, -scale) + logits
    outcome = f.attempt(big, samples, rewards)
    got = f.result(outcome)
    hint = "subtract the maximum logit before np.exp: exp(1000) overflows to inf and inf / inf is nan"
    checks.finite(got, what=f"the gradient at logits {big.tolist()}", hint=hint)
    checks.no_warnings(outcome, hint=hint)
    checks.close(
        got,
        ref.rejection_sampling_gradient(big, samples, rewards),
        rtol=1e-9,
        atol=1e-12,
        what=f"the gradient at logits {big.tolist()}",
        hint=hint,
    )


rejection_sampling_gradient.rejects(
    [
        Invalid("samples and rewards differ in length", ("samples", "rewards"), ([0.0, 0.0], [0, 1], [1])),
        Invalid("n = 0", ("samples", "rewards"), ([0.0, 0.0], np.array([], dtype=int), np.array([]))),
        Invalid("a sample is K", "samples", ([0.0, 0.0], [0, 2], [1, 1])),
        Invalid("a sample is -1", "samples", ([0.0, 0.0], [0, -1], [1, 1])),
        Invalid("a reward is 0.5", "rewards", ([0.0, 0.0], [0, 1], [1.0, 0.5])),
        Invalid("no sample is kept", "rewards", ([0.0, 0.0], [0, 1], [0, 0])),
    ],
    description="raises ValueError for lengths that differ, n = 0, a sample outside [0, K), a reward "
    "other than 0 or 1, and no sample kept",
)
