"""The report's values are pasteable: `python_literal` gives source that evaluates back to an equal
value of the same type, numpy arrays (0-d and empty ones included) and numpy scalars too."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.formatting import call_literal, describe, python_literal, short
from tests.test_codec import same

NATIVE_DTYPES = [
    np.dtype(t)
    for t in (
        np.bool_,
        np.int8,
        np.int64,
        np.uint8,
        np.uint64,
        np.float16,
        np.float32,
        np.float64,
        np.complex128,
    )
]
arrays = st.sampled_from(NATIVE_DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | arrays
    | arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()])
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=10,
)


def evaluated(source: str) -> object:
    return eval(source, {"np": np})


def one_nan(value: Any) -> Any:
    """`value` with every nan made the plain `float('nan')`: a literal spells no nan's sign or payload."""
    if isinstance(value, np.ndarray | np.generic) and value.dtype.kind in "fc":
        array = np.array(value)
        for part in (array.real, array.imag) if array.dtype.kind == "c" else (array,):
            part[np.isnan(part)] = np.nan
        return array if isinstance(value, np.ndarray) else array[()]
    if isinstance(value, float) and np.isnan(value):
        return float("nan")
    if isinstance(value, complex):
        return complex(one_nan(value.real), one_nan(value.imag))
    if isinstance(value, list | tuple):
        return type(value)(one_nan(v) for v in value)
    if isinstance(value, dict):
        return {one_nan(k): one_nan(v) for k, v in value.items()}
    return value


@settings(max_examples=100, deadline=None)
@given(value=values)
@example(value=np.array(-np.nan))  # a nan with its sign bit set (Hypothesis draws such payloads)
def test_python_literal_evaluates_back_to_an_equal_value(value):
    assert same(one_nan(evaluated(python_literal(value))), one_nan(value))


@pytest.mark.parametrize(
    "value, literal",
    [
        (np.array([1.0, 2.0]), "np.array([1.0, 2.0])"),
        (np.array([1, 2], dtype=np.int32), "np.array([1, 2], dtype=np.int32)"),
        (np.zeros((0, 2)), "np.zeros((0, 2), dtype=np.float64)"),
        (np.array(3.0), "np.array(3.0)"),
        (float("-inf"), "float('-inf')"),
        (complex(float("nan"), 1.0), "complex(float('nan'), 1.0)"),
        (
            np.array([complex(0.0, float("inf"))]),
            "np.array([complex(0.0, float('inf'))], dtype=np.complex128)",
        ),
        ((1,), "(1,)"),
        ({"a": np.float64(0.5)}, "{'a': np.float64(0.5)}"),
    ],
)
def test_literals_are_the_ones_a_learner_would_write(value, literal):
    assert python_literal(value) == literal


def test_call_literal_and_short():
    assert call_literal("f", (np.array([1]),), {"axis": 0}) == "f(np.array([1]), axis=0)"
    assert short(np.arange(1000.0), 50).endswith(" ...)") and len(short(np.arange(1000.0), 50)) == 50


def test_describe_says_type_and_shape():
    assert describe(np.zeros((2, 3))) == "float64 array of shape (2, 3)"
    assert describe({"a": 1.0}) == "dict with keys ['a']"
    assert describe((1, 2)) == "tuple of length 2"
