"""The learner's side of the process boundary: import one lab module and run calls on request.

Started by `autograder.sandbox.IsolatedModule` as `python -I -S -c ...`; it talks over the socket
passed as its first argument, in frames written by `autograder.codec`. Its stdout and stderr go
to /dev/null, so whatever learner code prints never reaches the grader's reports.

This module also holds what both sides of the boundary share: the `Outcome` of a call (sent as
a plain tuple, rebuilt and checked by `Outcome.from_wire` on the grader's side) and
`observe_call`, the one place where a call is made, its warnings recorded and in-place changes
of its inputs detected (`autograder.sandbox.InProcessModule` uses it too).
"""

from __future__ import annotations

import importlib
import os
import socket
import struct
import sys
import traceback
import warnings
from collections.abc import Callable, MutableMapping
from typing import Any, Literal, NamedTuple, get_args

from autograder.codec import Unsendable, decode, encode

OutcomeKind = Literal["ok", "raised", "missing", "unsendable"]
EXITING = "exiting"
"""The first item of the worker's last message when a call ends its process (`sys.exit`, an
exception that is not an `Exception`): the second says why."""
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

    def to_wire(self) -> tuple:
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
            _text(exception_type),
            _texts(classes),
            _text(message),
            _texts(mutated),
            _texts(caught),
            tuple(HelperCall(*_texts(h)) for h in helpers if isinstance(h, tuple) and len(h) == 3),
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
        return cls(data[0], *(_text(v, 8000) for v in data[1:]))


def _text(value: Any, limit: int = MAX_MESSAGE) -> str:
    if not isinstance(value, str):
        raise ValueError("malformed outcome")
    return value if len(value) <= limit else value[:limit] + f" ... [{len(value) - limit} more characters]"


def _texts(values: Any) -> tuple[str, ...]:
    if not isinstance(values, tuple | list):
        raise ValueError("malformed outcome")
    return tuple(_text(v) for v in values[:20])


def describe_exception(error: BaseException) -> tuple[str, tuple[str, ...], str]:
    """The exception's type name, the names of its classes and its message (cut), as plain data."""
    try:
        message = _text(str(error))
    except Exception:  # a learner's exception whose __str__ fails
        message = "<message could not be read>"
    return type(error).__name__, tuple(cls.__name__ for cls in type(error).__mro__), message


def observe_call(
    namespace: MutableMapping[str, Any],
    name: str,
    args: tuple,
    kwargs: dict,
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
    messages = tuple(_text(f"{w.category.__name__}: {w.message}", 500) for w in caught[:20])
    return Outcome("ok", value, mutated=mutated, warnings=messages, helpers=tuple(helpers.values()))


def _recording(name: str, function: Callable, log: dict[str, HelperCall]) -> Callable:
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


def send(sock: socket.socket, message: Any) -> None:
    """Write one length-prefixed frame."""
    data = encode(message)
    sock.sendall(struct.pack("<Q", len(data)) + data)


def receive(sock: socket.socket) -> Any:
    """Read one length-prefixed frame (raise EOFError when the grader has gone)."""
    (size,) = struct.unpack("<Q", _exactly(sock, 8))
    return decode(_exactly(sock, size))


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(min(size - len(chunks), 1 << 20))
        if not chunk:
            raise EOFError
        chunks += chunk
    return bytes(chunks)


def _silence_output() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _import_error_report(error: BaseException) -> str:
    lines = traceback.format_exception(error)
    return _text(
        "".join(line for line in lines if "importlib" not in line and "_worker.py" not in line), 8000
    )


def _missing_module(error: BaseException) -> str:
    """The top-level package a `ModuleNotFoundError` names, or ""."""
    if isinstance(error, ModuleNotFoundError) and isinstance(error.name, str):
        return error.name.split(".")[0]
    return ""


def main() -> None:
    """Serve calls until the grader closes the socket."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    submission, module_name, *scratch = sys.argv[2:]
    _silence_output()
    if scratch:  # no jail: confine this process's writes to its own folder (where Linux can)
        from autograder.confine import confine_writes

        confine_writes(scratch[0])
    sys.path.insert(0, submission)
    try:
        module = importlib.import_module(module_name)
    except BaseException as error:  # a syntax error, an import error or sys.exit at import time
        exception_type, _, message = describe_exception(error)
        report = _import_error_report(error)
        send(
            sock, tuple(ImportReport("import-error", exception_type, message, report, _missing_module(error)))
        )
        return
    send(sock, tuple(ImportReport("ready")))
    try:
        _serve(sock, vars(module))
    except SystemExit as exit:  # say why this process ends, then end it as Python would
        send(sock, (EXITING, f"sys.exit was called (with {_text(repr(exit.code), 200)})"))
        raise
    except BaseException as error:  # KeyboardInterrupt, a learner's BaseException, a failure here
        exception_type, _, message = describe_exception(error)
        send(sock, (EXITING, f"an uncaught {exception_type} ended it" + (f": {message}" if message else "")))
        raise


def _serve(sock: socket.socket, namespace: MutableMapping[str, Any]) -> None:
    while True:
        try:
            _, name, args, kwargs, lab_functions = receive(sock)
        except EOFError:
            return
        try:
            send(sock, observe_call(namespace, name, args, kwargs, tuple(lab_functions)).to_wire())
        except Unsendable as error:
            send(sock, Outcome("unsendable", message=str(error)).to_wire())


if __name__ == "__main__":
    main()
