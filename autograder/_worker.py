"""The learner's side of the process boundary: import one lab module and run calls on request.

Started by `autograder.sandbox.IsolatedModule` as `python -I -S -c ...`; it talks over the socket
passed as its first argument, in frames written by `autograder.codec`. Its stdout and stderr go
to /dev/null, so whatever learner code prints never reaches the grader's reports. What a call
did is an `autograder.outcome.Outcome`, made by `autograder.outcome.observe_call`.
"""

from __future__ import annotations

import importlib
import os
import socket
import struct
import sys
import traceback
from collections.abc import MutableMapping
from typing import Any

from autograder.codec import Unsendable, decode, encode
from autograder.outcome import ImportReport, Outcome, bounded_text, describe_exception, observe_call

EXITING = "exiting"
"""The first item of the worker's last message when a call ends its process (`sys.exit`, an
exception that is not an `Exception`): the second says why."""


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
    return bounded_text(
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
        send(sock, (EXITING, f"sys.exit was called (with {bounded_text(repr(exit.code), 200)})"))
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
