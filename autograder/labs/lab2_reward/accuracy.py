"""Lab 2, `pairwise_accuracy`, ties counting one half."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder.labs.lab2_reward.lab import (
    pairwise_accuracy,
    ref,
)
from autograder.labs.lab2_reward.loss import SHAPE_ERRORS

SMALL_INTEGERS = st.integers(-2, 2)


@st.composite
def _integer_comparisons(draw, max_n: int = 20, max_d: int = 4):
    """`(w, x_chosen, x_rejected)` with small integer values: scores are exact and ties frequent."""
    d = draw(st.integers(1, max_d))
    n = draw(st.integers(1, max_n))
    w, x_chosen, x_rejected = (
        draw(hnp.arrays(np.int8, shape, elements=SMALL_INTEGERS)).astype(np.float64)
        for shape in (d, (n, d), (n, d))
    )
    return w, x_chosen, x_rejected


pairwise_accuracy.matches_reference(
    "matches the reference on random weights and comparisons",
    2,
    _integer_comparisons(),
    examples=[(np.array([1.0]), np.array([[1e-17], [2.0]]), np.array([[0.0], [1.0]]))],
    rtol=0.0,
    atol=1e-12,
    what="the accuracy",
)


@pairwise_accuracy.holds("swapping chosen and rejected mirrors it: acc(w, a, b) + acc(w, b, a) = 1", points=1)
@given(case=_integer_comparisons())
def swapping_mirrors_accuracy(f, case):
    w, x_chosen, x_rejected = case
    forward = checks.as_float(f(w, x_chosen, x_rejected), "the accuracy")
    backward = checks.as_float(
        f(w, x_rejected, x_chosen), "the accuracy with x_chosen and x_rejected swapped"
    )
    checks.close(
        forward + backward,
        1.0,
        rtol=0.0,
        atol=1e-12,
        what="pairwise_accuracy(w, a, b) + pairwise_accuracy(w, b, a)",
        got_from="acc(w, a, b) + acc(w, b, a)",
        expected_from="1",
    )
    checks.close(
        forward, ref.pairwise_accuracy(w, x_chosen, x_rejected), rtol=0.0, atol=1e-12, what="the accuracy"
    )


@pairwise_accuracy.holds("a tie counts 1/2", points=1)
@given(case=_integer_comparisons())
def tie_counts_half(f, case):
    w, x_chosen, x_rejected = case
    checks.close(
        f(np.zeros_like(w), x_chosen, x_rejected),
        0.5,
        rtol=0.0,
        atol=1e-12,
        what="the accuracy of w = 0 (every comparison a tie)",
    )
    checks.close(
        f(w, x_chosen, x_chosen.copy()),
        0.5,
        rtol=0.0,
        atol=1e-12,
        what="the accuracy when x_rejected equals x_chosen",
    )
    checks.close(
        f(w, x_chosen, x_rejected),
        ref.pairwise_accuracy(w, x_chosen, x_rejected),
        rtol=0.0,
        atol=1e-12,
        what="the accuracy (no tie forced)",
    )


pairwise_accuracy.rejects(SHAPE_ERRORS)
