"""Print values the way a learner can paste them back into Python, and describe them briefly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

DEFAULT_DTYPES = {"float64", "int64", "bool"}


def python_literal(value: Any) -> str:
    """Source code that rebuilds `value` (numpy arrays as `np.array(...)`), full precision."""
    return "".join(_pieces(value))


def _pieces(value: Any) -> Iterator[str]:
    """`python_literal(value)` piece by piece, so that a caller can stop early on a huge value."""
    if isinstance(value, np.ndarray):
        yield from _array_pieces(value)
    elif isinstance(value, np.generic):
        yield f"np.{value.dtype.name}("
        yield from _pieces(value.item())
        yield ")"
    elif isinstance(value, float | complex):
        yield _number(value)
    elif isinstance(value, tuple | list):
        yield "(" if isinstance(value, tuple) else "["
        for i, item in enumerate(value):
            yield ", " if i else ""
            yield from _pieces(item)
        yield ("," if len(value) == 1 else "") + ")" if isinstance(value, tuple) else "]"
    elif isinstance(value, dict):
        yield "{"
        for i, (key, item) in enumerate(value.items()):
            yield ", " if i else ""
            yield from _pieces(key)
            yield ": "
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**100:
        yield f"<an int of {value.bit_length()} bits>"
    elif isinstance(value, str | bytes) and len(value) > 10_000:
        yield f"{value[:10_000]!r} + ... ({len(value)} characters in all)"
    else:
        yield repr(value)


def _array_pieces(array: np.ndarray) -> Iterator[str]:
    dtype = "" if array.dtype.name in DEFAULT_DTYPES else f", dtype=np.{array.dtype.name}"
    if array.size == 0:
        yield f"np.zeros({array.shape!r}, dtype=np.{array.dtype.name})"
        return
    yield "np.array("
    yield from _nested(array)
    yield f"{dtype})"


def _nested(array: np.ndarray) -> Iterator[str]:
    """The nested-list form of `array`, one row at a time (never the whole array as a list)."""
    if array.ndim == 0:
        item = array.item()
        yield _number(item) if isinstance(item, float | complex) else repr(item)
        return
    yield "["
    for i in range(len(array)):
        yield ", " if i else ""
        yield from _nested(array[i])
    yield "]"


def _number(value: float | complex) -> str:
    """A float or complex as source; nan and inf, which have no literal, as `float('nan')`."""
    if np.isfinite(value):
        return repr(value)
    if isinstance(value, complex):
        return f"complex({_number(value.real)}, {_number(value.imag)})"
    return f"float({str(value)!r})"


def call_literal(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    """`name(arg, ..., key=value)` as pasteable source."""
    parts = [python_literal(a) for a in args] + [f"{k}={python_literal(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def with_article(noun: str) -> str:
    """`noun` after "a" or "an", as it is read: `an int`, `an ndarray`, `a uint8 array`, `a float`."""
    vowel = noun[:1].lower() in "aeio" or (
        noun[:1].lower() == "u" and not noun.lower().startswith(("uint", "uni"))
    )
    return f"{'an' if vowel and noun else 'a'} {noun}"


def describe(value: Any) -> str:
    """A short description of a value's type and shape: `float64 array of shape (2, 3)`."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"numpy {value.dtype} scalar"
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        keys = short(list(value)[:20], 200)
        return f"dict with keys {keys}" if len(value) <= 20 else f"dict with {len(value)} keys, first {keys}"
    return type(value).__name__


def short(value: Any, limit: int = 400) -> str:
    """`python_literal(value)`, cut to `limit` characters (built only that far: a huge value is cheap)."""
    out, size = [], 0
    for piece in _pieces(value):
        out.append(piece)
        size += len(piece)
        if size > limit:
            return "".join(out)[: limit - 5] + " ...)"
    return "".join(out)
