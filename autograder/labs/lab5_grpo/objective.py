"""Lab 5, `grpo_objective`: the reference on random batches, the mean advantage at the old policy,
padding that changes nothing, aggregations that agree on equal lengths, no overflow, and the
contract's errors (shared with the gradient: `objective_invalid`)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab5_grpo.lab import AGGREGATIONS, SECONDARY, grpo_objective, ref
from autograder.labs.lab5_grpo.strategies import TWO_RESPONSES, case, response_batches

grpo_objective.matches_reference(
    "matches the reference on random batches (each aggregation)",
    3,
    response_batches(),
    examples=[case(*TWO_RESPONSES, "sequence"), case(*TWO_RESPONSES, "constant")],
    rtol=1e-9,
    atol=1e-12,
    what="the objective",
)


@grpo_objective.holds(
    "is the aggregation's mean advantage when rho = 1 (PPO's surrogate at the old policy)",
    points=2,
    max_examples=SECONDARY,
)
@given(batch=response_batches())
@example(
    batch=case(
        np.zeros((2, 3)),
        np.zeros((2, 3)),
        [1.0, -0.5],
        [[True, False, False], [True, True, True]],
        "sequence",
    )
)
@example(
    batch=case(
        np.zeros((2, 3)), np.zeros((2, 3)), [1.0, -0.5], [[True, False, False], [True, True, True]], "token"
    )
)
def objective_at_the_old_policy_is_the_mean_advantage(f, batch):
    _, old, adv, mask, clip_eps, aggregation = batch
    lengths = mask.sum(axis=1)
    expected = {
        "sequence": float(np.mean(adv)),
        "token": float(adv @ lengths / lengths.sum()),
        "constant": float(adv @ lengths / mask.size),
    }
    checks.close(
        f(old, old, adv, mask, clip_eps, aggregation),
        expected[aggregation],
        rtol=1e-9,
        atol=1e-12,
        what=f"the objective with logp_new == logp_old ({aggregation!r})",
    )


@grpo_objective.holds("padding values (nan, inf, anything) change nothing", points=2, max_examples=SECONDARY)
@given(batch=response_batches(), garbage=st.sampled_from([np.nan, np.inf, -np.inf, 1e3, -7.0]))
@example(
    batch=case([[0.3, 0.0]], [[0.0, 0.0]], [1.0], [[True, False]], "token"),
    garbage=np.nan,
)
def objective_ignores_padding(f, batch, garbage):
    new, old, adv, mask, clip_eps, aggregation = batch
    clean = checks.as_float(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation),
        "the objective with zeros on the padding",
    )
    checks.close(
        clean,
        ref.grpo_objective(
            np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation
        ),
        rtol=1e-9,
        atol=1e-12,
        what="the objective with zeros on the padding",
    )
    if mask.all():
        return
    dirty = f(np.where(mask, new, garbage), np.where(mask, old, -garbage), adv, mask, clip_eps, aggregation)
    checks.close(
        dirty,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the objective with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        relation="the two equal: values on the padding change nothing",
    )


@grpo_objective.holds(
    "the aggregations agree when lengths are equal (and 'constant' when rows are full)",
    points=2,
    max_examples=SECONDARY,
)
@given(batch=response_batches(equal_lengths=True), full=st.booleans())
@example(
    batch=case([[0.3, 0.0, 1.0]], [[0.0, 0.0, 0.0]], [1.0], [[True, True, False]], "token"),
    full=False,
)
def aggregations_agree_on_equal_lengths(f, batch, full):
    new, old, adv, mask, clip_eps, _ = batch
    if full:
        mask = np.ones_like(mask)
    values = {
        a: checks.as_float(f(new, old, adv, mask, clip_eps, a), f"the objective with {a!r}")
        for a in (AGGREGATIONS if full else ("token", "sequence"))
    }
    for aggregation, value in values.items():
        checks.close(
            value,
            values["token"],
            rtol=1e-9,
            atol=1e-12,
            what=f"{aggregation!r} (every response {int(mask[0].sum())} of T = {mask.shape[1]} tokens long)",
            got_from=f"aggregation={aggregation!r}",
            expected_from="aggregation='token'",
            relation="the two equal when every response has the same length",
        )
    checks.close(
        values["token"],
        ref.grpo_objective(new, old, adv, mask, clip_eps, "token"),
        rtol=1e-9,
        atol=1e-12,
        what="the objective with 'token'",
    )


@grpo_objective.holds(
    "stays finite with no warning when a positive advantage meets a huge ratio",
    points=1,
    max_examples=SECONDARY,
)
@given(batch=response_batches(log_ratio=900.0))
@example(batch=case([[800.0, -800.0]], [[0.0, 0.0]], [1.0], [[True, True]], "token"))
def objective_does_not_overflow(f, batch):
    new, old, adv, mask, clip_eps, aggregation = batch
    adv = np.abs(adv)  # rho * A with A < 0 really is -inf for huge rho
    adv[0] = max(adv[0], 1.0)
    new = np.where(np.arange(new.size).reshape(new.shape) == 0, old + 800.0, new)  # a huge ratio, always
    outcome = f.attempt(new, old, adv, mask, clip_eps, aggregation)
    got = f.result(outcome)
    checks.stable(
        got,
        outcome,
        ref.grpo_objective(new, old, adv, mask, clip_eps, aggregation),
        rtol=1e-9,
        atol=1e-12,
        what="the objective",
    )


def objective_invalid() -> list[Invalid]:
    new, old = np.zeros((2, 3)), np.zeros((2, 3))
    adv, mask = np.array([1.0, -1.0]), np.array([[True, True, False], [True, False, False]])
    return [
        Invalid(
            "logp_old is (2, 2) and logp_new (2, 3)", ("logp_old", "shape"), (new, old[:, :2], adv, mask)
        ),
        Invalid("mask is (2, 2) and logp_new (2, 3)", ("mask", "shape"), (new, old, adv, mask[:, :2])),
        Invalid("advantages has 3 entries for B = 2", ("advantages", "shape"), (new, old, np.ones(3), mask)),
        Invalid(
            "logp_new, logp_old and mask are 1-D",
            ("logp_new", "shape", "2-D"),
            (new[0], old[0], adv[:1], mask[0]),
        ),
        Invalid("clip_eps = 0", "clip_eps", (new, old, adv, mask, 0.0)),
        Invalid("clip_eps = 1", "clip_eps", (new, old, adv, mask, 1.0)),
        Invalid("aggregation = 'mean'", "aggregation", (new, old, adv, mask), {"aggregation": "mean"}),
        Invalid(
            "response 1 has no True in mask", "mask", (new, old, adv, np.array([[True] * 3, [False] * 3]))
        ),
        Invalid(
            "there is no response (B = 0)",
            ("logp_new", "B", "response", "empty"),
            (np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3), dtype=bool)),
        ),
    ]


grpo_objective.rejects(
    objective_invalid(),
    description="raises ValueError for mismatched shapes, clip_eps outside (0, 1), an "
    "unknown aggregation, an empty response and B = 0",
)
