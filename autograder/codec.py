"""Encode values that cross the process boundary as plain data, never as pickles.

The trusted grader must not unpickle anything a learner's process sends: a crafted pickle runs
code. This codec knows a closed set of types (None, bool, int, float, complex, str, bytes, list,
tuple, dict, numpy arrays and scalars of numeric or bool dtype) and decodes them into fresh
plain objects, so nothing the learner defined (no subclass, no `__eq__`) reaches the grader.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import numpy as np

SAFE_KINDS = frozenset("biufc")
MAX_BYTES = 64 * 2**20
"""The largest message either side writes or reads (the labs' values are kilobytes)."""
MAX_DEPTH = 64
"""The deepest nesting of lists, tuples and dicts carried."""
MAX_ITEMS = 2**20
"""The most nodes (values of any type) in one message's skeleton."""
MAX_KEY = 2**61 - 2
"""The largest magnitude of an int dict key. A dict's keys are str, int, bool or None: those
ints hash to themselves (Python's hash is the int modulo 2**61 - 1), so no two keys share a hash
and building any dict takes linear time. (Keys that all hash alike would take quadratic time:
500,000 of them held the grader for minutes.)"""


class Unsendable(TypeError):
    """A value that the codec does not carry (a learner's class, an object array, ...)."""


def encode(value: Any) -> bytes:
    """Serialise `value` to bytes: a JSON skeleton followed by the raw array buffers."""
    blobs: list[bytes] = []
    count = 0

    def walk(v: Any, depth: int = 0) -> Any:
        nonlocal count
        count += 1
        if depth > MAX_DEPTH or count > MAX_ITEMS:
            raise Unsendable(f"a value nested more than {MAX_DEPTH} deep or with more than {MAX_ITEMS} items")
        if v is None:
            return ["n"]
        if isinstance(v, bool | np.bool_):
            return ["b", bool(v)]
        if isinstance(v, np.ndarray | np.generic):
            array = np.asarray(v)
            if array.dtype.kind not in SAFE_KINDS:
                raise Unsendable(f"a numpy array of dtype {array.dtype}")
            blobs.append(np.ascontiguousarray(array).tobytes())
            tag = "a" if isinstance(v, np.ndarray) else "s"
            return [tag, array.dtype.str, list(array.shape), len(blobs) - 1]
        if isinstance(v, int):
            return ["i", int(v)]
        if isinstance(v, float):
            return ["f", float(v)]
        if isinstance(v, complex):
            return ["c", v.real, v.imag]
        if isinstance(v, str):
            return ["u", str(v)]
        if isinstance(v, bytes):
            blobs.append(bytes(v))
            return ["y", len(blobs) - 1]
        if isinstance(v, tuple | list):
            return ["t" if isinstance(v, tuple) else "l", [walk(x, depth + 1) for x in v]]
        if isinstance(v, dict):
            for k in v:
                if not _plain_key(k):
                    raise Unsendable(
                        f"a dict with a key of type {type(k).__name__} (keys: str, int, bool, None)"
                    )
            return ["d", [[walk(k, depth + 1), walk(x, depth + 1)] for k, x in v.items()]]
        raise Unsendable(f"an object of type {type(v).__name__}")

    try:
        skeleton = json.dumps(walk(value), allow_nan=True).encode()
    except (ValueError, OverflowError, RecursionError) as error:  # e.g. an int of 10,000 digits
        raise Unsendable(f"a value the grader does not carry ({error})") from None
    sizes = [len(b) for b in blobs]
    header = json.dumps(sizes).encode()
    total = len(skeleton) + len(header) + sum(sizes)
    if total > MAX_BYTES:
        raise Unsendable(f"a value of {total} bytes (the limit is {MAX_BYTES})")
    return struct.pack("<II", len(skeleton), len(header)) + skeleton + header + b"".join(blobs)


def decode(data: bytes) -> Any:
    """Rebuild a value written by `encode`; raise `ValueError` on anything malformed or too large.

    The limits (`MAX_BYTES`, `MAX_DEPTH`, `MAX_ITEMS`) are enforced here too, on the grader's
    side, whatever the sender claims.
    """
    if len(data) > MAX_BYTES:
        raise ValueError(f"a message of {len(data)} bytes (the limit is {MAX_BYTES})")
    try:
        skeleton_size, header_size = struct.unpack_from("<II", data)
        start = 8 + skeleton_size
        skeleton = json.loads(data[8:start])
        sizes = json.loads(data[start : start + header_size])
        offset = start + header_size
        blobs = []
        for size in sizes:
            blobs.append(data[offset : offset + int(size)])
            offset += int(size)
        return _decode_node(skeleton, blobs, [0], 0)
    except (struct.error, ValueError, TypeError, LookupError, OverflowError, RecursionError) as error:
        raise ValueError(f"malformed message from the learner process: {error}") from None


def _decode_node(node: Any, blobs: list[bytes], count: list[int], depth: int) -> Any:
    count[0] += 1
    if depth > MAX_DEPTH or count[0] > MAX_ITEMS:
        raise ValueError("a value nested too deep or with too many items")
    tag = node[0]
    if tag == "n":
        return None
    if tag == "b":
        return bool(node[1])
    if tag == "i":
        return int(node[1])
    if tag == "f":
        return float(node[1])
    if tag == "c":
        return complex(float(node[1]), float(node[2]))
    if tag == "u":
        return str(node[1])
    if tag == "y":
        return bytes(blobs[node[1]])
    if tag in ("t", "l"):
        items = [_decode_node(x, blobs, count, depth + 1) for x in node[1]]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        out = {}
        for k, v in node[1]:
            key = _decode_node(k, blobs, count, depth + 1)
            if not _plain_key(key):
                raise ValueError("a dict key that is not a str, an int, a bool or None, or an int too large")
            out[key] = _decode_node(v, blobs, count, depth + 1)
        return out
    if tag in ("a", "s"):
        dtype = np.dtype(str(node[1]))
        if dtype.kind not in SAFE_KINDS:
            raise ValueError(f"refused dtype {dtype}")
        shape = tuple(int(n) for n in node[2])
        if len(blobs[node[3]]) != dtype.itemsize * math.prod(shape):
            raise ValueError("an array whose buffer does not match its shape")
        array = np.frombuffer(blobs[node[3]], dtype=dtype).reshape(shape).copy()
        return array if tag == "a" else array[()]
    raise ValueError(f"unknown tag {tag!r}")


def _plain_key(key: Any) -> bool:
    """True for a dict key that cannot share its hash with another: str, bool, None, or an int of
    magnitude at most `MAX_KEY`."""
    if isinstance(key, int) and not isinstance(key, bool):
        return -MAX_KEY <= key <= MAX_KEY
    return key is None or isinstance(key, str | bool)
