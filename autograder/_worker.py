"""The learner's side of the process boundary: import one lab module and run calls on request.

Started by `autograder.sandbox.IsolatedModule` as `python -I -c ...`; it talks over the socket
passed as its first argument, in frames written by `autograder.codec`. Its stdout and stderr go
to /dev/null, so whatever learner code prints never reaches the grader's reports.
"""

from __future__ import annotations

import importlib
import os
import socket
import struct
import sys
import traceback
import warnings
from typing import Any

from autograder.codec import Unsendable, decode, encode


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


def describe_exception(error: BaseException) -> tuple[str, list[str], str]:
    """The exception's type name, the names of its classes and its message, as plain data."""
    try:
        message = str(error)
    except Exception:  # a learner's exception whose __str__ fails
        message = "<message could not be read>"
    return type(error).__name__, [cls.__name__ for cls in type(error).__mro__], message


def _silence_output() -> None:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _import_error_report(error: BaseException) -> str:
    lines = traceback.format_exception(error)
    return "".join(line for line in lines if "importlib" not in line and "_worker.py" not in line)


def _call(module: Any, name: str, args: tuple, kwargs: dict) -> Any:
    function = getattr(module, name, None)
    if not callable(function):
        return ("missing",)
    before = [encode(a) for a in (*args, *kwargs.values())]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = function(*args, **kwargs)
        except Exception as error:
            return ("raised", *describe_exception(error))
    after = [encode(a) for a in (*args, *kwargs.values())]
    names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
    mutated = [n for n, b, a in zip(names, before, after, strict=True) if a != b]
    return ("ok", result, mutated, [f"{w.category.__name__}: {w.message}" for w in caught])


def main() -> None:
    """Serve calls until the grader closes the socket."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    submission, module_name = sys.argv[2], sys.argv[3]
    _silence_output()
    sys.path.insert(0, submission)
    try:
        module = importlib.import_module(module_name)
    except BaseException as error:  # a syntax error, an import error or sys.exit at import time
        send(sock, ("import-error", *describe_exception(error), _import_error_report(error)))
        return
    send(sock, ("ready",))
    while True:
        try:
            _, name, args, kwargs = receive(sock)
        except EOFError:
            return
        reply = _call(module, name, args, kwargs)
        try:
            send(sock, reply)
        except Unsendable as error:
            send(sock, ("unsendable", str(error)))


if __name__ == "__main__":
    main()
