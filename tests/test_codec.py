"""The codec is the security boundary between the learner's process and the grader: every value it
carries comes back equal, of the same types, and anything malformed raises `ValueError`, never
anything else."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.codec import MAX_KEY, Unsendable, decode, encode

SAFE_DTYPES = [
    np.dtype(t)
    for t in (
        np.bool_,
        np.int8,
        np.int16,
        np.int32,
        np.int64,
        np.uint8,
        np.uint16,
        np.uint32,
        np.uint64,
        np.float16,
        np.float32,
        np.float64,
        np.complex64,
        np.complex128,
    )
]
SAFE_DTYPES += [np.dtype(">f8"), np.dtype(">i4")]  # a byte order other than the machine's

CODEC = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

arrays = st.sampled_from(SAFE_DTYPES).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
)
# a numpy bool scalar comes back as a Python bool (see the test below), every other one as itself
numpy_scalars = arrays.filter(lambda a: a.ndim == 0 and a.dtype != np.bool_).map(lambda a: a[()])
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.complex_numbers()
    | st.text(max_size=10)
    | st.binary(max_size=10)
    | arrays
    | numpy_scalars
)
keys = (  # the keys the codec carries: none that could share a hash (MAX_KEY)
    st.none() | st.booleans() | st.integers(-MAX_KEY, MAX_KEY) | st.text(max_size=5)
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=12,
)


def same(a: Any, b: Any) -> bool:
    """Equal values of the same types, bit for bit (nan equals nan, -0.0 is not 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray | np.generic):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float | complex):
        return repr(a) == repr(b)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(k, j) and same(a[k], b[j]) for k, j in zip(a, b, strict=True))
    return a == b


@CODEC
@given(value=values)
def test_decode_inverts_encode(value):
    assert same(decode(encode(value)), value)


def test_numpy_bool_scalars_come_back_as_python_bools():
    assert decode(encode([np.True_, np.array(True)])) == [True, np.array(True)]
    assert type(decode(encode(np.False_))) is bool


@pytest.mark.parametrize("shape", [(), (0,), (2, 0), (0, 3, 1)])
@pytest.mark.parametrize("dtype", SAFE_DTYPES, ids=str)
def test_zero_dimensional_and_empty_arrays_round_trip(dtype, shape):
    array = np.ones(shape, dtype=dtype)
    assert same(decode(encode(array)), array)


def test_decoded_arrays_are_fresh_writable_copies():
    array = np.arange(6.0).reshape(2, 3)
    decoded = decode(encode(array))
    decoded[0, 0] = 99.0
    assert array[0, 0] == 0.0 and type(decoded) is np.ndarray


@pytest.mark.parametrize(
    "value",
    [
        object(),
        np.array(["a"]),
        np.array([object()]),
        np.zeros(2, dtype="datetime64[s]"),
        {1, 2},
        [lambda: 0],
    ],
    ids=["object", "str array", "object array", "datetime array", "set", "function in a list"],
)
def test_unsupported_values_are_unsendable(value):
    with pytest.raises(Unsendable):
        encode(value)


def message(skeleton: Any, sizes: Any, blobs: bytes = b"") -> bytes:
    """A message laid out as `encode` lays it out, with any skeleton and header."""
    body = json.dumps(skeleton).encode()
    header = json.dumps(sizes).encode()
    return struct.pack("<II", len(body), len(header)) + body + header + blobs


json_trees = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)
tags = st.sampled_from([*"nbifcuytlda", "s", "z"])
nodes = st.tuples(tags, json_trees, json_trees, json_trees).map(list)


def decodes_or_refuses(data: bytes) -> None:
    """`decode(data)` returns a value or raises `ValueError`: nothing else may escape."""
    try:
        decode(data)
    except ValueError:
        pass


@CODEC
@given(data=st.binary(max_size=64))
def test_random_bytes_raise_value_error(data):
    decodes_or_refuses(data)


@CODEC
@given(value=values, data=st.data())
def test_corrupted_messages_raise_value_error(value, data):
    encoded = bytearray(encode(value))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255))
    decodes_or_refuses(bytes(encoded))
    decodes_or_refuses(bytes(encoded[: data.draw(st.integers(0, len(encoded)))]))


@CODEC
@given(node=nodes, sizes=json_trees, blobs=st.binary(max_size=32))
def test_crafted_skeletons_raise_value_error(node, sizes, blobs):
    decodes_or_refuses(message(node, sizes, blobs))
    decodes_or_refuses(message(["l", [node]], [len(blobs)], blobs))


@pytest.mark.parametrize(
    "skeleton, sizes, blobs",
    [
        (["a", "|O", [1], 0], [8], b"\0" * 8),  # an object array: would unpickle
        (["a", "<U1", [1], 0], [4], b"a\0\0\0"),  # a str array
        (["a", "<f8", [2], 0], [8], b"\0" * 8),  # a buffer too short for its shape
        (["i", 1e400], [], b""),  # an integer that is infinite
        (["d", [[["l", []], ["n"]]]], [], b""),  # an unhashable key
        (["q"], [], b""),  # an unknown tag
    ],
)
def test_known_attacks_raise_value_error(skeleton, sizes, blobs):
    with pytest.raises(ValueError):
        decode(message(skeleton, sizes, blobs))
