"""What one call of a learner's function did, and the one place where such a call is made.

Both sides of the process boundary share this module: the worker (`autograder._worker`) makes
every call with `observe_call` and sends its `Outcome` as a plain tuple, which the grader's side
(`autograder.sandbox`) rebuilds and checks with `Outcome.from_wire`; `InProcessModule` calls
`observe_call` directly. The worker imports it in the jail, so it imports nothing of the grader
but `autograder.codec`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, MutableMapping
from typing import Any, Literal, NamedTuple, get_args

from autograder.codec import decode, encode

OutcomeKind = Literal["ok", "raised", "missing", "unsendable"]
MAX_MESSAGE = 2000
"""Characters kept of a learner's exception message (the rest is cut on the learner's side)."""


class HelperCall(NamedTuple):
    """A call the learner's function made to another of the learner's lab functions."""

    name: str
    exception_type: str = ""
    message: str = ""


class Outcome(NamedTuple):
    """What one call of a learner function did.

    `kind` is "ok" (returned `value`), "raised" (an exception, by type name, class names and
    message), "missing" (no such function), or "unsendable" (returned something that cannot
    be carried back; `message` says what). `helpers` are the learner's other lab functions the
    call used, in the order of their first call, with the exception each one raised (if any).
    `seconds` is the CPU time the call cost, as the grader measured it (never the worker's word).
    """

    kind: OutcomeKind
    value: Any = None
    exception_type: str = ""
    exception_classes: tuple[str, ...] = ()
    message: str = ""
    mutated: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    helpers: tuple[HelperCall, ...] = ()
    seconds: float = 0.0

    def raised(self, class_name: str) -> bool:
        """True when the call raised an exception of that class or a subclass of it."""
        return self.kind == "raised" and class_name in self.exception_classes

    def to_wire(self) -> tuple[Any, ...]:
        """The plain tuple a worker sends: every field but `seconds`, which is the grader's."""
        return tuple(self)[:-1]

    @classmethod
    def from_wire(cls, data: Any) -> Outcome:
        """Rebuild an outcome from the plain tuple a worker sent; raise ValueError if malformed."""
        if (
            not isinstance(data, tuple)
            or len(data) != len(cls._fields) - 1
            or data[0] not in get_args(OutcomeKind)
        ):
            raise ValueError("malformed outcome")
        kind, value, exception_type, classes, message, mutated, caught, helpers = data
        return cls(
            kind,
            value,
            bounded_text(exception_type),
            bounded_texts(classes),
            bounded_text(message),
            bounded_texts(mutated),
            bounded_texts(caught),
            tuple(HelperCall(*bounded_texts(h)) for h in helpers if isinstance(h, tuple) and len(h) == 3),
        )


class ImportReport(NamedTuple):
    """The worker's first message: the lab imported ("ready"), or how its import failed.

    `missing` is the top-level package a `ModuleNotFoundError` names ("" otherwise), `report`
    the traceback as the learner should see it.
    """

    kind: Literal["ready", "import-error"]
    exception_type: str = ""
    message: str = ""
    report: str = ""
    missing: str = ""

    @classmethod
    def from_wire(cls, data: Any) -> ImportReport:
        """Rebuild the report a worker sent; raise ValueError if malformed."""
        if (
            not isinstance(data, tuple)
            or len(data) != len(cls._fields)
            or data[0] not in ("ready", "import-error")
        ):
            raise ValueError("malformed import report")
        return cls(data[0], *(bounded_text(v, 8000) for v in data[1:]))


def bounded_text(value: Any, limit: int = MAX_MESSAGE) -> str:
    """`value`, a string sent across the boundary, cut to `limit` characters; ValueError if it is not one."""
    if not isinstance(value, str):
        raise ValueError("malformed outcome")
    return value if len(value) <= limit else value[:limit] + f" ... [{len(value) - limit} more characters]"


def bounded_texts(values: Any) -> tuple[str, ...]:
    """The first 20 strings of a tuple or list sent across the boundary, each cut (`bounded_text`)."""
    if not isinstance(values, tuple | list):
        raise ValueError("malformed outcome")
    return tuple(bounded_text(v) for v in values[:20])


def describe_exception(error: BaseException) -> tuple[str, tuple[str, ...], str]:
    """The exception's type name, the names of its classes and its message (cut), as plain data."""
    try:
        message = bounded_text(str(error))
    except Exception:  # a learner's exception whose __str__ fails
        message = "<message could not be read>"
    return type(error).__name__, tuple(cls.__name__ for cls in type(error).__mro__), message


def observe_call(
    namespace: MutableMapping[str, Any],
    name: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    lab_functions: tuple[str, ...] = (),
    copy_inputs: bool = False,
) -> Outcome:
    """Call `namespace[name](*args, **kwargs)` and say what it did.

    While it runs, the other `lab_functions` found in `namespace` are replaced by wrappers that
    record their calls and exceptions (for the report's attribution). The inputs are compared,
    as encoded bytes, before and after the call to detect in-place changes; with `copy_inputs`
    the function gets fresh copies (decoded from those bytes), so the caller's values stay intact.
    """
    function = namespace.get(name)
    if not callable(function):
        return Outcome("missing")
    before = [encode(a) for a in (*args, *kwargs.values())]
    if copy_inputs:
        args = tuple(decode(b) for b in before[: len(args)])
        kwargs = dict(zip(kwargs, (decode(b) for b in before[len(args) :]), strict=True))
    helpers: dict[str, HelperCall] = {}
    originals = {h: namespace[h] for h in lab_functions if h != name and callable(namespace.get(h))}
    for helper, original in originals.items():
        namespace[helper] = _recording(helper, original, helpers)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = function(*args, **kwargs)
            except Exception as error:
                return Outcome("raised", None, *describe_exception(error), helpers=tuple(helpers.values()))
    finally:
        for helper, original in originals.items():
            namespace[helper] = original
    after = [encode(a) for a in (*args, *kwargs.values())]
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    mutated = tuple(n for n, b, a in zip(names, before, after, strict=True) if a != b)
    messages = tuple(bounded_text(f"{w.category.__name__}: {w.message}", 500) for w in caught[:20])
    return Outcome("ok", value, mutated=mutated, warnings=messages, helpers=tuple(helpers.values()))


def _recording(name: str, function: Callable[..., Any], log: dict[str, HelperCall]) -> Callable[..., Any]:
    """`function`, recording in `log` that it was called and what it raised."""

    def recorded(*args: Any, **kwargs: Any) -> Any:
        log.setdefault(name, HelperCall(name))
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if not log[name].exception_type:
                exception_type, _, message = describe_exception(error)
                log[name] = HelperCall(name, exception_type, message)
            raise

    return recorded
