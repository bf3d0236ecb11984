"""Lab 1, `log_softmax`: agreement, shift invariance and precision for huge logits."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.labs.lab1_sft.lab import (
    log_softmax,
    ref,
)


@log_softmax.holds("matches the reference on random logits and axes", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=3)), data=st.data())
def log_probabilities_match_reference(f, logits, data):
    axis = data.draw(st.integers(-logits.ndim, logits.ndim - 1), label="axis")
    got, expected = f(logits, axis=axis), ref.log_softmax(logits, axis=axis)
    checks.close(
        got,
        expected,
    )


@log_softmax.holds("is unchanged by adding a constant along the axis", points=1)
@given(logits=gen.arrays(gen.shapes(max_dims=2)), shift=gen.floats(-1e3, 1e3))
@example(logits=np.array([0.0, 1.0]), shift=1000.0)  # exp(1000) overflows
def shift_invariant(f, logits, shift):
    shifted, unshifted = f(logits + shift), f(logits)
    checks.close(
        shifted,
        unshifted,
        rtol=1e-9,
        atol=1e-9,
        what="log_softmax(x + c) compared with log_softmax(x)",
        got_from="log_softmax(x + c)",
        expected_from="log_softmax(x)",
        relation="the two equal: adding a constant along the axis changes nothing",
    )
    checks.close(unshifted, ref.log_softmax(logits), rtol=1e-9, atol=1e-9, what="log_softmax(x)")


@log_softmax.holds("keeps full precision (rtol 1e-12) with no warning for logits up to ±1e300", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=2, max_side=3), -1e300, 1e300))
@example(logits=np.array([1e300, 1e300]))  # exactly -log 2 each: the flagrant case first
@example(logits=np.array([2.0**24, 2.0**24]))
@example(logits=np.array([1e300, -1e300]))
@example(logits=np.array([1000.0, 0.0]))
def precise_for_huge_logits(f, logits):
    outcome = f.attempt(logits)
    got = f.result(outcome)
    checks.finite(
        got,
    )
    checks.no_warnings(
        outcome,
    )
    expected = ref.log_softmax(logits)
    checks.close(
        got,
        expected,
        rtol=1e-12,
        atol=1e-9,
    )
