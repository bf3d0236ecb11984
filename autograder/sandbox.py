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
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy

from autograder import jail
from autograder._worker import EXITING
from autograder.codec import MAX_BYTES, decode, encode
from autograder.course import provided_helpers
from autograder.outcome import MAX_MESSAGE, ImportReport, Outcome, observe_call

GRADER_ROOT = Path(__file__).resolve().parent.parent
NUMPY_HOME = Path(numpy.__file__).resolve().parent.parent
"""The folder numpy is installed in: the worker's only path to installed packages."""
IMPORT_TIME_LIMIT = 30.0
"""Seconds a lab's imports may take in all: the first one and every restart after a time-out."""
WALL_FACTOR = 10.0
"""A call's limit is CPU time (the worker's, read from /proc by this process), so that the same
code gets the same verdict however busy the machine is. A call that blocks or sleeps uses no CPU:
it is stopped after `WALL_FACTOR` times its limit of wall-clock time."""
_POLL = 0.25
"""Longest wait, in seconds, between two readings of the worker's CPU time during a call (and at
most an eighth of the call's limit): a call is stopped that much after its limit at worst."""
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
    """The call used more than its limit, `limit` seconds of CPU time; or, when `blocked` is
    not 0, it blocked or slept for `blocked` seconds of wall-clock time without using it."""

    def __init__(self, message: str, limit: float, blocked: float = 0.0) -> None:
        super().__init__(message)
        self.limit = limit
        self.blocked = blocked


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
    _scratch: str = field(default="", init=False, repr=False)
    """The only folder an unjailed worker may write to ("" in the jail)."""
    _worker_pid: int | None = field(default=None, init=False, repr=False)
    """The worker's process id as this process sees it (None: not found yet, or no /proc)."""

    def start(self) -> None:
        """Start the worker without waiting for it: its import overlaps with other grading."""
        if self._process is not None:
            return
        ours, theirs = socket.socketpair()
        # -I -S: no environment variables, no user site, no site-packages' `.pth` files; the
        # grader's folder and numpy's are put on the path by hand.
        bootstrap = "import sys; sys.path[:0] = sys.argv[1:3]; del sys.argv[1:3]; from autograder._worker import main; main()"
        command = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            bootstrap,
            str(GRADER_ROOT),
            str(NUMPY_HOME),
            str(theirs.fileno()),
            str(self.submission),
            self.module_name,
        ]
        environment = _worker_environment()
        if not self.jailed:  # no jail: the worker may write only to a folder of its own (Landlock)
            self._scratch = tempfile.mkdtemp(prefix="worker-")
            command.append(self._scratch)
            environment["TMPDIR"] = self._scratch
        options: dict[str, Any] = dict(
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.submission,
            start_new_session=True,
            env=environment,
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
            reply, _ = self._receive(
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
        cpu = _cpu_reader(self._find_worker())
        try:
            self._socket.sendall(_frame(encode(("call", name, args, kwargs, list(lab_functions)))))
        except OSError:
            raise self._died("before the call could be sent") from None
        reply, seconds = self._receive(limit, f"after {limit:g} s of CPU time", cpu)
        if isinstance(reply, tuple) and len(reply) == 2 and reply[0] == EXITING:
            self.close()
            raise CallAborted(
                f"the learner's process ended while running the call: {str(reply[1])[:MAX_MESSAGE]}"
            )
        try:
            outcome = Outcome.from_wire(reply)
        except (ValueError, TypeError):
            self.close()
            raise CallAborted("the learner's process sent a reply the grader cannot read") from None
        return outcome._replace(seconds=seconds)

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
        self._worker_pid = None
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = ""

    def _find_worker(self) -> int | None:
        """The worker's process id (in the jail: the first process below bubblewrap's that is not
        bubblewrap), found once per worker; None where there is no /proc."""
        if self._worker_pid is None and self._process is not None:
            self._worker_pid = _first_descendant(self._process.pid, skip="bwrap" if self.jailed else "")
        return self._worker_pid

    def _receive(
        self, limit: float, timeout_words: str, cpu: Callable[[], float] | None = None
    ) -> tuple[Any, float]:
        """The worker's next reply, and the seconds it cost: its CPU time since `cpu` was made
        plus the time this process took to decode it (wall-clock time when `cpu` is None).

        Raises `CallTimedOut` when that cost passes `limit`, or when the reply has not come
        after `WALL_FACTOR` times `limit` of wall-clock time (`cpu` given).
        """
        assert self._socket is not None
        started = time.monotonic()
        backstop = started + (limit * WALL_FACTOR if cpu is not None else limit)

        def spent() -> float:
            return cpu() if cpu is not None else time.monotonic() - started

        try:
            size = struct.unpack("<Q", self._read(8, limit, backstop, spent))[0]
            if size > MAX_BYTES:
                raise self._died(f"after sending a reply of {size} bytes (the limit is {MAX_BYTES})")
            data = self._read(size, limit, backstop, spent)
        except TimeoutError:
            self.close()
            raise self._timed_out(limit, timeout_words, time.monotonic() - started, cpu) from None
        except (EOFError, OSError):
            raise self._died("while running the call") from None
        seconds = spent()
        decoding = time.monotonic()
        try:
            reply = decode(data)
        except ValueError as error:
            self.close()
            raise CallAborted(
                f"the learner's process sent a reply the grader cannot read ({error})"
            ) from None
        seconds += time.monotonic() - decoding  # a reply slow to decode is charged to its call
        if seconds > limit:
            self.close()
            raise self._timed_out(limit, timeout_words, time.monotonic() - started, None)
        return reply, seconds

    def _timed_out(
        self, limit: float, words: str, elapsed: float, cpu: Callable[[], float] | None
    ) -> CallTimedOut:
        if cpu is not None and elapsed >= limit * WALL_FACTOR and cpu() < limit:
            return CallTimedOut(f"blocked or slept for {elapsed:.0f} s of wall-clock time", limit, elapsed)
        return CallTimedOut(f"timed out {words}", limit)

    def _read(self, size: int, limit: float, backstop: float, spent: Callable[[], float]) -> bytes:
        # One selector for the worker's lifetime, and reads of up to 64 KiB kept in `_pending`, so
        # that a reply's length prefix and body usually arrive in one poll and one recv (a larger
        # buffer costs a fresh mmap on every recv).
        assert self._socket is not None
        if self._selector is None:
            self._selector = selectors.DefaultSelector()
            self._selector.register(self._socket, selectors.EVENT_READ)
        data = self._pending
        while len(data) < size:
            # The CPU time is read only when no data came for a while: a quick call costs no reading.
            if time.monotonic() >= backstop:
                raise TimeoutError
            if not self._selector.select(min(_POLL, limit / 8, backstop - time.monotonic())):
                if spent() >= limit:
                    raise TimeoutError
                continue
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


def _first_descendant(pid: int, skip: str) -> int | None:
    """`pid`, or when its command name is `skip`, the first process below it whose name is not
    (children listed by /proc/PID/task/PID/children); None where there is no /proc."""
    seen = 0
    while seen < 8:
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
                if handle.read().strip() != skip:
                    return pid
            with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
                below = handle.read().split()
        except OSError:
            return None
        if not below:
            return None
        pid, seen = int(below[0]), seen + 1
    return None


def _cpu_reader(pid: int | None) -> Callable[[], float] | None:
    """A function giving the CPU seconds process `pid` (its threads and waited-for children)
    used since this call; None when they cannot be read."""
    if pid is None:
        return None
    path = f"/proc/{pid}/stat"
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        try:
            with open(path, "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0  # the worker is gone: the socket says so
        return sum(int(f) for f in fields[11:15]) / tick

    start = used()
    return lambda: used() - start


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
    return f"exit status {code}, without a word: os._exit was called, or the interpreter failed"


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
        started = time.process_time()
        outcome = observe_call(self.namespace, name, args, kwargs, lab_functions, copy_inputs=True)
        outcome = outcome._replace(seconds=time.process_time() - started)
        if outcome.kind != "ok":
            return outcome
        try:
            return outcome._replace(value=decode(encode(outcome.value)))  # as the worker would send it
        except TypeError as error:
            return Outcome("unsendable", message=str(error), seconds=outcome.seconds)

    def open(self) -> None:
        """Nothing to start: the module is imported already."""

    def close(self) -> None:
        """Nothing to release."""
