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


grpo_objective_grad.matches_reference(
    "matches the reference on random batches (each aggregation)",
    3,
    response_batches().map(_away_from_kinks),
    examples=[
        case(*TWO_RESPONSES_AWAY_FROM_THE_KINKS, "sequence"),
        case(*TWO_RESPONSES_AWAY_FROM_THE_KINKS, "constant"),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the gradient",
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
        )
    unclipped = mask & ~clipped & (a != 0)
    if np.any(got[unclipped] == 0.0):
        checks.fail(
            "a token whose unclipped term is the minimum has 0 gradient",
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
        )
    checks.close(
        got,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the gradient with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        relation="the two equal: values on the padding change nothing",
    )
    checks.close(
        clean,
        ref.grpo_objective_grad(
            np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation
        ),
        rtol=1e-9,
        atol=1e-12,
        what="the gradient with zeros on the padding",
    )


grpo_objective_grad.rejects(
    objective_invalid(),
    description="raises ValueError for mismatched shapes, clip_eps outside (0, 1), an "
    "unknown aggregation, an empty response and B = 0",
)
