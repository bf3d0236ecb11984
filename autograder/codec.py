"""Encode values that cross the process boundary as plain data, never as pickles.

The trusted grader must not unpickle anything a learner's process sends: a crafted pickle runs
code. This codec knows a closed set of types (None, bool, int, float, complex, str, bytes, list,
tuple, dict, numpy arrays and scalars of numeric or bool dtype) and decodes them into fresh
plain objects, so nothing the learner defined (no subclass, no `__eq__`) reaches the grader.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

SAFE_KINDS = frozenset("biufc")
MAX_BYTES = 256 * 2**20


class Unsendable(TypeError):
    """A value that the codec does not carry (a learner's class, an object array, ...)."""


def encode(value: Any) -> bytes:
    """Serialise `value` to bytes: a JSON skeleton followed by the raw array buffers."""
    blobs: list[bytes] = []

    def walk(v: Any) -> Any:
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
            return ["t" if isinstance(v, tuple) else "l", [walk(x) for x in v]]
        if isinstance(v, dict):
            return ["d", [[walk(k), walk(x)] for k, x in v.items()]]
        raise Unsendable(f"an object of type {type(v).__name__}")

    skeleton = json.dumps(walk(value), allow_nan=True).encode()
    sizes = [len(b) for b in blobs]
    header = json.dumps(sizes).encode()
    total = len(skeleton) + len(header) + sum(sizes)
    if total > MAX_BYTES:
        raise Unsendable(f"a value of {total} bytes (the limit is {MAX_BYTES})")
    return struct.pack("<II", len(skeleton), len(header)) + skeleton + header + b"".join(blobs)


def decode(data: bytes) -> Any:
    """Rebuild a value written by `encode`; raise `ValueError` on anything malformed."""
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
        return _rebuild(skeleton, blobs)
    except (struct.error, ValueError, TypeError, LookupError, OverflowError, RecursionError) as error:
        raise ValueError(f"malformed message from the learner process: {error}") from None


def _rebuild(node: Any, blobs: list[bytes]) -> Any:
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
        items = [_rebuild(x, blobs) for x in node[1]]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        return {_rebuild(k, blobs): _rebuild(v, blobs) for k, v in node[1]}
    if tag in ("a", "s"):
        dtype = np.dtype(str(node[1]))
        if dtype.kind not in SAFE_KINDS:
            raise ValueError(f"refused dtype {dtype}")
        shape = tuple(int(n) for n in node[2])
        array = np.frombuffer(blobs[node[3]], dtype=dtype).reshape(shape).copy()
        return array if tag == "a" else array[()]
    raise ValueError(f"unknown tag {tag!r}")
