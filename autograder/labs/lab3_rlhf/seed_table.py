"""`rlhf_capability_step`: the seed's toy RLHF loop on four capability scores."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import ref, rlhf_capability_step
from autograder.labs.lab3_rlhf.strategies import capability_cases


@rlhf_capability_step.holds("reproduces the seed's RLHF table (58.8 -> 62.2 over five iterations)", points=1)
def reproduces_the_seed_table(f):
    capabilities, weights = ref.SEED_CAPABILITIES, ref.SEED_REWARD_WEIGHTS
    weight_vector = np.array(list(weights.values()))
    scores = capabilities
    for iteration in range(1, 6):
        scores = f(scores, weights)
        checks.equal(type(scores).__name__, "dict", what="the result's type")
        checks.equal(
            list(scores),
            list(capabilities),
            what="the capabilities, in order",
        )
        expected = np.array(list(capabilities.values())) + iteration * 2.5 * weight_vector
        checks.close(
            np.array(list(scores.values()), dtype=float),
            expected,
            rtol=1e-12,
            what=f"the scores after iteration {iteration}",
        )
    total = float(weight_vector @ np.array(list(scores.values()), dtype=float))
    checks.close(total, 62.1875, rtol=1e-12, what="the total reward after 5 iterations (seed: 62.2)")


@rlhf_capability_step.holds("matches the reference on random capabilities, weights and kl_penalty", points=1)
@given(case=capability_cases())
def capability_step_matches_reference(f, case):
    capabilities, weights, step_size, kl_penalty, cap = case
    got = f(capabilities, weights, step_size=step_size, kl_penalty=kl_penalty, cap=cap)
    expected = ref.rlhf_capability_step(capabilities, weights, step_size, kl_penalty, cap)
    checks.equal(
        list(got) if isinstance(got, dict) else got,
        list(expected),
        what="the capabilities, in order",
    )
    checks.close(
        np.array(list(got.values()), dtype=float),
        np.array(list(expected.values())),
        what="the scores",
    )


@rlhf_capability_step.holds("respects the cap and kl_penalty (1.0 changes nothing, 0.2 keeps 80 %)", points=1)
def respects_cap_and_kl_penalty(f):
    capabilities, weights = {"a": 50.0, "b": 98.0, "c": 1.0}, {"a": 1.0, "b": 1.0, "c": -1.0}
    cases = [
        (1.0, 100.0, [50.0, 98.0, 1.0], "kl_penalty = 1 removes the whole step: nothing changes"),
        (
            0.2,
            100.0,
            [54.0, 100.0, 0.0],
            "kl_penalty = 0.2 keeps 1 - 0.2 = 80 % of the step; clip to [0, cap]",
        ),
        (0.0, 100.0, [55.0, 100.0, 0.0], "kl_penalty = 0 keeps the full step; clip to [0, cap]"),
        (0.5, 52.0, [52.0, 52.0, 0.0], "no score may exceed `cap` (even one that starts above it)"),
    ]
    for kl_penalty, cap, expected, hint in cases:
        got = f(capabilities, weights, step_size=5.0, kl_penalty=kl_penalty, cap=cap)
        checks.close(
            np.array(list(got.values()), dtype=float),
            np.array(expected),
            rtol=1e-12,
            what=f"the scores with kl_penalty={kl_penalty}, cap={cap}",
            hint=hint,
        )


ONE = {"capabilities": {"a": 1.0}, "reward_weights": {"a": 1.0}}
KEYS = ("reward_weights", "capabilities", "keys")

rlhf_capability_step.rejects(
    [
        Invalid(
            "reward_weights lacks a capability",
            KEYS,
            kwargs={"capabilities": {"a": 1.0, "b": 2.0}, "reward_weights": {"a": 1.0}},
        ),
        Invalid(
            "reward_weights has an extra key",
            KEYS,
            kwargs={"capabilities": {"a": 1.0}, "reward_weights": {"a": 1.0, "z": 1.0}},
        ),
        Invalid("kl_penalty is 1.5", "kl_penalty", kwargs={**ONE, "kl_penalty": 1.5}),
        Invalid("kl_penalty is -0.1", "kl_penalty", kwargs={**ONE, "kl_penalty": -0.1}),
        Invalid("step_size is -1", "step_size", kwargs={**ONE, "step_size": -1.0}),
        Invalid(
            "a capability is nan",
            "capabilities",
            kwargs={"capabilities": {"a": float("nan")}, "reward_weights": {"a": 1.0}},
        ),
        Invalid(
            "a reward weight is inf",
            "reward_weights",
            kwargs={"capabilities": {"a": 1.0}, "reward_weights": {"a": float("inf")}},
        ),
        Invalid("step_size is inf", "step_size", kwargs={**ONE, "step_size": math.inf}),
    ]
)
