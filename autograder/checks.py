"""Assertion helpers for graded properties.

They take values the learner's function already returned (or an `Outcome`), never the function
itself, and raise `PropertyFailed` with a report written for the learner: the type and shape
first, then the values, then a hint that names the likely mistake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

from autograder.formatting import describe, python_literal, short
from autograder.outcome import Outcome


class PropertyFailed(AssertionError):
    """A property does not hold.

    Attributes:
        summary: What is wrong, in one line.
        details: Lines for the report (the input's values, the expected and the actual ones).
        hint: With `proven`, a fact the grader checked and its fix (a wrong type, shape or dtype,
            a missing ValueError), always shown. Otherwise what the property checks, in words,
            shown only when no known mistake matches the learner's value.
        proven: Whether `hint` states a checked fact.
        matched: Hints of the `mistakes` given to a check that the learner's value matches.
        rtol: The relative tolerance of the comparison that failed (for matching mistakes).
        atol: Its absolute tolerance.
    """

    def __init__(
        self,
        summary: str,
        details: list[str] | None = None,
        hint: str = "",
        *,
        proven: bool = False,
        matched: Sequence[str] = (),
        rtol: float = 1e-7,
        atol: float = 1e-9,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.details = details or []
        self.hint = hint
        self.proven = proven
        self.matched = list(matched)
        self.rtol = rtol
        self.atol = atol


def fail(summary: str, *details: str, hint: str = "") -> NoReturn:
    """Raise `PropertyFailed`; `hint` says what the property checks, shown when no known mistake
    matches the learner's value (never a guess at the mistake: the catalogue names those)."""
    raise PropertyFailed(summary, list(details), hint)


def _form(summary: str, *details: str, hint: str = "") -> NoReturn:
    """Raise `PropertyFailed` for a fact the grader checked (type, shape, dtype, an error): its hint
    is always shown."""
    raise PropertyFailed(summary, list(details), hint, proven=True)


def _values_wrong(
    summary: str, details: list[str], hint: str, matched: list[str], rtol: float, atol: float
) -> NoReturn:
    """Raise `PropertyFailed` for values outside the tolerances, with the mistakes they match."""
    raise PropertyFailed(summary, details, hint, matched=matched, rtol=rtol, atol=atol)


def has(what: str) -> str:
    """`what` with "has" or "have": "the advantages have", "the loss has", "kl(p, q) has"."""
    last = what.rsplit(" ", 1)[-1]
    plural = ")" not in last and last.endswith("s") and not last.endswith(("ss", "us", "is"))
    return f"{what} {'have' if plural else 'has'}"


def tolerance(rtol: float, atol: float) -> str:
    """The tolerance of a comparison, as the report states it."""
    return f"|got - expected| <= atol + rtol * |expected| with atol = {atol:g}, rtol = {rtol:g}"


def as_float(got: Any, what: str = "the result") -> float:
    """`got` as a float, after checking that it is a real number (call before any arithmetic)."""
    if not _is_real_scalar(got):
        _form(
            f"{what} should be a float",
            f"Got: {describe(got)} {short(got)}",
            hint="return a Python float (e.g. `float(value)`), not an array or a tuple",
        )
    return float(got)


def as_array(got: Any, shape: tuple[int, ...], what: str = "the result") -> np.ndarray:
    """`got` as a float64 array, after checking it is a float array of `shape` (call before arithmetic)."""
    if not (isinstance(got, np.ndarray) and got.shape == shape and got.dtype.kind == "f"):
        close(got, np.zeros(shape), what=what)  # reports the type, the shape or the dtype
    array: np.ndarray = got.astype(np.float64)
    return array


def as_probabilities(got: Any, size: int, what: str = "the policy", hint: str = "") -> np.ndarray:
    """`got` as a probability vector of length `size`: finite, non-negative, summing to 1 (to 1e-9)."""
    pi = as_array(got, (size,), what)
    finite(pi, what=what, hint=hint)
    if np.any(pi < 0) or abs(pi.sum() - 1.0) > 1e-9:
        fail(
            f"{what} is not a probability vector",
            f"Got: {short(pi)} (sum {pi.sum()!r})",
            hint="a probability vector has non-negative entries that sum to 1 (within 1e-9)",
        )
    return pi


def close_dict(
    got: Any,
    expected: Mapping[Any, float],
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    what: str = "the result",
    keys_hint: str = "",
    hint: str = "",
    mistakes: Mapping[str, Mapping[Any, float]] | None = None,
) -> None:
    """Check a dict of floats against `expected`: a dict, with the same keys in the same order, and
    every value a real number within the tolerances. The report shows both dicts.

    Args:
        got: What the learner's function returned.
        expected: The reference dict.
        rtol: Relative tolerance of each value.
        atol: Absolute tolerance of each value.
        what: How to name the value in the report.
        keys_hint: Said when the keys (or their order) differ.
        hint: Said when a value differs and no known mistake matches.
        mistakes: Known wrong answers, hint text -> the dict that mistake would produce.
    """
    if not isinstance(got, dict):
        _form(
            f"{what} should be a dict",
            f"Expected: {short(dict(expected))}",
            f"Got:      {describe(got)} {short(got)}",
            hint="return a dict, e.g. `{domain: float(score) for ...}`",
        )
    if list(got) != list(expected):
        _form(
            f"{has(what)} the wrong keys (or keys in the wrong order)",
            f"Expected keys: {short(list(expected))}",
            f"Got keys:      {short(list(got))}",
            hint=keys_hint,
        )
    for key, value in got.items():
        if not _is_real_scalar(value):
            _form(
                f"{what}[{key!r}] should be a float",
                f"Got: {describe(value)} {short(value)}",
                hint="return a Python float (e.g. `float(value)`) for every key",
            )
    values = np.array([float(v) for v in got.values()])
    wanted = np.array([float(v) for v in expected.values()])
    ok = _within(values, wanted, rtol, atol)
    if np.all(ok):
        return
    differ = [
        f"{key!r}: expected {float(e)!r}, got {float(g)!r}"
        for key, g, e, good in zip(expected, values, wanted, ok, strict=True)
        if not good
    ]
    known = {h: np.array([float(v) for v in wrong.values()]) for h, wrong in (mistakes or {}).items()}
    _values_wrong(
        f"{has(what)} wrong values",
        [
            f"Expected: {short(dict(expected))}",
            f"Got:      {short(got)}",
            f"{len(differ)} of {len(wanted)} values differ: " + "; ".join(differ[:3]),
            f"Allowed: {tolerance(rtol, atol)}",
        ],
        hint,
        _diagnose(values, known, rtol, atol),
        rtol,
        atol,
    )


def _is_real_scalar(value: Any) -> bool:
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | float | np.integer | np.floating):
        return True
    return isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iuf"


def _within(got: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Elementwise closeness; infinities must match exactly, nan never matches."""
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(got - expected) <= atol + rtol * np.abs(expected)
    result: np.ndarray = np.where(np.isinf(expected), got == expected, close)
    return result


def matches(got: Any, expected: Any, rtol: float, atol: float) -> bool:
    """True when `got` has the shape of `expected` and agrees with it within the tolerances."""
    e = np.asarray(expected, dtype=np.float64)
    try:
        if np.shape(got) != e.shape:  # before converting: `got` may be huge
            return False
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(np.all(_within(g, e, rtol, atol)))


def _diagnose(got: Any, mistakes: Mapping[str, Any], rtol: float, atol: float) -> list[str]:
    """The hints of the known wrong answers that `got` matches."""
    return [
        hint
        for hint, wrong_answer in mistakes.items()
        if wrong_answer is not None and matches(got, wrong_answer, rtol, atol)
    ]


def _labels(expected_from: str, got_from: str) -> tuple[str, str]:
    """The "Expected:" and "Got:" labels, padded to one width, each naming where its value came
    from when that is given (`Expected (log_softmax(x)):`)."""
    expected = f"Expected ({expected_from}):" if expected_from else "Expected:"
    got = f"Got ({got_from}):" if got_from else "Got:"
    width = max(len(expected), len(got)) + 1
    return expected.ljust(width), got.ljust(width)


def _yours(first: str, second: str) -> tuple[str, str]:
    """The labels of two of the learner's own values, padded to one width."""
    a, b = f"Yours ({first}):", f"Yours ({second}):"
    width = max(len(a), len(b)) + 1
    return a.ljust(width), b.ljust(width)


def close(
    got: Any,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    what: str = "the result",
    hint: str = "",
    mistakes: Mapping[str, Any] | None = None,
    got_from: str = "",
    expected_from: str = "",
    relation: str = "",
) -> None:
    """Check a float or float array against the expected value.

    Args:
        got: What the learner's function returned.
        expected: The reference value (a float or a float64 array), or, in a property comparing
            two calls of the learner's function, the value of the other call.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        what: How to name the value in the report.
        hint: What the property checks, in words: said when no known mistake matches.
        mistakes: Known wrong answers, hint text -> the value that mistake would produce; the
            ones `got` matches become the hints (the engine also matches the lab's catalogue).
        got_from: Which call (or combination of calls) gave `got`, shown as `Got (...):`.
        expected_from: What gave `expected`, shown as `Expected (...):`.
        relation: Set when `expected` is the learner's own value too (a relation between two
            calls): the values are shown as `Yours (<expected_from>):` and `Yours (<got_from>):`,
            never as "Expected", followed by `The property needs: <relation>`.
    """
    mistakes = mistakes or {}
    e_label, g_label = _yours(expected_from, got_from) if relation else _labels(expected_from, got_from)
    needs = [f"The property needs: {relation}"] if relation else []
    if np.ndim(expected) == 0 and not (isinstance(expected, np.ndarray) and isinstance(got, np.ndarray)):
        if not _is_real_scalar(got):
            _form(
                f"{what} should be a float",
                f"{e_label}float {expected!r}",
                f"{g_label}{describe(got)} {short(got)}",
                hint="return a Python float (e.g. `float(value)`), not an array or a tuple",
            )
        g, expected = float(got), float(expected)
        if not matches(g, expected, rtol, atol):
            _values_wrong(
                f"{what} is wrong",
                [
                    f"{e_label}{expected!r}",
                    f"{g_label}{g!r}",
                    f"Difference: {abs(g - expected):.3g} (allowed: {tolerance(rtol, atol)})",
                    *needs,
                ],
                hint,
                _diagnose(g, mistakes, rtol, atol),
                rtol,
                atol,
            )
        return
    expected = np.asarray(expected, dtype=np.float64)
    if not isinstance(got, np.ndarray):
        _form(
            f"{what} should be a numpy array",
            f"{e_label}{describe(expected)}",
            f"{g_label}{describe(got)}",
            hint="return `np.asarray(...)` of float64 values",
        )
    if got.shape != expected.shape:
        raise PropertyFailed(
            f"{has(what)} the wrong shape",
            [f"{e_label}{describe(expected)}", f"{g_label}{describe(got)}"],
            "return the shape the docstring states: check which axis you reduce over and keepdims",
            proven=True,
            matched=_diagnose(got, mistakes, rtol, atol),
            rtol=rtol,
            atol=atol,
        )
    if got.dtype.kind != "f":
        _form(
            f"{has(what)} the wrong dtype",
            f"{e_label}{describe(expected)}",
            f"{g_label}{describe(got)}",
            hint="compute in floating point (float64): integer or bool results lose the values",
        )
    ok = _within(got.astype(np.float64), expected, rtol, atol)
    if np.all(ok):
        return
    _values_wrong(
        f"{has(what)} wrong values",
        [
            *_difference_lines(got, expected, ok, e_label, g_label),
            f"Allowed: {tolerance(rtol, atol)}",
            *needs,
        ],
        hint,
        _diagnose(got, mistakes, rtol, atol),
        rtol,
        atol,
    )


def _difference_lines(
    got: np.ndarray, expected: np.ndarray, ok: np.ndarray, e_label: str, g_label: str
) -> list[str]:
    lines = [
        f"{e_label}{describe(expected)}",
        f"  {short(expected)}",
        f"{g_label}{describe(got)}",
        f"  {short(got)}",
    ]
    bad = np.argwhere(~ok)
    shown = [
        f"[{', '.join(map(str, i))}] expected {float(expected[tuple(i)])!r}, got {float(got[tuple(i)])!r}"
        for i in bad[:3]
    ]
    lines.append(f"{len(bad)} of {expected.size} entries differ, first: " + "; ".join(shown))
    with np.errstate(invalid="ignore"):
        gaps = np.abs(got.astype(np.float64) - expected)
    if np.all(np.isfinite(gaps)):
        where = np.unravel_index(int(np.argmax(gaps)), gaps.shape)
        lines.append(f"Largest difference: {gaps[where]:.3g} at {list(map(int, where))}")
    else:
        lines.append("Some entries are nan or inf where finite values were expected.")
    return lines


def equal(
    got: Any,
    expected: Any,
    *,
    what: str = "the result",
    hint: str = "",
    got_from: str = "",
    expected_from: str = "",
) -> None:
    """Check exact equality of arrays (shape, dtype kind, values) or plain values; `got_from` and
    `expected_from` name the calls that gave the two values, as in `close`."""
    e_label, g_label = _labels(expected_from, got_from)
    if isinstance(expected, np.ndarray):
        if not isinstance(got, np.ndarray):
            _form(
                f"{what} should be a numpy array",
                f"{e_label}{describe(expected)}",
                f"{g_label}{describe(got)}",
            )
        if got.shape != expected.shape:
            _form(
                f"{has(what)} the wrong shape",
                f"{e_label}{describe(expected)}",
                f"{g_label}{describe(got)}",
                hint="return the shape the docstring states",
            )
        if got.dtype.kind != expected.dtype.kind:
            _form(
                f"{has(what)} the wrong dtype",
                f"{e_label}{describe(expected)}",
                f"{g_label}{describe(got)}",
                hint=f"keep the dtype of the input ({expected.dtype.name})",
            )
        if not np.array_equal(got, expected):
            fail(
                f"{has(what)} wrong values",
                f"{e_label}{short(expected)}",
                f"{g_label}{short(got)}",
                hint=hint,
            )
        return
    if got != expected:
        fail(f"{what} is wrong", f"{e_label}{python_literal(expected)}", f"{g_label}{short(got)}", hint=hint)


def finite(got: Any, *, what: str = "the result", hint: str = "") -> None:
    """Check that every entry of `got` is a finite number."""
    try:
        values = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        _form(f"{what} should be numeric", f"Got: {describe(got)}", hint="return numbers")
    if not np.all(np.isfinite(values)):
        fail(f"{what} contains nan or inf", f"Got: {short(got)}", hint=hint or "every entry should be finite")


def stable(
    got: Any,
    outcome: Outcome,
    expected: Any,
    *,
    rtol: float = 1e-7,
    atol: float = 1e-9,
    what: str = "the result",
    hint: str = "",
) -> None:
    """Check a value computed on extreme inputs: finite, with no warning on the way (`outcome` is
    its call's), and close to `expected` (see `close`); `hint` says how to compute it stably."""
    finite(got, what=what, hint=hint)
    no_warnings(outcome, hint=hint)
    close(got, expected, rtol=rtol, atol=atol, what=what, hint=hint)


def no_warnings(outcome: Outcome, *, hint: str = "") -> None:
    """Check that the call emitted no warning (numpy's overflow and invalid-value warnings)."""
    if outcome.warnings:
        fail(
            "the call emitted a warning",
            *outcome.warnings[:3],
            hint=hint or "this input should need no warning",
        )


def value_error(outcome: Outcome, arguments: str | tuple[str, ...], *, why: str) -> None:
    """Check that the call raised `ValueError` with a message naming one of `arguments`.

    Args:
        outcome: The call's outcome.
        arguments: The argument name(s) the message should mention.
        why: What is wrong with the input, in words ("lr is 0").
    """
    names = (arguments,) if isinstance(arguments, str) else arguments
    if outcome.kind == "ok":
        _form(
            f"no ValueError although {why}",
            f"Got: returned {short(outcome.value, 200)}",
            hint=f"validate the input and `raise ValueError(...)` naming {names[0]!r}",
        )
    if not outcome.raised("ValueError"):
        _form(
            f"raised {outcome.exception_type} instead of ValueError when {why}",
            f"Message: {outcome.message}",
            hint="check the input yourself before using it and raise ValueError",
        )
    if not any(name.lower() in outcome.message.lower() for name in names):
        _form(
            f"the ValueError's message does not name the argument ({' or '.join(names)})",
            f"Message: {outcome.message!r}",
            hint=f"say which argument is wrong, e.g. '{names[0]} must be ...'",
        )
