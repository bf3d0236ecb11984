"""Lab 2, `preference_probability`: the Bradley-Terry probability."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab2_reward.lab import (
    preference_probability,
    ref,
)


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


preference_probability.matches_reference(
    "matches the reference on random rewards, with broadcasting",
    2,
    _reward_pairs(),
    examples=[(np.array([2.0, 0.0]), np.array(0.0))],
    rtol=1e-9,
    atol=1e-12,
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
    )
    checks.close(forward, ref.preference_probability(a, b), rtol=1e-9, atol=1e-12, what="P(a ≻ b)")


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
        relation="the two equal: only the reward gap matters",
    )
    checks.close(unshifted, ref.preference_probability(a, b), rtol=1e-9, atol=1e-12, what="the probability")


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
    )
    checks.close(
        f(rewards, rewards - 1.0),
        ref.preference_probability(rewards, rewards - 1.0),
        rtol=1e-9,
        atol=1e-12,
        what="the probability when a's reward is 1 above b's",
    )


@preference_probability.holds("saturates to 0 or 1 with no warning for reward gaps up to ±1e6", points=2)
@given(rewards=_reward_pairs(-5e5, 5e5))
@example(rewards=(np.array([1e6, -1e6, 0.0, 0.0]), np.array([0.0, 0.0, 1e6, -1e6])))
def saturates_without_warning(f, rewards):
    outcome = f.attempt(*rewards)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.preference_probability(*rewards), rtol=1e-9, atol=1e-12)


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
