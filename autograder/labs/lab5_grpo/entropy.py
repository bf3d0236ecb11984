"""Lab 5, `token_entropy` and `entropy_change`: the reference, the closed forms (log V for uniform
logits, 0 change for a uniform policy), the entropy change against finite differences of the
entropy along the step, logits up to +-1e3, and the contract's errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab5_grpo.catalogue import ENTROPY_HINT
from autograder.labs.lab5_grpo.lab import SECONDARY, entropy_change, ref, token_entropy
from autograder.labs.lab5_grpo.strategies import logit_batches, policies
from autograder.numerics import log_softmax

EXTREME_LOGITS = np.array([[[1e3, -1e3, 0.0], [-1e3, -1e3, -1e3]], [[1e3, 1e3, -1e3], [0.0, 1.0, 2.0]]])
"""Logits of +-1e3: probabilities of exactly 0 in float64 next to a certain token."""


token_entropy.matches_reference(
    "matches the reference on random logits and masks",
    3,
    logit_batches(),
    examples=[
        (
            np.array([[[0.0, 0.0, 0.0, 0.0], [9.0, 0.0, 0.0, 0.0]], [[1.0, 2.0, 0.5, 0.0], [0.0] * 4]]),
            np.array([[True, True], [True, False]]),
        )
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the mean entropy",
    hint="H = -sum_v pi_v log pi_v per position, averaged over the positions where mask is True",
)


@token_entropy.holds(
    "is log V for uniform logits, whatever constant they hold", points=2, max_examples=SECONDARY
)
@given(
    shape=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(2, 50)),
    constant=st.sampled_from([0.0, 7.5, -300.0, 1e3]),
)
@example(shape=(1, 2, 4), constant=0.0)
def uniform_logits_have_entropy_log_v(f, shape, constant):
    logits = np.full(shape, constant)
    mask = np.ones(shape[:2], dtype=bool)
    checks.close(
        f(logits, mask),
        float(np.log(shape[2])),
        rtol=1e-9,
        atol=1e-12,
        what=f"the entropy of uniform logits over V = {shape[2]} tokens",
        expected_from=f"log({shape[2]})",
        hint="a uniform distribution over V tokens has entropy log(V) in nats",
    )


@token_entropy.holds("stays finite with no warning for logits up to +-1e3", points=1, max_examples=SECONDARY)
@given(batch=logit_batches(scale=1e3))
@example(batch=(EXTREME_LOGITS, np.array([[True, True], [True, False]])))
def token_entropy_of_extreme_logits(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.finite(got, what="the mean entropy", hint=ENTROPY_HINT)
    checks.no_warnings(outcome, hint=ENTROPY_HINT)
    checks.close(got, ref.token_entropy(*batch), rtol=1e-9, atol=1e-12, what="the mean entropy")


token_entropy.rejects(
    [
        Invalid("logits is 2-D", "logits", (np.zeros((2, 3)), np.ones(2, dtype=bool))),
        Invalid(
            "mask is (2, 3) for logits (2, 2, 4)", "mask", (np.zeros((2, 2, 4)), np.ones((2, 3), dtype=bool))
        ),
        Invalid("mask has no True", "mask", (np.zeros((2, 2, 4)), np.zeros((2, 2), dtype=bool))),
    ],
    description="raises ValueError for logits that are not 3-D, a mask of the wrong shape and an empty mask",
)


# --- entropy_change ------------------------------------------------------------------------------


def _entropy(z: np.ndarray) -> float:
    log_pi = log_softmax(z)
    return float(-np.exp(log_pi) @ log_pi)


def _step(logits: np.ndarray, advantages: np.ndarray, lr: float) -> np.ndarray:
    """delta = lr * pi * (A - E_pi[A]), the exact policy-gradient step on the logits."""
    pi = np.exp(log_softmax(logits))
    return lr * pi * (advantages - pi @ advantages)


entropy_change.matches_reference(
    "matches the reference on random policies and advantages",
    3,
    policies(),
    examples=[
        (np.array([2.0, 0.0, -1.0]), np.array([1.0, 0.0, 0.0]), 1.0),
        (np.array([2.0, 0.0, -1.0, 0.5]), np.array([1.0, -1.0, 0.5, 2.0]), 0.1),
    ],
    rtol=1e-9,
    atol=1e-14,
    what="the first-order entropy change",
    hint="grad H . delta with dH / dz_a = -pi(a) * (log pi(a) + H): minus the covariance, under a ~ pi, of log pi(a) and delta(a)",
)


@entropy_change.holds(
    "equals a finite difference of the entropy along the step", points=3, max_examples=SECONDARY
)
@given(policy=policies())
@example(policy=(np.array([2.0, 0.0, -1.0]), np.array([1.0, 0.0, 0.0]), 1.0))
def entropy_change_matches_finite_differences(f, policy):
    logits, advantages, lr = policy
    delta, h = _step(logits, advantages, lr), 1e-5
    numeric = (_entropy(logits + h * delta) - _entropy(logits - h * delta)) / (2 * h)
    checks.close(
        f(*policy),
        numeric,
        rtol=1e-5,
        atol=1e-9,
        what="the first-order entropy change",
        expected_from="(H(z + h delta) - H(z - h delta)) / 2h",
        hint="differentiate H = -sum pi log pi with respect to the logits and take the dot product "
        "with delta = lr * pi * (A - E_pi[A])",
    )


@entropy_change.holds("is linear in lr, and 0 for a uniform policy", points=2, max_examples=SECONDARY)
@given(policy=policies(), factor=st.sampled_from([2.0, 10.0, 0.5]))
@example(policy=(np.array([2.0, 0.0, -1.0]), np.array([1.0, 0.0, 0.0]), 1.0), factor=10.0)
def entropy_change_is_first_order(f, policy, factor):
    logits, advantages, lr = policy
    base = checks.as_float(f(logits, advantages, lr), "the change")
    checks.close(
        base,
        ref.entropy_change(logits, advantages, lr),
        rtol=1e-9,
        atol=1e-14,
        what=f"the change with lr = {lr:g}",
    )
    checks.close(
        f(logits, advantages, factor * lr),
        factor * base,
        rtol=1e-9,
        atol=1e-14,
        what=f"the change with lr = {factor * lr:g}",
        got_from=f"lr = {factor * lr:g}",
        expected_from=f"{factor:g} * (the change with lr = {lr:g})",
        hint="the first-order change grad H . delta is proportional to delta, hence to lr",
        relation=f"f(lr = {factor * lr:g}) == {factor:g} * f(lr = {lr:g})",
    )
    uniform = np.zeros_like(logits)
    checks.close(
        f(uniform, advantages, lr),
        0.0,
        rtol=0.0,
        atol=1e-14,
        what="the change of a uniform policy",
        hint="at a uniform policy log pi is constant, so its covariance with delta is 0",
    )


@entropy_change.holds("stays finite with no warning for logits up to +-1e3", points=1, max_examples=SECONDARY)
@given(policy=policies(scale=1e3))
@example(policy=(np.array([1e3, -1e3, 0.0]), np.array([1.0, 0.0, -1.0]), 1.0))
@example(policy=(np.array([1e3, 1e3 - 1.0, -1e3]), np.array([1.0, 0.0, -1.0]), 1.0))
def entropy_change_of_extreme_logits(f, policy):
    outcome = f.attempt(*policy)
    got = f.result(outcome)
    checks.finite(got, what="the entropy change", hint=ENTROPY_HINT)
    checks.no_warnings(outcome, hint=ENTROPY_HINT)
    checks.close(got, ref.entropy_change(*policy), rtol=1e-9, atol=1e-14, what="the entropy change")


entropy_change.rejects(
    [
        Invalid(
            "advantages has 3 entries for K = 2",
            ("advantages", "logits", "shape"),
            (np.zeros(2), np.zeros(3), 1.0),
        ),
        Invalid("lr = 0", "lr", (np.zeros(2), np.zeros(2), 0.0)),
        Invalid("lr = -1", "lr", (np.zeros(2), np.zeros(2), -1.0)),
        Invalid("a nan in logits", "logits", (np.array([0.0, np.nan]), np.zeros(2), 1.0)),
        Invalid("an inf in advantages", "advantages", (np.zeros(2), np.array([np.inf, 0.0]), 1.0)),
    ],
    description="raises ValueError for shapes that differ, lr <= 0 and a non-finite input",
)
