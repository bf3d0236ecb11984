"""Lab 5, `ratio_objective` and `ratio_objective_grad` (clip-higher, GSPO, CISPO): the reference,
the closed forms (the symmetric clip is GRPO's token-level objective, GSPO on one-token responses
is PPO), finite differences (CISPO's weight held constant), CISPO's gradient on every token, the
padding, huge ratios, and the contract's errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab5_grpo.catalogue import HUGE_RATIO_HINT, PADDING_HINT
from autograder.labs.lab5_grpo.lab import SECONDARY, ratio_objective, ratio_objective_grad, ref
from autograder.labs.lab5_grpo.strategies import away_from_bounds, ratio_batches, ratio_case
from autograder.numerics import numerical_gradient

TWO_RESPONSES = (
    [[0.223, -0.288, 9.0], [-0.288, 0.5, 0.05]],
    [[0.0, 0.0, 4.0], [0.0, 0.0, 0.0]],
    [1.0, -1.0],
    [[True, True, False], [True, True, True]],
)
"""Two responses of lengths 2 and 3, with ratios of 1.25 (inside clip-higher's range, above the
symmetric one) and 0.75 (below 1 - clip_low) and a large log-prob on the padding
(`ratio_case(*TWO_RESPONSES, method)`)."""

HUGE_RATIOS = (
    [[800.0, -800.0], [3.0, 0.0]],
    [[0.0, 0.0], [0.0, -700.0]],
    [1.0, 0.5],
    [[True, True], [True, True]],
)
"""Ratios of exp(800) and exp(700) meeting positive advantages."""


def _rho_range(clip_low: float, clip_high: float) -> str:
    return f"clip(rho, {1 - clip_low:g}, {1 + clip_high:g})"


@ratio_objective.holds("matches the reference on random batches (each method)", points=3)
@given(batch=ratio_batches())
@example(batch=ratio_case(*TWO_RESPONSES, "ppo"))
@example(batch=ratio_case(*TWO_RESPONSES, "gspo", 0.2, 0.28))
@example(batch=ratio_case(*TWO_RESPONSES, "cispo"))
def ratio_objective_matches_reference(f, batch):
    method, clip_low, clip_high = batch[4:]
    checks.close(
        f(*batch),
        ref.ratio_objective(*batch),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {method!r} objective",
        hint=f"'ppo': min(rho * A, {_rho_range(clip_low, clip_high)} * A) averaged over the response tokens; "
        "'gspo': the same with s_b = exp(mean log_ratio of response b), averaged over responses; "
        "'cispo': w * A * logp_new with w the clipped ratio, averaged over the response tokens",
    )


@ratio_objective.holds(
    "'ppo' with clip_high == clip_low is grpo_objective with the 'token' aggregation",
    points=2,
    max_examples=SECONDARY,
)
@given(batch=ratio_batches(methods=("ppo",)), clip=st.sampled_from([0.2, 0.1, 0.3]))
@example(batch=ratio_case(*TWO_RESPONSES, "ppo"), clip=0.2)
def symmetric_clip_is_grpo(f, batch, clip):
    new, old, adv, mask = batch[:4]
    checks.close(
        f(new, old, adv, mask, "ppo", clip, clip),
        ref.grpo_objective(new, old, adv, mask, clip, "token"),
        rtol=1e-9,
        atol=1e-12,
        what=f"the 'ppo' objective with clip_low = clip_high = {clip}",
        expected_from=f"grpo_objective(..., clip_eps={clip}, aggregation='token')",
        hint="with a symmetric range 'ppo' is GRPO's clipped surrogate averaged over all response tokens "
        "(sum over tokens / N)",
    )


@ratio_objective.holds(
    "'gspo' on one-token responses equals 'ppo' (s_b is the token's ratio)", points=2, max_examples=SECONDARY
)
@given(batch=ratio_batches(methods=("gspo",), one_token=True))
@example(
    batch=ratio_case(
        [[0.1, 5.0, 5.0], [-0.4, 2.0, 0.0]],
        np.zeros((2, 3)),
        [1.0, -1.0],
        [[True, False, False], [True, False, False]],
        "gspo",
    )
)
def gspo_on_one_token_is_ppo(f, batch):
    new, old, adv, mask, _, clip_low, clip_high = batch
    checks.close(
        f(*batch),
        ref.ratio_objective(new, old, adv, mask, "ppo", clip_low, clip_high),
        rtol=1e-9,
        atol=1e-12,
        what="the 'gspo' objective of one-token responses",
        expected_from="the 'ppo' objective",
        hint="a response of one token has s_b = that token's ratio: average the log-ratios over the "
        "response's own tokens (mask True), not over T",
    )


@ratio_objective.holds("padding values (nan, inf, anything) change nothing", points=2, max_examples=SECONDARY)
@given(batch=ratio_batches(), garbage=st.sampled_from([np.nan, np.inf, -np.inf, 1e3]))
@example(batch=ratio_case([[-0.3, 0.0]], [[0.0, 0.0]], [1.0], [[True, False]], "cispo"), garbage=np.nan)
def ratio_objective_ignores_padding(f, batch, garbage):
    new, old, adv, mask = batch[:4]
    clean = checks.as_float(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, *batch[4:]),
        "the objective with zeros on the padding",
    )
    checks.close(
        clean,
        ref.ratio_objective(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, *batch[4:]),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {batch[4]!r} objective with zeros on the padding",
    )
    if mask.all():
        return
    checks.close(
        f(np.where(mask, new, garbage), np.where(mask, old, -garbage), adv, mask, *batch[4:]),
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the {batch[4]!r} objective with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        hint=PADDING_HINT,
    )


@ratio_objective.holds(
    "stays finite with no warning when a positive advantage meets a huge ratio",
    points=1,
    max_examples=SECONDARY,
)
@given(batch=ratio_batches(log_ratio=900.0))
@example(batch=ratio_case(*HUGE_RATIOS, "ppo"))
@example(batch=ratio_case(*HUGE_RATIOS, "gspo"))
@example(batch=ratio_case(*HUGE_RATIOS, "cispo"))
def ratio_objective_does_not_overflow(f, batch):
    new, old, adv, mask = batch[:4]
    adv = np.abs(adv)  # rho * A with A < 0 really is -inf for a huge rho
    outcome = f.attempt(new, old, adv, mask, *batch[4:])
    got = f.result(outcome)
    checks.finite(got, what=f"the {batch[4]!r} objective", hint=HUGE_RATIO_HINT)
    checks.no_warnings(outcome, hint=HUGE_RATIO_HINT)
    checks.close(
        got,
        ref.ratio_objective(new, old, adv, mask, *batch[4:]),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {batch[4]!r} objective",
    )


def ratio_invalid() -> list[Invalid]:
    new, old = np.zeros((2, 3)), np.zeros((2, 3))
    adv, mask = np.array([1.0, -1.0]), np.array([[True, True, False], [True, False, False]])
    return [
        Invalid(
            "logp_old is (2, 2) and logp_new (2, 3)", ("logp_old", "shape"), (new, old[:, :2], adv, mask)
        ),
        Invalid("mask is (2, 2) and logp_new (2, 3)", ("mask", "shape"), (new, old, adv, mask[:, :2])),
        Invalid("advantages has 3 entries for B = 2", ("advantages", "shape"), (new, old, np.ones(3), mask)),
        Invalid("method = 'grpo'", "method", (new, old, adv, mask), {"method": "grpo"}),
        Invalid("clip_low = 0", "clip_low", (new, old, adv, mask, "ppo", 0.0)),
        Invalid("clip_low = 1", "clip_low", (new, old, adv, mask, "ppo", 1.0)),
        Invalid("clip_high = 0", "clip_high", (new, old, adv, mask, "ppo", 0.2, 0.0)),
        Invalid("clip_high = -0.1", "clip_high", (new, old, adv, mask, "gspo", 0.2, -0.1)),
        Invalid(
            "response 1 has no True in mask", "mask", (new, old, adv, np.array([[True] * 3, [False] * 3]))
        ),
        Invalid(
            "there is no response (B = 0)",
            ("logp_new", "B", "response", "empty"),
            (np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3), dtype=bool)),
        ),
    ]


ratio_objective.rejects(
    ratio_invalid(),
    description="raises ValueError for mismatched shapes, an unknown method, clip_low outside (0, 1), "
    "clip_high <= 0, an empty response and B = 0",
)


# --- ratio_objective_grad ------------------------------------------------------------------------


@ratio_objective_grad.holds("matches the reference on random batches (each method)", points=3)
@given(batch=ratio_batches().map(away_from_bounds))
@example(batch=ratio_case(*TWO_RESPONSES, "cispo"))
@example(batch=ratio_case(*TWO_RESPONSES, "ppo"))
@example(batch=ratio_case(*TWO_RESPONSES, "gspo", 0.2, 0.5))
def ratio_gradient_matches_reference(f, batch):
    checks.close(
        f(*batch),
        ref.ratio_objective_grad(*batch),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {batch[4]!r} gradient",
        hint="'ppo': rho * A / N on unclipped tokens; 'gspo': s_b * A_b / (B * L_b) on the tokens of an "
        "unclipped response; 'cispo': w * A / N on every response token",
    )


def _cispo_frozen_objective(old, adv, mask, clip_low, clip_high, at):
    """CISPO's objective as a function of logp_new with w frozen at the ratios of `at`."""
    w = np.exp(np.clip(np.where(mask, at - old, 0.0), np.log1p(-clip_low), np.log1p(clip_high)))
    return lambda x: float(np.sum(np.where(mask, w * adv[:, None] * x, 0.0)) / mask.sum())


@ratio_objective_grad.holds(
    "equals finite differences of the objective away from the bounds (CISPO's weight held constant)",
    points=3,
    max_examples=SECONDARY,
)
@given(batch=ratio_batches().map(away_from_bounds))
@example(batch=ratio_case(*TWO_RESPONSES, "gspo", 0.2, 0.5))
@example(batch=ratio_case(*TWO_RESPONSES, "cispo"))
def ratio_gradient_matches_finite_differences(f, batch):
    new, old, adv, mask, method, clip_low, clip_high = batch
    if method == "cispo":
        objective = _cispo_frozen_objective(old, adv, mask, clip_low, clip_high, new)
    else:
        objective = lambda x: ref.ratio_objective(x, old, adv, mask, method, clip_low, clip_high)  # noqa: E731
    checks.close(
        f(*batch),
        np.where(mask, numerical_gradient(objective, np.where(mask, new, 0.0)), 0.0),
        rtol=1e-5,
        atol=1e-8,
        what=f"the {method!r} gradient",
        expected_from="finite differences" + (" with w frozen" if method == "cispo" else ""),
        hint="differentiate with respect to logp_new: d rho / d logp_new = rho, d s_b / d logp_new[b, t] = "
        "s_b / L_b, and CISPO's w is a constant",
    )


@ratio_objective_grad.holds(
    "'cispo' gives every response token w * A / N, clipped tokens included", points=2, max_examples=SECONDARY
)
@given(batch=ratio_batches(methods=("cispo",), log_ratio=3.0))
@example(batch=ratio_case([[2.0, -2.0, 0.1]], [[0.0, 0.0, 0.0]], [1.0], [[True, True, True]], "cispo"))
@example(batch=ratio_case([[2.0, -2.0, 0.1]], [[0.0, 0.0, 0.0]], [-1.0], [[True, True, True]], "cispo"))
def cispo_keeps_every_gradient(f, batch):
    new, old, adv, mask, _, clip_low, clip_high = batch
    w = np.clip(np.exp(np.where(mask, new - old, 0.0)), 1 - clip_low, 1 + clip_high)
    checks.close(
        f(*batch),
        np.where(mask, w * adv[:, None] / mask.sum(), 0.0),
        rtol=1e-9,
        atol=1e-12,
        what="the 'cispo' gradient",
        expected_from="w * A / N, w = clip(rho)",
        hint="CISPO's weight is clipped but never zeroes a token: every response token gets w * A / N",
    )


@ratio_objective_grad.holds(
    "padding gets exactly 0 gradient, whatever its values", points=1, max_examples=SECONDARY
)
@given(batch=ratio_batches(), garbage=st.sampled_from([np.nan, np.inf, 1e3]))
@example(batch=ratio_case([[-0.3, 0.0]], [[0.0, 0.0]], [1.0], [[True, False]], "cispo"), garbage=np.nan)
def ratio_gradient_ignores_padding(f, batch, garbage):
    new, old, adv, mask = batch[:4]
    clean = checks.as_array(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, *batch[4:]),
        mask.shape,
        "the gradient with zeros on the padding",
    )
    checks.close(
        clean,
        ref.ratio_objective_grad(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, *batch[4:]),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {batch[4]!r} gradient with zeros on the padding",
    )
    got = f(np.where(mask, new, garbage), np.where(mask, old, -garbage), adv, mask, *batch[4:])
    checks.close(
        got,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the {batch[4]!r} gradient with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        hint=PADDING_HINT,
    )
    if not np.all(checks.as_array(got, mask.shape, "the gradient")[~mask] == 0.0):
        checks.fail("padding positions have a non-zero gradient", hint="padding gets exactly 0.0")


@ratio_objective_grad.holds(
    "stays finite with no warning when a positive advantage meets a huge ratio",
    points=1,
    max_examples=SECONDARY,
)
@given(batch=ratio_batches(log_ratio=900.0))
@example(batch=ratio_case(*HUGE_RATIOS, "ppo"))
@example(batch=ratio_case(*HUGE_RATIOS, "gspo"))
@example(batch=ratio_case(*HUGE_RATIOS, "cispo"))
def ratio_gradient_does_not_overflow(f, batch):
    new, old, adv, mask = batch[:4]
    adv = np.abs(adv)
    outcome = f.attempt(new, old, adv, mask, *batch[4:])
    got = f.result(outcome)
    checks.finite(got, what=f"the {batch[4]!r} gradient", hint=HUGE_RATIO_HINT)
    checks.no_warnings(outcome, hint=HUGE_RATIO_HINT)
    checks.close(
        got,
        ref.ratio_objective_grad(new, old, adv, mask, *batch[4:]),
        rtol=1e-9,
        atol=1e-12,
        what=f"the {batch[4]!r} gradient",
    )


ratio_objective_grad.rejects(
    ratio_invalid(),
    description="raises ValueError for mismatched shapes, an unknown method, clip_low outside (0, 1), "
    "clip_high <= 0, an empty response and B = 0",
)
