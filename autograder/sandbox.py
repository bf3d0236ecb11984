"""Run learner functions out of the grader's process, with a time limit on every call.

`IsolatedModule` starts a worker process per lab (see `autograder._worker`) and exchanges plain
data with it; `InProcessModule` calls functions directly (for notebooks and for measuring what
isolation costs). Both answer `call()` with an `Outcome`, or raise `CallAborted` when the call
timed out or took the worker down: then the function's remaining properties are not run.

Every call's `Outcome` is made by `autograder._worker.observe_call`, on either side.
"""

from __future__ import annotations

import contextlib
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autograder import jail
from autograder.codec import MAX_BYTES, decode, encode
from autograder.course import provided_helpers
from autograder.outcome import ImportReport, Outcome, observe_call

GRADER_ROOT = Path(__file__).resolve().parent.parent
IMPORT_TIME_LIMIT = 30.0
"""Seconds a lab's imports may take in all: the first one and every restart after a time-out."""
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


class Aborted(BaseException):
    """Grading of a function cannot go on; the message says why, in the learner's words.

    A `BaseException`, so that Hypothesis lets it through at once instead of shrinking the
    input (which would run a slow or fatal call again).
    """


class CallAborted(Aborted):
    """The call did not finish: it timed out or its process died."""


class CallTimedOut(CallAborted):
    """The call ran longer than its limit, `limit` seconds."""

    def __init__(self, message: str, limit: float) -> None:
        super().__init__(message)
        self.limit = limit


class LabImportFailed(Aborted):
    """The lab's module did not import; the message is the error as the learner should see it."""


def learner_packages() -> tuple[str, ...]:
    """What a lab file may import: the one list, shown when a learner imports anything else.

    The provided helpers are the `.py` files of `solutions/` that are not labs (`autograder.course`).
    """
    return ("numpy", "the Python standard library", f"the provided helpers {and_list(provided_helpers())}")


def missing_package_message(package: str) -> str:
    """One line for a lab file that imports a package the grading environment does not have."""
    if package in provided_helpers():
        return f"it imports `{package}`, a helper that comes with the labs: put {package}.py back beside your lab files."
    allowed = and_list(learner_packages())
    return f"it imports `{package}`, which is not installed where labs are graded. A lab file may use only {allowed}."


def and_list(items: tuple[str, ...]) -> str:
    """`a, b and c`."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1])))


class LearnerModule(Protocol):
    """What the grading engine needs from a learner's module, wherever it runs."""

    def open(self) -> None: ...

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        time_limit: float | None = None,
        lab_functions: tuple[str, ...] = (),
    ) -> Outcome: ...

    def close(self) -> None: ...


@dataclass
class IsolatedModule:
    """A lab module imported in a worker process that is restarted after a timeout or a crash."""

    submission: Path
    module_name: str
    time_limit: float = 2.0
    jailed: bool = False
    """Run the worker in a bubblewrap jail (`autograder.jail`); the caller checks it can run."""
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _socket: socket.socket | None = field(default=None, init=False, repr=False)
    _selector: selectors.BaseSelector | None = field(default=None, init=False, repr=False)
    _pending: bytearray = field(default_factory=bytearray, init=False, repr=False)
    _ready: bool = field(default=False, init=False, repr=False)
    _imported: bool = field(default=False, init=False, repr=False)
    _import_seconds: float = field(default=0.0, init=False, repr=False)

    def start(self) -> None:
        """Start the worker without waiting for it: its import overlaps with other grading."""
        if self._process is not None:
            return
        ours, theirs = socket.socketpair()
        bootstrap = (
            "import sys; sys.path.insert(0, sys.argv.pop(1)); from autograder._worker import main; main()"
        )
        command = [
            sys.executable,
            "-I",
            "-c",
            bootstrap,
            str(GRADER_ROOT),
            str(theirs.fileno()),
            str(self.submission),
            self.module_name,
        ]
        options: dict[str, Any] = dict(
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.submission,
            start_new_session=True,
            env=_worker_environment(),
        )
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

        Raises `LabImportFailed` when the lab does not import the first time (an error, a hang, a
        dead process), and `CallAborted` when a restart after a time-out fails or would take the
        lab's imports past `IMPORT_TIME_LIMIT` seconds in all.
        """
        if self._ready:
            return
        remaining = IMPORT_TIME_LIMIT - self._import_seconds
        if remaining <= 0:
            raise CallAborted(
                f"not run: restarting your lab after a time-out re-imports it, and its imports "
                f"have used the {IMPORT_TIME_LIMIT:g} s they may take in all"
            )
        self.start()
        started = time.monotonic()
        try:
            reply = self._receive(
                remaining, f"while importing your lab (its imports may take {IMPORT_TIME_LIMIT:g} s in all)"
            )
        except CallAborted as abort:
            if self._imported:
                raise
            raise LabImportFailed(f"it did not finish importing: {abort}") from None
        finally:
            self._import_seconds += time.monotonic() - started
        try:
            report = ImportReport.from_wire(reply)
        except ValueError:
            self.close()
            raise LabImportFailed("its process sent a reply the grader cannot read while importing") from None
        if report.kind == "import-error":
            self.close()
            raise LabImportFailed(_import_error_text(report))
        self._ready = self._imported = True

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        time_limit: float | None = None,
        lab_functions: tuple[str, ...] = (),
    ) -> Outcome:
        """Run `name(*args, **kwargs)` in the worker and return what happened.

        `time_limit` (default: the module's) bounds the call alone, not the import of a restart.
        """
        self.open()
        assert self._socket is not None
        limit = time_limit or self.time_limit
        try:
            self._socket.sendall(_frame(encode(("call", name, args, kwargs, list(lab_functions)))))
        except OSError:
            raise self._died("before the call could be sent") from None
        reply = self._receive(limit, f"after {limit:g} s")
        try:
            return Outcome.from_wire(reply)
        except (ValueError, TypeError):
            self.close()
            raise CallAborted("the learner's process sent a reply the grader cannot read") from None

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

    def _receive(self, limit: float, timeout_words: str) -> Any:
        assert self._socket is not None
        deadline = time.monotonic() + limit
        try:
            size = struct.unpack("<Q", self._read(8, deadline))[0]
            if size > MAX_BYTES:
                raise self._died(f"after sending a reply of {size} bytes (the limit is {MAX_BYTES})")
            return decode(self._read(size, deadline))
        except TimeoutError:
            self.close()
            raise CallTimedOut(f"timed out {timeout_words}", limit) from None
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


def _import_error_text(report: ImportReport) -> str:
    """What the learner sees when the lab does not import: the missing package, or the error."""
    if report.missing.isidentifier():
        return missing_package_message(report.missing)
    return report.report.strip() or f"{report.exception_type}: {report.message}"


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

    def call(
        self,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        time_limit: float | None = None,
        lab_functions: tuple[str, ...] = (),
    ) -> Outcome:
        """Run `name(*args, **kwargs)` here, on copies of the inputs (no time limit)."""
        outcome = observe_call(self.namespace, name, args, kwargs, lab_functions, copy_inputs=True)
        if outcome.kind != "ok":
            return outcome
        try:
            return outcome._replace(value=decode(encode(outcome.value)))  # as the worker would send it
        except TypeError as error:
            return Outcome("unsendable", message=str(error))

    def open(self) -> None:
        """Nothing to start: the module is imported already."""

    def close(self) -> None:
        """Nothing to release."""
