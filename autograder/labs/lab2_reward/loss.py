"""Lab 2, `preference_loss` and its gradient."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab2_reward.lab import (
    preference_loss,
    preference_loss_grad,
    ref,
)
from autograder.numerics import numerical_gradient

L2_VALUES = (0.0, 1e-3, 0.1, 1.0)


@st.composite
def _comparisons(draw, max_n: int = 20, max_d: int = 4, x_scale: float = 3.0, w_scale: float = 2.0):
    """`(w, x_chosen, x_rejected, l2)`: weights (d,), features (n, d) and a penalty strength."""
    d = draw(st.integers(1, max_d))
    n = draw(st.integers(1, max_n))
    w = draw(gen.arrays(d, -w_scale, w_scale))
    x_chosen = draw(gen.arrays((n, d), -x_scale, x_scale))
    x_rejected = draw(gen.arrays((n, d), -x_scale, x_scale))
    return w, x_chosen, x_rejected, draw(st.sampled_from(L2_VALUES))


# w != 0 with two comparisons and a penalty: the wrong margin, a sum and a missing 1/2 all show.
LOSS_TRAP = (
    np.array([1.0, -0.5]),
    np.array([[1.0, 0.0], [0.0, 1.0]]),
    np.array([[0.0, 0.0], [1.0, 0.0]]),
    0.5,
)


preference_loss.matches_reference(
    "matches the reference on random weights and comparisons",
    2,
    _comparisons(),
    examples=[LOSS_TRAP],
    rtol=1e-9,
    atol=1e-12,
    what="the loss",
)


@st.composite
def _huge_margins(draw):
    """Comparisons whose margins reach ±1e6 (features in [-0.5, 0.5], |w| summing to <= 1e6)."""
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    w = draw(gen.arrays(d, -1e6 / d, 1e6 / d))
    x_chosen = draw(gen.arrays((n, d), -0.5, 0.5))
    x_rejected = draw(gen.arrays((n, d), -0.5, 0.5))
    return w, x_chosen, x_rejected, draw(st.sampled_from((0.0, 1e-3)))


@preference_loss.holds(
    "stays finite and precise (rtol 1e-9) with no warning for margins up to ±1e6", points=2
)
@given(case=_huge_margins())
@example(case=(np.array([1e6]), np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]), 0.0))
def loss_precise_for_huge_margins(f, case):
    w, x_chosen, x_rejected, l2 = case
    outcome = f.attempt(w, x_chosen, x_rejected, l2=l2)
    got = f.result(outcome)
    checks.stable(
        got,
        outcome,
        ref.preference_loss(w, x_chosen, x_rejected, l2),
        rtol=1e-9,
        atol=1e-9,
        what="the loss",
    )


W2, X22, Y22 = np.zeros(2), np.zeros((2, 2)), np.ones((2, 2))
SHAPE_ERRORS = [  # what preference_loss, preference_loss_grad and pairwise_accuracy reject
    Invalid("x_chosen is 1-D", "x_chosen", (W2, np.zeros(2), np.zeros(2))),
    Invalid(
        "x_rejected has shape (2, 3) and x_chosen (2, 2)",
        ("x_rejected", "x_chosen"),
        (W2, X22, np.zeros((2, 3))),
    ),
    Invalid(
        "x_rejected has shape (3, 2) and x_chosen (2, 2)",
        ("x_rejected", "x_chosen"),
        (W2, X22, np.zeros((3, 2))),
    ),
    Invalid("w has 3 entries for d = 2 features", "w", (np.zeros(3), X22, Y22)),
    Invalid("w is 2-D", "w", (np.zeros((2, 1)), X22, Y22)),
    Invalid(
        "there are no comparisons (n = 0)",
        ("x_chosen", "x_rejected"),
        (W2, np.zeros((0, 2)), np.zeros((0, 2))),
    ),
]
LOSS_ERRORS = [*SHAPE_ERRORS, Invalid("l2 = -0.1", "l2", (W2, X22, Y22, -0.1))]
preference_loss.rejects(LOSS_ERRORS)


preference_loss_grad.matches_reference(
    "matches the reference on random weights and comparisons",
    2,
    _comparisons(),
    examples=[LOSS_TRAP],
    rtol=1e-7,
    atol=1e-10,
    what="the gradient",
)


@preference_loss_grad.holds("equals finite differences of preference_loss", points=2)
@given(case=_comparisons(max_n=10, max_d=3))
@example(case=LOSS_TRAP)
def gradient_is_finite_differences(f, case):
    w, x_chosen, x_rejected, l2 = case
    numeric = numerical_gradient(lambda v: ref.preference_loss(v, x_chosen, x_rejected, l2), w)
    checks.close(
        f(w, x_chosen, x_rejected, l2=l2),
        numeric,
        rtol=1e-5,
        atol=1e-6,
        what="the gradient compared with finite differences of the loss",
    )


preference_loss_grad.rejects(LOSS_ERRORS)
