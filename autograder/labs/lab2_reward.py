"""Graded properties of Lab 2: reward modeling (`exercises/lab2_reward.py`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid, Lab, reference
from autograder.formatting import short
from autograder.numerics import numerical_gradient, sigmoid

ref = reference("lab2_reward")
LAB = Lab(2, "lab2_reward", "Reward modeling")

FIT_L2 = 1e-3  # the default l2 of fit_reward_model: the grader calls it with the defaults
STATIONARY = 1e-6  # what the fit's gradient norm may be (Newton reaches ~1e-12; room for first-order methods)


# --- preference_probability -----------------------------------------------------------------

preference_probability = LAB.function("preference_probability")


@st.composite
def _reward_pairs(draw, low: float = -10.0, high: float = 10.0):
    """Two reward arrays that broadcast together to a shape with at least one axis."""
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=4).filter(
            lambda s: s.result_shape != ()
        )
    )
    chosen_shape, rejected_shape = shapes.input_shapes
    return draw(gen.arrays(chosen_shape, low, high)), draw(gen.arrays(rejected_shape, low, high))


def _probability_mistakes(r_chosen, r_rejected) -> dict[str, np.ndarray]:
    """The probabilities that the usual mistakes produce, to name them in the hint."""
    gap = np.subtract(r_chosen, r_rejected)
    swapped = "the first argument is the chosen one: sigmoid(r_chosen - r_rejected), not the reverse"
    return {
        swapped: sigmoid(-gap),
        "return the probability sigmoid(gap), not the decision gap > 0": (gap > 0).astype(float),
    }


@preference_probability.holds("matches the reference on random rewards, with broadcasting", points=2)
@given(rewards=_reward_pairs())
@example(rewards=(np.array([2.0, 0.0]), np.array(0.0)))
def probability_matches_reference(f, rewards):
    r_chosen, r_rejected = rewards
    checks.close(
        f(r_chosen, r_rejected),
        ref.preference_probability(r_chosen, r_rejected),
        rtol=1e-9,
        atol=1e-12,
        mistakes=_probability_mistakes(r_chosen, r_rejected),
        hint="sigmoid(r_chosen - r_rejected) = 1 / (1 + exp(-(r_chosen - r_rejected)))",
    )


@preference_probability.holds("P(a ≻ b) + P(b ≻ a) = 1", points=1)
@given(rewards=_reward_pairs())
@example(rewards=(np.array([1.0, 0.0]), np.array([1.0, 3.0])))
def both_orders_sum_to_one(f, rewards):
    a, b = rewards
    shape = np.broadcast_shapes(a.shape, b.shape)
    forward = checks.as_array(f(a, b), shape, "P(a ≻ b)")
    backward = checks.as_array(f(b, a), shape, "P(b ≻ a)")
    checks.close(
        forward + backward,
        np.ones(shape),
        rtol=0.0,
        atol=1e-12,
        what="preference_probability(a, b) + preference_probability(b, a)",
        got_from="P(a ≻ b) + P(b ≻ a)",
        expected_from="1 everywhere",
        hint="one of the two responses is preferred: P(b ≻ a) = 1 - P(a ≻ b), and a tie gives 0.5 both ways",
    )


@preference_probability.holds("only the reward gap matters: adding a constant changes nothing", points=1)
@given(rewards=_reward_pairs(), shift=gen.floats(-1e3, 1e3))
@example(rewards=(np.array([1.0]), np.array([0.0])), shift=1000.0)
def only_the_gap_matters(f, rewards, shift):
    a, b = rewards
    shape = np.broadcast_shapes(a.shape, b.shape)
    unshifted = checks.as_array(f(a, b), shape, "the probability")
    checks.close(
        f(a + shift, b + shift),
        unshifted,
        rtol=1e-9,
        atol=1e-12,
        what="preference_probability(a + c, b + c) compared with preference_probability(a, b)",
        got_from="preference_probability(a + c, b + c)",
        expected_from="preference_probability(a, b)",
        mistakes=_probability_mistakes(a + shift, b + shift),
        hint="exponentiate only the gap r_chosen - r_rejected, never a reward itself: "
        "exp(1000.0) is inf, and inf / inf is nan",
    )


@preference_probability.holds("a tie gives exactly 0.5", points=1)
@given(rewards=gen.arrays(gen.shapes(max_dims=2), -1e3, 1e3))
@example(rewards=np.array([0.0, 800.0, -800.0]))
def tie_gives_one_half(f, rewards):
    checks.close(
        f(rewards, rewards.copy()),
        np.full(rewards.shape, 0.5),
        rtol=0.0,
        atol=0.0,
        what="the probability of a tie",
        hint="a reward gap of 0 is a coin flip: sigmoid(0) = 0.5, whatever the rewards themselves",
    )


@preference_probability.holds("saturates to 0 or 1 with no warning for reward gaps up to ±1e6", points=2)
@given(rewards=_reward_pairs(-5e5, 5e5))
@example(rewards=(np.array([1e6, -1e6, 0.0, 0.0]), np.array([0.0, 0.0, 1e6, -1e6])))
def saturates_without_warning(f, rewards):
    outcome = f.attempt(*rewards)
    got = f.result(outcome)
    checks.finite(
        got,
        hint="exp(gap) / (1 + exp(gap)) is inf / inf = nan for a large gap: only ever exponentiate -|gap|",
    )
    checks.no_warnings(
        outcome,
        hint="np.exp of a large number overflows; np.where evaluates both branches, "
        "so each branch must be safe: exponentiate -|gap| only",
    )
    checks.close(
        got,
        ref.preference_probability(*rewards),
        rtol=1e-9,
        atol=1e-12,
        mistakes=_probability_mistakes(*rewards),
    )


preference_probability.rejects(
    [
        Invalid(
            "r_chosen has shape (2,) and r_rejected shape (3,)",
            ("r_chosen", "r_rejected"),
            (np.zeros(2), np.zeros(3)),
        ),
        Invalid(
            "r_chosen has shape (2, 3) and r_rejected shape (2, 1, 2)",
            ("r_chosen", "r_rejected"),
            (np.zeros((2, 3)), np.zeros((2, 1, 2))),
        ),
    ],
    description="raises ValueError when the shapes cannot be broadcast",
)


# --- preference_loss ------------------------------------------------------------------------

preference_loss = LAB.function("preference_loss")

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


def _loss_mistakes(w, x_chosen, x_rejected, l2) -> dict[str, float]:
    """The losses that the usual mistakes produce, to name them in the hint."""
    margins = (x_chosen - x_rejected) @ w
    nll = np.logaddexp(0.0, -margins)
    penalty = 0.5 * l2 * (w @ w)
    return {
        "the margin is chosen minus rejected: m_i = w @ (x_chosen[i] - x_rejected[i])": float(
            np.mean(np.logaddexp(0.0, margins)) + penalty
        ),
        "take the mean over the comparisons, not the sum": float(np.sum(nll) + penalty),
        "the penalty is (l2 / 2) * ||w||^2: you left out the factor 1/2": float(np.mean(nll) + 2 * penalty),
        "add the penalty (l2 / 2) * ||w||^2": float(np.mean(nll)),
        "the loss is -log sigmoid(m), a positive number: check the sign": float(-np.mean(nll) + penalty),
    }


@preference_loss.holds("matches the reference on random weights and comparisons", points=2)
@given(case=_comparisons())
@example(case=LOSS_TRAP)
def loss_matches_reference(f, case):
    w, x_chosen, x_rejected, l2 = case
    checks.close(
        f(w, x_chosen, x_rejected, l2=l2),
        ref.preference_loss(w, x_chosen, x_rejected, l2),
        rtol=1e-9,
        atol=1e-12,
        what="the loss",
        mistakes=_loss_mistakes(w, x_chosen, x_rejected, l2),
        hint="mean_i -log sigmoid(w @ (x_chosen[i] - x_rejected[i])) + (l2 / 2) * ||w||^2",
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


STABLE_LOSS = (
    "at m = -1e6, np.exp(-m) overflows to inf and sigmoid(m) rounds to 0 (log 0 = -inf): "
    "compute -log sigmoid(m) = log(1 + exp(-m)) as np.logaddexp(0, -m)"
)


@preference_loss.holds(
    "stays finite and precise (rtol 1e-9) with no warning for margins up to ±1e6", points=2
)
@given(case=_huge_margins())
@example(case=(np.array([1e6]), np.array([[0.0], [1.0]]), np.array([[1.0], [0.0]]), 0.0))
def loss_precise_for_huge_margins(f, case):
    w, x_chosen, x_rejected, l2 = case
    outcome = f.attempt(w, x_chosen, x_rejected, l2=l2)
    got = f.result(outcome)
    checks.finite(got, what="the loss", hint=STABLE_LOSS)
    checks.no_warnings(outcome, hint=STABLE_LOSS)
    checks.close(
        got,
        ref.preference_loss(w, x_chosen, x_rejected, l2),
        rtol=1e-9,
        atol=1e-9,
        what="the loss",
        mistakes=_loss_mistakes(w, x_chosen, x_rejected, l2),
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


# --- preference_loss_grad -------------------------------------------------------------------

preference_loss_grad = LAB.function("preference_loss_grad")


def _grad_mistakes(w, x_chosen, x_rejected, l2) -> dict[str, np.ndarray]:
    """The gradients that the usual mistakes produce, to name them in the hint."""
    diffs = x_chosen - x_rejected
    margins = diffs @ w
    data = -(diffs.T @ sigmoid(-margins)) / len(diffs)
    return {
        "d/dm -log sigmoid(m) = -sigmoid(-m): weight comparison i by sigmoid(-m_i), not sigmoid(m_i)": -(
            diffs.T @ sigmoid(margins)
        )
        / len(diffs)
        + l2 * w,
        "this is the gradient of the log-likelihood: the loss is its negative, check the sign": -data
        + l2 * w,
        "this is minus the gradient: return the gradient itself (descent subtracts it later)": -(
            data + l2 * w
        ),
        "add the gradient of the penalty, l2 * w": data,
        "the penalty (l2 / 2) * ||w||^2 has gradient l2 * w, not 2 * l2 * w": data + 2 * l2 * w,
        "average over the comparisons (divide by n), as in preference_loss": data * len(diffs) + l2 * w,
        "the margin is chosen minus rejected: m_i = w @ (x_chosen[i] - x_rejected[i])": ref.preference_loss_grad(
            w, x_rejected, x_chosen, l2
        ),
    }


@preference_loss_grad.holds("matches the reference on random weights and comparisons", points=2)
@given(case=_comparisons())
@example(case=LOSS_TRAP)
def gradient_matches_reference(f, case):
    w, x_chosen, x_rejected, l2 = case
    checks.close(
        f(w, x_chosen, x_rejected, l2=l2),
        ref.preference_loss_grad(w, x_chosen, x_rejected, l2),
        rtol=1e-7,
        atol=1e-10,
        what="the gradient",
        mistakes=_grad_mistakes(w, x_chosen, x_rejected, l2),
        hint="-mean_i sigmoid(-m_i) * (x_chosen[i] - x_rejected[i]) + l2 * w",
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
        mistakes=_grad_mistakes(w, x_chosen, x_rejected, l2),
        hint="differentiate the loss you wrote in preference_loss term by term",
    )


preference_loss_grad.rejects(LOSS_ERRORS)


# --- fit_reward_model -----------------------------------------------------------------------

fit_reward_model = LAB.function("fit_reward_model", time_limit=30.0, faster="Newton's method (a few steps)")


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


UNCONVERGED = (
    "keep iterating until ||grad|| <= tol: Newton's method converges in a handful of steps, "
    "gradient descent needs thousands (and its step size must be below 2 / the largest curvature)"
)


def _check_stationary(w: Any, x_chosen: np.ndarray, x_rejected: np.ndarray) -> None:
    """Check that `w` is a finite vector at which the reference gradient (l2 = FIT_L2) vanishes."""
    w = checks.as_array(w, (x_chosen.shape[1],), "the fitted w")
    checks.finite(w, what="the fitted w", hint="l2 > 0 keeps the optimum finite: check your step and Hessian")
    grad = ref.preference_loss_grad(w, x_chosen, x_rejected, FIT_L2)
    norm = float(np.linalg.norm(grad))
    if not norm <= STATIONARY:
        hint = next(
            (
                h
                for h, wrong in _fit_mistakes(x_chosen, x_rejected).items()
                if wrong is not None and checks.matches(w, wrong, 1e-4, 1e-4)
            ),
            UNCONVERGED,
        )
        checks.fail(
            "the returned w is not a minimiser: the gradient of the loss at w is not 0",
            f"Your w:           {short(w)}",
            f"Minimiser:        {short(ref.fit_reward_model(x_chosen, x_rejected))}",
            f"||grad(your w)||: {norm:.3g} (allowed: {STATIONARY:g}), with l2 = {FIT_L2:g} (the default)",
            hint=hint,
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
    mistakes = {} if checks.matches(got, expected, 1e-4, 1e-4) else _fit_mistakes(x_chosen, x_rejected)
    checks.close(
        got, expected, rtol=1e-4, atol=1e-4, what="the fitted w", mistakes=mistakes, hint=UNCONVERGED
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


# --- pairwise_accuracy ----------------------------------------------------------------------

pairwise_accuracy = LAB.function("pairwise_accuracy")


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


def _accuracy_mistakes(w, x_chosen, x_rejected) -> dict[str, float]:
    chosen, rejected = x_chosen @ w, x_rejected @ w
    return {
        "a tie counts 1/2 (you counted it 0)": float(np.mean(chosen > rejected)),
        "a tie counts 1/2 (you counted it 1: the chosen response must score strictly higher)": float(
            np.mean(chosen >= rejected)
        ),
        "count comparisons where the *chosen* response scores higher": float(np.mean(chosen < rejected)),
        "return the fraction (the mean over comparisons), not the count": float(
            np.sum(chosen > rejected) + 0.5 * np.sum(chosen == rejected)
        ),
        "compare the scores themselves: sigmoid(gap) rounds a tiny gap to exactly 0.5": float(
            np.mean(sigmoid(chosen - rejected) > 0.5) + 0.5 * np.mean(sigmoid(chosen - rejected) == 0.5)
        ),
    }


@pairwise_accuracy.holds("matches the reference on random weights and comparisons", points=2)
@given(case=_integer_comparisons())
@example(case=(np.array([1.0]), np.array([[1e-17], [2.0]]), np.array([[0.0], [1.0]])))
def accuracy_matches_reference(f, case):
    w, x_chosen, x_rejected = case
    checks.close(
        f(w, x_chosen, x_rejected),
        ref.pairwise_accuracy(w, x_chosen, x_rejected),
        rtol=0.0,
        atol=1e-12,
        what="the accuracy",
        mistakes=_accuracy_mistakes(w, x_chosen, x_rejected),
        hint="mean over comparisons of 1 (w @ x_chosen[i] > w @ x_rejected[i]), 1/2 (equal) or 0",
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
        hint="every comparison is won by one side, and a tie counts 1/2 for both",
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
        hint="a tie is a coin flip, right half the time: it counts 1/2",
    )
    checks.close(
        f(w, x_chosen, x_chosen.copy()),
        0.5,
        rtol=0.0,
        atol=1e-12,
        what="the accuracy when x_rejected equals x_chosen",
        hint="a tie counts 1/2",
    )


pairwise_accuracy.rejects(SHAPE_ERRORS)
