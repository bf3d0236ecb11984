"""Lab 5, `grpo_objective_grad`: the reference, finite differences away from the clip boundaries,
no gradient through clipped tokens or padding, and the contract's errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.labs.lab5_grpo.lab import SECONDARY, grpo_objective_grad, ref
from autograder.labs.lab5_grpo.objective import objective_invalid
from autograder.labs.lab5_grpo.strategies import case, response_batches
from autograder.numerics import numerical_gradient

TWO_RESPONSES_AWAY_FROM_THE_KINKS = (
    [[0.5, -0.3, 9.0], [0.0, 0.5, 0.0]],
    [[0.0, 0.0, 4.0], [0.3, -0.2, 0.3]],
    [1.0, -0.5],
    [[True, True, False], [True, True, True]],
)
"""Like `strategies.TWO_RESPONSES`, with the second response's ratios moved off the clip boundaries."""


def _away_from_kinks(batch):
    """The batch with every response token's ratio at least 0.05 from 1 - clip_eps and 1 + clip_eps."""
    new, old, adv, mask, clip_eps, aggregation = batch
    rho = np.exp(np.where(mask, new - old, 0.0))
    for kink in (1 - clip_eps, 1 + clip_eps):
        rho = np.where(np.abs(rho - kink) < 0.05, rho + 0.1, rho)
    return np.where(mask, old + np.log(rho), new), old, adv, mask, clip_eps, aggregation


def _grad_mistakes(new, old, adv, mask, clip_eps, aggregation) -> dict[str, np.ndarray]:
    """The gradients that the usual mistakes produce, to name them in the hint."""
    expected = ref.grpo_objective_grad(new, old, adv, mask, clip_eps, aggregation)
    rho = np.exp(np.where(mask, new - old, 0.0))
    unclipped_everywhere = ref.grpo_objective_grad(new, old, adv, mask, 0.999999, aggregation)
    weights = {
        "sequence": 1.0 / (mask.shape[0] * mask.sum(axis=1, keepdims=True)),
        "token": 1.0 / mask.sum(),
        "constant": 1.0 / mask.size,
    }[aggregation]
    through = np.where(mask, weights * rho * adv[:, None], 0.0)
    return {
        "a clipped token (clip(rho) * A strictly below rho * A) carries no gradient: its value is constant in "
        "logp_new": through,
        "d rho / d logp_new = rho: the gradient is w * rho * A, not w * A (you differentiated with respect "
        "to rho)": np.where(expected != 0, expected / np.where(rho == 0, 1.0, rho), 0.0),
        "'sequence' weights each token by 1 / (B * L_b), with L_b the response's own length, not 1 / (B * T)": np.where(
            expected != 0, expected * mask.sum(axis=1, keepdims=True) / mask.shape[1], 0.0
        ),
        "'constant' weights each token by 1 / (B * T) (mask.size), not 1 / (number of response tokens)": expected
        * mask.size
        / mask.sum(),
        "padding gets no gradient: give it exactly 0 with np.where(mask, ..., 0.0)": np.where(
            mask, expected, weights * adv[:, None]
        ),
        "clip only where it lowers the objective: the minimum picks rho * A for A > 0 when rho < 1 - clip_eps, "
        "and for A < 0 when rho > 1 + clip_eps": np.where(
            (rho >= 1 - clip_eps) & (rho <= 1 + clip_eps), unclipped_everywhere, 0.0
        ),
    }


@grpo_objective_grad.holds("matches the reference on random batches (each aggregation)", points=3)
@given(batch=response_batches().map(_away_from_kinks))
@example(batch=case(*TWO_RESPONSES_AWAY_FROM_THE_KINKS, "sequence"))
@example(batch=case(*TWO_RESPONSES_AWAY_FROM_THE_KINKS, "constant"))
def gradient_matches_reference(f, batch):
    checks.close(
        f(*batch),
        ref.grpo_objective_grad(*batch),
        rtol=1e-9,
        atol=1e-12,
        what="the gradient",
        mistakes=_grad_mistakes(*batch),
        hint="w[b, t] * rho * A_b on the tokens whose unclipped term is the minimum, 0 elsewhere",
    )


@grpo_objective_grad.holds(
    "equals finite differences of grpo_objective away from the clip boundaries",
    points=3,
    max_examples=SECONDARY,
)
@given(batch=response_batches().map(_away_from_kinks))
@example(batch=case(*TWO_RESPONSES_AWAY_FROM_THE_KINKS, "sequence"))
def gradient_matches_finite_differences(f, batch):
    new, old, adv, mask, clip_eps, aggregation = batch
    numeric = numerical_gradient(lambda x: ref.grpo_objective(x, old, adv, mask, clip_eps, aggregation), new)
    checks.close(
        f(*batch),
        numeric,
        rtol=1e-5,
        atol=1e-8,
        what="the gradient",
        mistakes=_grad_mistakes(*batch),
        hint="differentiate the objective with respect to logp_new: d rho / d logp_new = rho",
    )


@grpo_objective_grad.holds("clipped tokens carry exactly 0 gradient", points=2, max_examples=SECONDARY)
@given(batch=response_batches(log_ratio=2.0).map(_away_from_kinks))
@example(batch=case([[1.0, -1.0, 0.0]], [[0.0, 0.0, 0.0]], [1.0], [[True, True, True]], "token"))
@example(batch=case([[1.0, -1.0, 0.0]], [[0.0, 0.0, 0.0]], [-1.0], [[True, True, True]], "token"))
def clipped_tokens_have_no_gradient(f, batch):
    new, old, adv, mask, clip_eps, _ = batch
    got = checks.as_array(f(*batch), mask.shape, "the gradient")
    rho = np.exp(np.where(mask, new - old, 0.0))
    a = adv[:, None]
    clipped = mask & (((a > 0) & (rho > 1 + clip_eps)) | ((a < 0) & (rho < 1 - clip_eps)))
    if np.any(got[clipped] != 0.0):
        where = [list(map(int, i)) for i in np.argwhere(clipped & (got != 0.0))[:3]]
        checks.fail(
            "a clipped token has a non-zero gradient",
            f"At {where}: {got[clipped & (got != 0.0)][:3]}",
            hint="where clip(rho) * A is strictly below rho * A the minimum is the clipped term, "
            "which does not depend on logp_new: its gradient is exactly 0",
        )
    unclipped = mask & ~clipped & (a != 0)
    if np.any(got[unclipped] == 0.0):
        checks.fail(
            "a token whose unclipped term is the minimum has 0 gradient",
            hint="clip only where it lowers the objective: for A > 0 a ratio below 1 - clip_eps keeps "
            "rho * A (the minimum), and for A < 0 a ratio above 1 + clip_eps does",
        )


@grpo_objective_grad.holds(
    "padding gets exactly 0 gradient, whatever its values", points=1, max_examples=SECONDARY
)
@given(batch=response_batches(), garbage=st.sampled_from([np.nan, np.inf, 1e3, -7.0]))
@example(
    batch=case([[0.3, 0.0]], [[0.0, 0.0]], [1.0], [[True, False]], "token"),
    garbage=np.nan,
)
@example(
    batch=case(
        [[0.3, -2.0, 0.0], [0.1, 0.0, 0.0]],
        np.zeros((2, 3)),
        [-1.0, 0.5],
        [[True, True, False], [True, False, False]],
        "sequence",
    ),
    garbage=np.inf,
)
def padding_has_no_gradient(f, batch, garbage):
    new, old, adv, mask, clip_eps, aggregation = batch
    clean = checks.as_array(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation),
        mask.shape,
        "the gradient with zeros on the padding",
    )
    dirty = np.where(mask, new, garbage), np.where(mask, old, -garbage)
    got = checks.as_array(f(*dirty, adv, mask, clip_eps, aggregation), mask.shape, "the gradient")
    if not np.all(got[~mask] == 0.0):
        checks.fail(
            f"padding positions have a non-zero gradient (with {garbage} on the padding)",
            f"Got on the padding: {got[~mask][:4]}",
            hint="padding is not part of any response: its gradient is exactly 0 (np.where(mask, ..., "
            "0.0), since nan * 0 is still nan)",
        )
    checks.close(
        got,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the gradient with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        hint="the padding's values must not change the response tokens' gradient: select the response "
        "tokens (np.where(mask, ..., 0.0)) before computing anything with them",
    )


grpo_objective_grad.rejects(
    objective_invalid(),
    description="raises ValueError for mismatched shapes, clip_eps outside (0, 1), an "
    "unknown aggregation, an empty response and B = 0",
)
