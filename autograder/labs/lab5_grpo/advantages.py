"""Lab 5, `group_advantages`: the reference on random rewards, shift and scale invariances, rows
that sum to 0, exact zeros for an all-equal group, and the contract's errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab5_grpo.lab import SECONDARY, group_advantages, ref
from autograder.labs.lab5_grpo.strategies import reward_tables


@group_advantages.holds("matches the reference on random rewards (GRPO and Dr. GRPO)", points=3)
@given(rewards=reward_tables(), normalize_std=st.booleans(), eps=st.sampled_from([1e-6, 0.0, 0.1]))
@example(rewards=np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]]), normalize_std=True, eps=1e-6)
@example(rewards=np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 1.0]]), normalize_std=False, eps=1e-6)
def advantages_match_reference(f, rewards, normalize_std, eps):
    expected = ref.group_advantages(rewards, normalize_std, eps)
    checks.close(
        f(rewards, normalize_std, eps),
        expected,
        rtol=1e-9,
        atol=1e-12,
        what="the advantages",
    )


@group_advantages.holds(
    "adding a constant to a prompt's rewards changes nothing", points=1, max_examples=SECONDARY
)
@given(rewards=reward_tables(equal_row=False), normalize_std=st.booleans(), data=st.data())
@example(rewards=np.array([[1.0, 0.0], [0.0, 1.0]]), normalize_std=True, data=None)
def advantages_are_shift_invariant(f, rewards, normalize_std, data):
    shifts = np.arange(rewards.shape[0], dtype=np.float64)[:, None] * 3.0 + 1.0
    if data is not None:
        shifts = data.draw(gen.arrays((rewards.shape[0], 1), -10.0, 10.0), label="shift of each row")
    base = checks.as_array(f(rewards, normalize_std), rewards.shape, "the advantages")
    shifted = checks.as_array(
        f(rewards + shifts, normalize_std), rewards.shape, "the advantages of the shifted rewards"
    )
    checks.close(
        shifted,
        base,
        rtol=1e-7,
        atol=1e-7,
        what="the advantages after adding a constant to each row",
        got_from="group_advantages(rewards + c)",
        expected_from="group_advantages(rewards)",
        relation="the two equal: adding a constant to a group changes nothing",
    )
    checks.close(
        base, ref.group_advantages(rewards, normalize_std), rtol=1e-7, atol=1e-7, what="the advantages"
    )


@group_advantages.holds(
    "scaling rewards by a > 0: GRPO unchanged, Dr. GRPO scaled by a", points=1, max_examples=SECONDARY
)
@given(rewards=reward_tables(equal_row=False), scale=st.sampled_from([3.0, 0.25, 10.0]))
def advantages_scale_as_documented(f, rewards, scale):
    grpo = checks.as_array(f(rewards, True, 0.0), rewards.shape, "GRPO's advantages (eps = 0)")
    checks.close(
        f(rewards * scale, True, 0.0),
        grpo,
        rtol=1e-9,
        atol=1e-9,
        what=f"GRPO's advantages (eps = 0) of the rewards times {scale}",
        got_from=f"group_advantages({scale} * rewards, True, 0.0)",
        expected_from="group_advantages(rewards, True, 0.0)",
        relation="the two equal: GRPO's advantages do not change with the reward scale",
    )
    drgrpo = checks.as_array(f(rewards, False), rewards.shape, "Dr. GRPO's advantages")
    checks.close(
        f(rewards * scale, False),
        scale * drgrpo,
        rtol=1e-9,
        atol=1e-9,
        what=f"Dr. GRPO's advantages of the rewards times {scale}",
        got_from=f"group_advantages({scale} * rewards, False)",
        expected_from=f"{scale} * group_advantages(rewards, False)",
        relation="the first to be the second times the scale: Dr. GRPO's advantages scale with the rewards",
    )
    checks.close(
        grpo, ref.group_advantages(rewards, True, 0.0), rtol=1e-9, atol=1e-9, what="GRPO's advantages"
    )


@group_advantages.holds("every row sums to 0", points=1, max_examples=SECONDARY)
@given(rewards=reward_tables(), normalize_std=st.booleans())
@example(rewards=np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]), normalize_std=True)
def advantage_rows_sum_to_zero(f, rewards, normalize_std):
    got = checks.as_array(f(rewards, normalize_std), rewards.shape, "the advantages")
    checks.close(
        got.sum(axis=1),
        np.zeros(rewards.shape[0]),
        rtol=0.0,
        atol=1e-9,
        what="the sum of each row of advantages",
    )
    checks.close(
        got, ref.group_advantages(rewards, normalize_std), rtol=1e-7, atol=1e-7, what="the advantages"
    )


@group_advantages.holds("an all-equal group gives exactly 0, whatever eps (0 included)", points=2)
@given(
    value=st.sampled_from([0.0, 1.0, 0.1, 0.7, -3.3]),
    g=st.integers(2, 7),
    normalize_std=st.booleans(),
    eps=st.sampled_from([0.0, 1e-6]),
)
@example(value=0.1, g=3, normalize_std=True, eps=0.0)
@example(value=1.0, g=4, normalize_std=True, eps=0.0)
def equal_group_has_zero_advantages(f, value, g, normalize_std, eps):
    rewards = np.array([[1.0, 0.0] + [0.0] * (g - 2), [value] * g])
    got = checks.as_array(f(rewards, normalize_std, eps), rewards.shape, "the advantages")
    checks.finite(
        got,
        what="the advantages",
    )
    if not np.all(got[1] == 0.0):
        checks.fail(
            "an all-equal group does not get exactly 0",
            f"Rewards of the group: {rewards[1].tolist()}",
            f"Got:      {got[1].tolist()}",
        )
    checks.close(
        got, ref.group_advantages(rewards, normalize_std, eps), rtol=1e-7, atol=1e-7, what="the advantages"
    )


group_advantages.rejects(
    [
        Invalid("rewards is 1-D", "rewards", (np.array([1.0, 0.0]),)),
        Invalid("rewards has one response per prompt (G = 1)", "rewards", (np.array([[1.0], [0.0]]),)),
        Invalid("eps = -1e-3", "eps", (np.array([[1.0, 0.0]]),), {"eps": -1e-3}),
        Invalid("rewards holds nan", "rewards", (np.array([[1.0, np.nan]]),)),
        Invalid("rewards holds inf", "rewards", (np.array([[np.inf, 0.0]]),)),
    ],
    description="raises ValueError for 1-D rewards, G < 2, eps < 0 and non-finite rewards",
)
