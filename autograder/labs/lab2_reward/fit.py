"""Lab 2, `fit_reward_model`: a stationary point of the regularised loss."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.formatting import short
from autograder.labs.lab2_reward.lab import (
    FIT_L2,
    STATIONARY,
    fit_reward_model,
    ref,
)
from autograder.labs.lab2_reward.loss import X22, Y22
from autograder.numerics import sigmoid


@st.composite
def _noisy_comparisons(draw):
    """`(x_chosen, x_rejected)` from inconsistent annotators: the first d pairs also appear reversed.

    The reversed pairs keep the optimum finite, and the generated data are kept well-conditioned
    (Hessian at the optimum >= 0.01 I), so that gradient descent converges in a few thousand steps.
    """
    d = draw(st.integers(1, 4))
    k = draw(st.integers(2 * d, 16))
    first = draw(gen.arrays((k, d), -1.0, 1.0))
    second = draw(gen.arrays((k, d), -1.0, 1.0))
    x_chosen, x_rejected = np.vstack([first, second[:d]]), np.vstack([second, first[:d]])
    assume(_smallest_curvature(x_chosen, x_rejected) >= 0.01)
    return x_chosen, x_rejected


def _smallest_curvature(x_chosen: np.ndarray, x_rejected: np.ndarray) -> float:
    """The smallest eigenvalue of the loss's Hessian at the reference optimum."""
    w = ref.fit_reward_model(x_chosen, x_rejected)
    diffs = x_chosen - x_rejected
    p = sigmoid(diffs @ w)
    hessian = (diffs.T * (p * (1 - p))) @ diffs / len(diffs) + FIT_L2 * np.eye(diffs.shape[1])
    return float(np.linalg.eigvalsh(hessian)[0])


def _fit_mistakes(x_chosen: np.ndarray, x_rejected: np.ndarray) -> dict[str, np.ndarray | None]:
    """The weights that the usual mistakes produce, to name them in the hint."""
    best = ref.fit_reward_model(x_chosen, x_rejected)
    total = best.sum()
    return {
        "return w itself: normalising the weights (to sum 1) changes every margin and the loss": best / total
        if abs(total) > 1e-9
        else None,
        "the penalty is (l2 / 2) * ||w||^2, whose gradient is l2 * w: with 2 * l2 * w you minimise another loss": ref.fit_reward_model(
            x_chosen, x_rejected, l2=2 * FIT_L2
        ),
        "the margin is chosen minus rejected: you fitted the reversed labels": -best,
    }


def _check_stationary(w: Any, x_chosen: np.ndarray, x_rejected: np.ndarray) -> None:
    """Check that `w` is a finite vector at which the reference gradient (l2 = FIT_L2) vanishes."""
    w = checks.as_array(w, (x_chosen.shape[1],), "the fitted w")
    checks.finite(w, what="the fitted w")
    grad = ref.preference_loss_grad(w, x_chosen, x_rejected, FIT_L2)
    norm = float(np.linalg.norm(grad))
    if not norm <= STATIONARY:
        checks.fail(
            "the returned w is not a minimiser: the gradient of the loss at w is not 0",
            f"Your w:           {short(w)}",
            f"Minimiser:        {short(ref.fit_reward_model(x_chosen, x_rejected))}",
            f"||grad(your w)||: {norm:.3g} (allowed: {STATIONARY:g}), with l2 = {FIT_L2:g} (the default)",
        )


@fit_reward_model.holds("returns a stationary point of the regularised loss (||grad|| <= 1e-6)", points=3)
@given(data=_noisy_comparisons())
def fit_is_stationary(f, data):
    x_chosen, x_rejected = data
    _check_stationary(f(x_chosen, x_rejected), x_chosen, x_rejected)


@fit_reward_model.holds("matches the reference optimum", points=2)
@given(data=_noisy_comparisons())
def fit_matches_reference_optimum(f, data):
    x_chosen, x_rejected = data
    got, expected = f(x_chosen, x_rejected), ref.fit_reward_model(x_chosen, x_rejected)
    {} if checks.matches(got, expected, 1e-4, 1e-4) else _fit_mistakes(x_chosen, x_rejected)
    checks.close(
        got,
        expected,
        rtol=1e-4,
        atol=1e-4,
        what="the fitted w",
    )


# The seed's comparisons B > A, B > C, C > D, B > D (helpfulness, clarity, safety, divided by 100),
# built from the reference's demo constants.
SEED_CHOSEN, SEED_REJECTED = (
    np.array([ref.RESPONSES[pair[side]] for pair in ref.COMPARISONS]) / 100.0 for side in (0, 1)
)
CONSISTENT = [  # every label agrees with some w: only the penalty keeps the minimiser finite
    (SEED_CHOSEN, SEED_REJECTED),
    (np.array([[1.0]]), np.array([[0.0]])),
    (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]), np.zeros((3, 2))),
]


CONSISTENT_HINT = (
    "these labels are perfectly consistent: as w grows every p_i (1 - p_i) tends to 0, "
    "so only the l2 * I term keeps the Hessian invertible"
)


@fit_reward_model.holds("fits perfectly consistent labels, where only l2 keeps w finite", points=1)
def fits_consistent_labels(f):
    for x_chosen, x_rejected in CONSISTENT:
        try:
            got = f(x_chosen, x_rejected)
        except checks.PropertyFailed as failure:
            if failure.summary.startswith("raised"):  # e.g. LinAlgError: name the likely cause
                failure.hint = CONSISTENT_HINT
            raise
        _check_stationary(got, x_chosen, x_rejected)


fit_reward_model.rejects(
    [
        Invalid("l2 = 0", "l2", (X22, Y22), {"l2": 0.0}),
        Invalid("l2 = -1", "l2", (X22, Y22), {"l2": -1.0}),
        Invalid("x_chosen is 1-D", "x_chosen", (np.zeros(2), np.zeros(2))),
        Invalid(
            "x_rejected has shape (2, 3) and x_chosen (2, 2)",
            ("x_rejected", "x_chosen"),
            (X22, np.zeros((2, 3))),
        ),
        Invalid(
            "there are no comparisons (n = 0)",
            ("x_chosen", "x_rejected"),
            (np.zeros((0, 2)), np.zeros((0, 2))),
        ),
    ]
)
