"""Run learner functions out of the grader's process, with a time limit on every call.

`IsolatedModule` starts a worker process per lab (see `autograder._worker`) and exchanges plain
data with it; `InProcessModule` calls functions directly (for notebooks and for measuring what
isolation costs). Both answer `call()` with an `Outcome`, or raise `CallAborted` when the call
timed out or took the worker down: then the function's remaining properties are not run.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from autograder import jail
from autograder.codec import decode, encode

GRADER_ROOT = Path(__file__).resolve().parent.parent
IMPORT_TIME_LIMIT = 30.0
MAX_REPLY_BYTES = 512 * 2**20
_LIVE_WORKERS: set[int] = set()
"""The process ids (= process group ids) of the workers started here and not closed yet."""


def kill_workers() -> None:
    """Kill every worker this process started, with whatever they started (for signal handlers)."""
    for pid in list(_LIVE_WORKERS):
        _kill_group(pid)


def _kill_group(pid: int) -> None:
    """Kill a worker's process group: the worker leads it, so whatever it started ends too."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass(frozen=True)
class Outcome:
    """What one call of a learner function did.

    `kind` is "ok" (returned `value`), "raised" (an exception, by type name, class names and
    message), "missing" (no such function), or "unsendable" (returned something that cannot
    be carried back; `message` says what).
    """

    kind: str
    value: Any = None
    exception_type: str = ""
    exception_classes: tuple[str, ...] = ()
    message: str = ""
    mutated: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def raised(self, class_name: str) -> bool:
        """True when the call raised an exception of that class or a subclass of it."""
        return self.kind == "raised" and class_name in self.exception_classes


class Aborted(BaseException):
    """Grading of a function cannot go on; the message says why, in the learner's words.

    A `BaseException`, so that Hypothesis lets it through at once instead of shrinking the
    input (which would run a slow or fatal call again).
    """


class CallAborted(Aborted):
    """The call did not finish: it timed out or its process died."""


class LabImportFailed(Aborted):
    """The lab's module did not import; the message is the error as the learner should see it."""


class LearnerModule(Protocol):
    """What the grading engine needs from a learner's module, wherever it runs."""

    def open(self) -> None: ...

    def call(self, name: str, args: tuple, kwargs: dict) -> Outcome: ...

    def close(self) -> None: ...


def _outcome_from_reply(reply: tuple) -> Outcome:
    kind = reply[0]
    if kind == "ok":
        return Outcome("ok", value=reply[1], mutated=tuple(reply[2]), warnings=tuple(reply[3]))
    if kind == "raised":
        return Outcome("raised", exception_type=reply[1], exception_classes=tuple(reply[2]), message=reply[3])
    if kind == "unsendable":
        return Outcome("unsendable", message=reply[1])
    return Outcome("missing")


@dataclass
class IsolatedModule:
    """A lab module imported in a worker process that is restarted after a timeout or a crash."""

    submission: Path
    module_name: str
    time_limit: float = 2.0
    jailed: bool = False
    """Run the worker in a bubblewrap jail (`autograder.jail`); the caller checks it can run."""
    _process: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _socket: socket.socket | None = field(default=None, init=False, repr=False)
    _selector: selectors.BaseSelector | None = field(default=None, init=False, repr=False)
    _pending: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _ready: bool = field(default=False, init=False, repr=False)

    def start(self) -> None:
        """Start the worker without waiting for it: its import overlaps with other grading."""
        if self._process is not None:
            return
        ours, theirs = socket.socketpair()
        bootstrap = (
            "import sys; sys.path.insert(0, sys.argv.pop(1)); from autograder._worker import main; main()"
        )
        command = [sys.executable, "-I", "-c", bootstrap, str(GRADER_ROOT), str(theirs.fileno()),
                   str(self.submission), self.module_name]  # fmt: skip
        options = dict(pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd=self.submission, start_new_session=True,
                       env=_worker_environment())  # fmt: skip
        # Layer 2 (autograder.jail): the same worker command, run in a bubblewrap jail.
        self._process = (
            jail.popen(command, self.submission, **options)
            if self.jailed
            else subprocess.Popen(command, **options)
        )
        _LIVE_WORKERS.add(self._process.pid)
        theirs.close()
        self._socket = ours

    def open(self) -> None:
        """Start the worker if needed and wait until the lab is imported.

        Raises `LabImportFailed` when the lab does not import.
        """
        self.start()
        if not self._ready:
            reply = self._receive(IMPORT_TIME_LIMIT, f"while importing (limit {IMPORT_TIME_LIMIT:g} s)")
            if reply[0] == "import-error":
                self.close()
                raise LabImportFailed(reply[4].strip() or f"{reply[1]}: {reply[3]}")
            self._ready = True

    def call(self, name: str, args: tuple, kwargs: dict) -> Outcome:
        """Run `name(*args, **kwargs)` in the worker and return what happened."""
        self.open()
        assert self._socket is not None
        try:
            self._socket.sendall(_frame(encode(("call", name, args, kwargs))))
        except OSError:
            raise self._died("before the call could be sent") from None
        return _outcome_from_reply(self._receive(self.time_limit, f"after {self.time_limit:g} s"))

    def close(self) -> None:
        """Stop the worker process (it is started again on the next call)."""
        if self._selector is not None:
            self._selector.close()
        self._selector, self._pending = None, bytearray()
        if self._socket is not None:
            self._socket.close()
        if self._process is not None:
            _kill_group(self._process.pid)
            self._process.wait()
            _LIVE_WORKERS.discard(self._process.pid)
        self._process, self._socket, self._ready = None, None, False

    def _receive(self, limit: float, timeout_words: str) -> tuple:
        assert self._socket is not None
        deadline = time.monotonic() + limit
        try:
            size = struct.unpack("<Q", self._read(8, deadline))[0]
            if size > MAX_REPLY_BYTES:
                raise self._died(f"after sending a reply of {size} bytes")
            return decode(self._read(size, deadline))
        except TimeoutError:
            self.close()
            raise CallAborted(f"timed out {timeout_words}") from None
        except (EOFError, OSError, ValueError):
            raise self._died("while running the call") from None

    def _read(self, size: int, deadline: float) -> bytes:
        # One selector for the worker's lifetime, and reads of up to 64 KiB kept in `_pending`, so
        # that a reply's length prefix and body usually arrive in one poll and one recv (a larger
        # buffer costs a fresh mmap on every recv).
        assert self._socket is not None
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._socket, selectors.EVENT_READ)
        data = self._pending
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._selector.select(remaining):
                raise TimeoutError
            chunk = self._socket.recv(1 << 16)
            if not chunk:
                raise EOFError
            data += chunk
        self._pending = data[size:]
        return bytes(data[:size])

    def _died(self, when: str) -> CallAborted:
        process = self._process
        if self.jailed and process is not None:  # bwrap reports the worker's end a moment after it
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.5)
        self.close()
        code = process.returncode if process is not None else None
        code = jail.worker_status(code) if self.jailed else code
        return CallAborted(f"the learner's process died {when} ({_describe_exit(code)})")


def _frame(data: bytes) -> bytes:
    return struct.pack("<Q", len(data)) + data


def _worker_environment() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: os.environ[k] for k in keep if k in os.environ}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    return env


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        return f"killed by signal {-code}, e.g. a segmentation fault" if code == -11 else f"signal {-code}"
    return f"exit status {code}: sys.exit or os._exit was called"


@dataclass
class InProcessModule:
    """A learner module (or a notebook's namespace) called directly in the grader's process.

    No time limit and no protection: for notebooks, where nbgrader bounds each cell, and for
    measuring the cost of isolation.
    """

    namespace: dict[str, Any]

    @classmethod
    def from_file(cls, path: Path) -> InProcessModule:
        """Import a lab file under a private name (a failure raises `LabImportFailed`)."""
        spec = importlib.util.spec_from_file_location(f"_learner_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(path.parent))
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            raise LabImportFailed("".join(traceback.format_exception_only(error)).strip()) from None
        finally:
            sys.path.remove(str(path.parent))
        return cls(vars(module))

    @classmethod
    def from_module(cls, module: ModuleType) -> InProcessModule:
        """Wrap a module that is already imported."""
        return cls(vars(module))

    def call(self, name: str, args: tuple, kwargs: dict) -> Outcome:
        """Run `name(*args, **kwargs)` here, on deep copies to detect in-place changes."""
        function = self.namespace.get(name)
        if not callable(function):
            return Outcome("missing")
        inputs = (*args, *kwargs.values())
        copies = copy.deepcopy((args, kwargs))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = function(*copies[0], **copies[1])
            except Exception as error:
                classes = tuple(c.__name__ for c in type(error).__mro__)
                return Outcome("raised", exception_type=type(error).__name__, exception_classes=classes,
                               message=str(error))  # fmt: skip
        names = [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
        after = (*copies[0], *copies[1].values())
        mutated = tuple(n for n, a, b in zip(names, inputs, after, strict=True) if encode(a) != encode(b))
        try:
            value = decode(encode(value))
        except TypeError as error:
            return Outcome("unsendable", message=str(error))
        messages = tuple(f"{w.category.__name__}: {w.message}" for w in caught)
        return Outcome("ok", value=value, mutated=mutated, warnings=messages)

    def open(self) -> None:
        """Nothing to start: the module is imported already."""

    def close(self) -> None:
        """Nothing to release."""
