"""Lab 1, `next_token_targets`: the shift by one and the loss mask."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab1_sft.lab import (
    next_token_targets,
    ref,
)

SHIFT_HINTS = {
    "inputs": "inputs are tokens[:-1]: every token that is followed by another",
    "targets": "targets are tokens[1:]: the token to predict at each position",
    "loss_mask": "loss_mask is assistant_mask[1:]: train where the *target* was written by the assistant",
}


@next_token_targets.holds("returns (inputs, targets, loss_mask), each of length T-1", points=2)
@given(tokens=st.lists(st.integers(0, 50), min_size=2, max_size=10), data=st.data())
def shifts_by_one(f, tokens, data):
    tokens = np.array(tokens)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens))))
    got = f(tokens, mask)
    expected = ref.next_token_targets(tokens, mask)
    if not (isinstance(got, tuple) and len(got) == 3):
        checks.fail("the result should be a tuple of three arrays", f"Got: {type(got).__name__}")
    for name, g, e in zip(SHIFT_HINTS, got, expected, strict=True):
        checks.equal(g, e, what=name)


next_token_targets.rejects(
    [
        Invalid(
            "tokens has 3 entries and assistant_mask 2",
            ("assistant_mask", "tokens", "length"),
            (np.array([1, 2, 3]), np.array([True, False])),
        ),
        Invalid("T = 1", "tokens", (np.array([4]), np.array([True]))),
    ],
    description="raises ValueError for mismatched lengths and T < 2",
)
