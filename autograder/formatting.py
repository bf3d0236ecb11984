"""Print values the way a learner can paste them back into Python, and describe them briefly."""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_DTYPES = {"float64", "int64", "bool"}


def python_literal(value: Any) -> str:
    """Source code that rebuilds `value` (numpy arrays as `np.array(...)`), full precision."""
    if isinstance(value, np.ndarray):
        return _array_literal(value)
    if isinstance(value, np.generic):
        return f"np.{value.dtype.name}({python_literal(value.item())})"
    if isinstance(value, float | complex):
        return _number(value)
    if isinstance(value, tuple):
        inner = ", ".join(python_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def _array_literal(array: np.ndarray) -> str:
    dtype = "" if array.dtype.name in DEFAULT_DTYPES else f", dtype=np.{array.dtype.name}"
    if array.size == 0:
        return f"np.zeros({array.shape!r}, dtype=np.{array.dtype.name})"
    body = _nested(array.tolist())
    return f"np.array({body}{dtype})"


def _nested(items: Any) -> str:
    if isinstance(items, list):
        return "[" + ", ".join(_nested(x) for x in items) + "]"
    if isinstance(items, float | complex):
        return _number(items)
    return repr(items)


def _number(value: float | complex) -> str:
    """A float or complex as source; nan and inf, which have no literal, as `float('nan')`."""
    if np.isfinite(value):
        return repr(value)
    if isinstance(value, complex):
        return f"complex({_number(value.real)}, {_number(value.imag)})"
    return f"float({str(value)!r})"


def call_literal(name: str, args: tuple, kwargs: dict) -> str:
    """`name(arg, ..., key=value)` as pasteable source."""
    parts = [python_literal(a) for a in args] + [f"{k}={python_literal(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def describe(value: Any) -> str:
    """A short description of a value's type and shape: `float64 array of shape (2, 3)`."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    if isinstance(value, np.generic):
        return f"numpy {value.dtype} scalar"
    if isinstance(value, tuple | list):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, dict):
        return f"dict with keys {list(value)}"
    return type(value).__name__


def short(value: Any, limit: int = 400) -> str:
    """`python_literal(value)`, cut to `limit` characters."""
    text = python_literal(value)
    return text if len(text) <= limit else text[: limit - 5] + " ...)"
