"""Properties of `dpo_family_loss` and `dpo_family_loss_grad`: DPO, conservative DPO, IPO, hinge."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab4_dpo.lab import BETAS, dpo_family_loss, dpo_family_loss_grad, ref
from autograder.numerics import numerical_gradient

SMOOTHINGS = (0.25, 0.1, 0.4)
"""Non-zero label smoothings: 0.25 first (Hypothesis shrinks towards it), none of them 0.5, where
the two orders weigh the same and putting eps on the wrong term would go unseen."""


@st.composite
def family_cases(draw, kinds=("sigmoid", "ipo", "hinge"), scale: float = 10.0, max_pairs: int = 5):
    """`(margins, beta, kind, label_smoothing)`; half the sigmoid cases have label smoothing."""
    n = draw(st.integers(1, max_pairs), label="n")
    beta = draw(st.sampled_from(BETAS), label="beta")
    kind = draw(st.sampled_from(kinds), label="kind")
    smoothed = kind == "sigmoid" and draw(st.booleans(), label="smoothed")
    eps = draw(st.sampled_from(SMOOTHINGS), label="label_smoothing") if smoothed else 0.0
    return draw(gen.arrays(n, -scale, scale)), beta, kind, eps


def call(f, case):
    """Call the learner's function on a case, passing `label_smoothing` only when it is not 0."""
    margins, beta, kind, eps = case
    return f(margins, beta, kind=kind, label_smoothing=eps) if eps else f(margins, beta, kind=kind)


# --- dpo_family_loss ------------------------------------------------------------------------


def loss_agrees(f, case, hint: str) -> None:
    """Check the learner's loss on `case` against the reference's; `hint` is its formula."""
    checks.close(
        call(f, case),
        ref.dpo_family_loss(*case),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {case[2]} loss",
        hint=hint,
    )


@dpo_family_loss.holds("sigmoid (DPO, conservative DPO) matches the reference", points=2)
@given(case=family_cases(kinds=("sigmoid",)))
@example(case=(np.array([1.0, -2.0, 0.5]), 0.7, "sigmoid", 0.25))
@example(case=(np.array([1.5, -0.5]), 2.0, "sigmoid", 0.0))
def sigmoid_loss_matches_reference(f, case):
    loss_agrees(
        f,
        case,
        "mean(-(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h)), eps = label_smoothing",
    )


@dpo_family_loss.holds("ipo matches the reference", points=1)
@given(case=family_cases(kinds=("ipo",)))
@example(case=(np.array([1.0, -2.0, 0.5]), 0.7, "ipo", 0.0))
def ipo_loss_matches_reference(f, case):
    loss_agrees(f, case, "mean((h - 1 / (2 * beta))**2)")


@dpo_family_loss.holds("hinge matches the reference (the kink h = 1 / beta included)", points=1)
@given(case=family_cases(kinds=("hinge",)))
@example(case=(np.array([0.5, 1 / 0.7, 3.0]), 0.7, "hinge", 0.0))
def hinge_loss_matches_reference(f, case):
    loss_agrees(f, case, "mean(max(0, 1 - beta * h))")


@dpo_family_loss.holds(
    "with the defaults (sigmoid, label_smoothing = 0) it is dpo_loss of the same margins", points=1
)
@given(case=family_cases(kinds=("sigmoid",)).map(lambda case: (*case[:3], 0.0)))
def defaults_give_dpo_loss(f, case):
    margins, beta, _, _ = case
    zeros = np.zeros_like(margins)
    checks.close(
        f(margins, beta),
        ref.dpo_loss(margins, zeros, zeros, zeros, beta),
        rtol=1e-9,
        atol=1e-12,
        what="dpo_family_loss(margins, beta)",
    )


@dpo_family_loss.holds(
    "label smoothing mixes the two orders: L(h, eps) = (1 - eps) * L(h, 0) + eps * L(-h, 0)", points=1
)
@given(case=family_cases(kinds=("sigmoid",)), eps=st.sampled_from(SMOOTHINGS))
def smoothing_mixes_the_two_orders(f, case, eps):
    margins, beta, _, _ = case
    smoothed = checks.as_float(f(margins, beta, kind="sigmoid", label_smoothing=eps), "the smoothed loss")
    forward = checks.as_float(f(margins, beta, kind="sigmoid"), "the loss with label_smoothing = 0")
    backward = checks.as_float(
        f(-margins, beta, kind="sigmoid"), "the loss of -margins with label_smoothing = 0"
    )
    checks.close(
        smoothed,
        (1 - eps) * forward + eps * backward,
        rtol=1e-9,
        atol=1e-12,
        what="the loss with label smoothing eps, against (1 - eps) * L(h, 0) + eps * L(-h, 0)",
        got_from=f"L(h, {eps})",
        expected_from=f"(1 - eps) * L(h, 0) + eps * L(-h, 0), with L(h, 0) = {forward!r}, L(-h, 0) = {backward!r}",
        relation="the smoothed loss to be this mix of your two unsmoothed losses",
    )
    checks.close(
        smoothed,
        ref.dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=eps),
        rtol=1e-9,
        atol=1e-12,
        what="the smoothed loss",
    )


@dpo_family_loss.holds(
    "ipo is 0 at its minimiser h = 1 / (2 beta) and (h - 1 / (2 beta))**2 around it", points=1
)
@given(case=family_cases(kinds=("ipo",), scale=3.0))
def ipo_is_minimised_at_its_target(f, case):
    offsets, beta, _, _ = case
    target = 1 / (2 * beta)
    checks.close(
        f(np.full(offsets.size, target), beta, kind="ipo"),
        0.0,
        rtol=0.0,
        atol=1e-12,
        what="the ipo loss with every margin at 1 / (2 * beta)",
    )
    checks.close(
        f(target + offsets, beta, kind="ipo"),
        float(np.mean(offsets**2)),
        rtol=1e-9,
        atol=1e-12,
        what="the ipo loss with margins 1 / (2 * beta) + d",
    )


@dpo_family_loss.holds("hinge is 0 for h >= 1 / beta (the kink included) and 1 - beta * h below it", points=1)
@given(case=family_cases(kinds=("hinge",), scale=3.0))
@example(case=(np.array([0.0, 0.5]), 2.0, "hinge", 0.0))
def hinge_is_zero_past_its_margin(f, case):
    offsets, beta, _, _ = case
    above = 1 / beta + np.abs(offsets)  # h >= 1 / beta, the kink itself where an offset is 0
    checks.close(
        f(above, beta, kind="hinge"),
        0.0,
        rtol=0.0,
        atol=1e-12,
        what="the hinge loss with every margin >= 1 / beta",
    )
    below = 1 / beta - np.abs(offsets) - 0.1
    checks.close(
        f(below, beta, kind="hinge"),
        float(np.mean(1 - beta * below)),
        rtol=1e-9,
        atol=1e-12,
        what="the hinge loss with every margin < 1 / beta",
    )


def stable_case(case):
    """The case with margins rescaled so that |beta * h| reaches up to 1e6."""
    margins, beta, kind, eps = case
    return margins * (1e5 / beta), beta, kind, eps


@dpo_family_loss.holds("stays finite with no warning for |beta * h| up to 1e6", points=1)
@given(case=family_cases(max_pairs=3).map(stable_case))
@example(case=(np.array([-1e6 / 0.7, 1e6 / 0.7]), 0.7, "sigmoid", 0.25))
@example(case=(np.array([-1e6 / 0.3]), 0.3, "sigmoid", 0.0))
def family_loss_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.dpo_family_loss(*case), rtol=1e-9, atol=1e-8, what="the loss")


H = np.array([0.5, -1.0, 2.0])
FAMILY_ERRORS = [
    Invalid("kind = 'exponential'", "kind", (H, 0.5), {"kind": "exponential"}),
    Invalid("beta = 0", "beta", (H, 0.0)),
    Invalid("beta = -1", "beta", (H, -1.0)),
    Invalid("label_smoothing = 0.5", "label_smoothing", (H, 0.5), {"label_smoothing": 0.5}),
    Invalid("label_smoothing = -0.1", "label_smoothing", (H, 0.5), {"label_smoothing": -0.1}),
    Invalid(
        "label_smoothing = 0.1 with kind = 'ipo'",
        "label_smoothing",
        (H, 0.5),
        {"kind": "ipo", "label_smoothing": 0.1},
    ),
    Invalid(
        "label_smoothing = 0.1 with kind = 'hinge'",
        "label_smoothing",
        (H, 0.5),
        {"kind": "hinge", "label_smoothing": 0.1},
    ),
    Invalid("margins is empty (n = 0)", "margins", (np.zeros(0), 0.5)),
    Invalid("margins is 2-D", "margins", (np.zeros((2, 2)), 0.5)),
]
"""The invalid calls of both functions, as the docstrings list them."""

dpo_family_loss.rejects(FAMILY_ERRORS)


# --- dpo_family_loss_grad -------------------------------------------------------------------


def grad_agrees(f, case, hint: str) -> None:
    """Check the learner's gradient on `case` against the reference's; `hint` is its formula."""
    checks.close(
        call(f, case),
        ref.dpo_family_loss_grad(*case),
        rtol=1e-9,
        atol=1e-12,
        what=f"the gradient of the {case[2]} loss",
        hint=hint,
    )


@dpo_family_loss_grad.holds("sigmoid (DPO, conservative DPO) matches the reference", points=1)
@given(case=family_cases(kinds=("sigmoid",)))
@example(case=(np.array([1.0, -2.0, 0.5]), 0.7, "sigmoid", 0.25))
def sigmoid_grad_matches_reference(f, case):
    grad_agrees(f, case, "(beta / n) * (-(1 - eps) * sigmoid(-beta * h) + eps * sigmoid(beta * h))")


@dpo_family_loss_grad.holds("ipo matches the reference", points=1)
@given(case=family_cases(kinds=("ipo",)))
@example(case=(np.array([1.0, -2.0, 0.5]), 0.7, "ipo", 0.0))
def ipo_grad_matches_reference(f, case):
    grad_agrees(f, case, "(2 / n) * (h - 1 / (2 * beta))")


@dpo_family_loss_grad.holds("hinge matches the reference (the kink h = 1 / beta included)", points=1)
@given(case=family_cases(kinds=("hinge",)))
@example(case=(np.array([0.5, 1 / 0.7, 3.0]), 0.7, "hinge", 0.0))
def hinge_grad_matches_reference(f, case):
    grad_agrees(f, case, "-beta / n where 1 - beta * h > 0, 0 elsewhere (the kink included)")


def away_from_the_kink(case):
    """The case with any margin within 1e-2 / beta of the hinge's kink moved away from it."""
    margins, beta, kind, eps = case
    near = np.abs(1 - beta * margins) < 1e-2
    return np.where(near, margins + 0.5 / beta, margins), beta, kind, eps


@dpo_family_loss_grad.holds(
    "equals finite differences of dpo_family_loss (away from the hinge's kink)", points=2
)
@given(case=family_cases().map(away_from_the_kink))
@example(case=(np.array([1.0, -2.0, 0.5]), 0.7, "sigmoid", 0.25))
def grad_equals_finite_differences(f, case):
    margins, beta, kind, eps = case
    numeric = numerical_gradient(lambda h: ref.dpo_family_loss(h, beta, kind, eps), margins)
    checks.close(
        call(f, case),
        numeric,
        rtol=1e-5,
        atol=1e-7,
        what=f"the gradient of the {kind} loss",
    )


@dpo_family_loss_grad.holds("hinge: 0 at and past the kink h = 1 / beta, -beta / n below it", points=1)
@given(case=family_cases(kinds=("hinge",), scale=3.0))
@example(case=(np.array([0.0, 0.5]), 2.0, "hinge", 0.0))
def hinge_grad_is_zero_from_the_kink_on(f, case):
    offsets, beta, _, _ = case
    n = offsets.size
    at_and_above = 1 / beta + np.abs(offsets)
    checks.close(
        f(at_and_above, beta, kind="hinge"),
        np.zeros(n),
        rtol=0.0,
        atol=1e-12,
        what="the hinge's gradient at margins >= 1 / beta",
    )
    below = 1 / beta - np.abs(offsets) - 0.1
    checks.close(
        f(below, beta, kind="hinge"),
        np.full(n, -beta / n),
        rtol=1e-12,
        atol=1e-15,
        what="the hinge's gradient at margins < 1 / beta",
    )


@dpo_family_loss_grad.holds("stays finite with no warning for |beta * h| up to 1e6", points=1)
@given(case=family_cases(max_pairs=3).map(stable_case))
@example(case=(np.array([-1e6 / 0.7, 1e6 / 0.7]), 0.7, "sigmoid", 0.25))
def grad_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.dpo_family_loss_grad(*case), rtol=1e-9, atol=1e-12, what="the gradient")


dpo_family_loss_grad.rejects(FAMILY_ERRORS)
