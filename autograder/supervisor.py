"""Grade labs in grader processes of our own, which this process watches and can always end.

    this process (the supervisor: never runs learner code, writes the results files)
      └─ a grader process per lab (forked; runs the lab's properties)
           └─ the lab's worker (`autograder.sandbox.IsolatedModule`: imports and runs learner code)

Learner code may kill, stop (`SIGSTOP`) or hang the grader process above it, or leave processes
behind (a daemon that escapes its process group). None of that can stop the supervisor: it waits
for each grader's result with a deadline, notices a stopped grader, SIGKILLs what must end, and
on Linux becomes a "child subreaper", so that every orphan of the tree below it becomes its child
and is killed before the results are written. Results come back as JSON, never as pickles.
"""

from __future__ import annotations

import ctypes
import json
import os
import selectors
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.engine import (
    FUNCTION_BUDGET,
    FunctionResult,
    Lab,
    LabResult,
    PropertyResult,
    grade_lab,
    lab_not_graded,
    reference,
)
from autograder.labs import LAB_MODULES, load_lab
from autograder.sandbox import IMPORT_TIME_LIMIT, IsolatedModule, kill_workers

GRADER_MARGIN = 120.0
"""Seconds a lab's grader may take beyond the learner's time budgets (the grader's own work)."""
MAX_RESULT_BYTES = 16 * 2**20
"""The largest result a grader process may send."""
_PR_SET_CHILD_SUBREAPER = 36


@dataclass
class _Running:
    """A grader process at work on one lab."""

    number: int
    pid: int
    fd: int
    deadline: float
    data: bytearray = field(default_factory=bytearray)
    status: int | None = None
    """The wait status, once the process has ended and been reaped."""


def grade_labs_supervised(
    submission: Path, labs: list[int], time_limit: float, jobs: int, jailed: bool = False
) -> list[LabResult]:
    """Grade `labs` of `submission`, up to `jobs` at once; return when every process below is gone.

    `jailed` runs each lab's worker in a bubblewrap jail (`autograder.jail`).
    """
    for number in labs:  # every grader module is imported before any learner code runs
        reference(load_lab(number).module)
    become_subreaper()
    before = set(children())
    queue = sorted(labs, key=lambda n: -sum(len(g.properties) for g in load_lab(n).functions))
    running: dict[int, _Running] = {}
    results: dict[int, LabResult] = {}
    selector = selectors.DefaultSelector()
    try:
        while queue or running:
            while queue and len(running) < max(jobs, 1):
                job = _start(submission, queue.pop(0), time_limit, jailed)
                running[job.fd] = job
                selector.register(job.fd, selectors.EVENT_READ)
            for key, _ in selector.select(timeout=0.1):
                job = running[key.fd]
                chunk = os.read(job.fd, 1 << 16)
                job.data += chunk
                if not chunk:
                    results[job.number] = _finish(job, None)
                elif len(job.data) > MAX_RESULT_BYTES:
                    results[job.number] = _finish(job, "the grader's process sent too large a result")
            for job in running.values():
                if job.number in results:
                    continue
                if _stopped(job):
                    results[job.number] = _finish(job, "your code stopped the grader's process (SIGSTOP)")
                elif time.monotonic() > job.deadline:
                    results[job.number] = _finish(
                        job, "grading this lab took longer than its whole time budget"
                    )
            for fd in [fd for fd, job in running.items() if job.number in results]:
                selector.unregister(fd)
                os.close(fd)
                del running[fd]
                kill_strays(before | {job.pid for job in running.values()})
    finally:
        for job in running.values():
            _end(job.pid)
            os.close(job.fd)
        selector.close()
        kill_strays(before)
    return [results[n] for n in labs]


def _start(submission: Path, number: int, time_limit: float, jailed: bool) -> _Running:
    lab = load_lab(number)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the grader process: grade, send the result, and never return into the caller
        status = 1
        try:
            os.close(read_fd)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
            signal.signal(signal.SIGTERM, _end_grader_process)
            result = _grade_lab_file(lab, submission / f"{LAB_MODULES[number]}.py", time_limit, jailed)
            _write_all(write_fd, json.dumps(_plain(result)).encode())
            status = 0
        except BaseException as error:  # the grader itself failed: say so, as data
            _write_all(write_fd, json.dumps({"error": repr(error)[:2000]}).encode())
        finally:
            kill_workers()
            os._exit(status)
    os.close(write_fd)
    limits = [max(time_limit, g.time_limit or 0.0) for g in lab.functions]
    budget = IMPORT_TIME_LIMIT + sum((FUNCTION_BUDGET + 1) * limit for limit in limits) + GRADER_MARGIN
    return _Running(number, pid, read_fd, time.monotonic() + budget)


def _grade_lab_file(lab: Lab, path: Path, time_limit: float, jailed: bool) -> LabResult:
    """In a grader process: grade one lab file in its own worker."""
    if not path.is_file():
        return lab_not_graded(lab, f"no file {path.name} in {path.parent}")
    worker = IsolatedModule(path.parent.resolve(), path.stem, time_limit, jailed)
    try:
        return grade_lab(lab, worker)
    finally:
        worker.close()


def _end_grader_process(*_: object) -> None:
    kill_workers()
    os._exit(1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish(job: _Running, problem: str | None) -> LabResult:
    """The lab's result: the grader process's, or the lab scored 0 with `problem` (None: read it)."""
    if problem is None:
        status = job.status if job.status is not None else os.waitpid(job.pid, 0)[1]
        try:
            return _result_from_plain(load_lab(job.number), json.loads(bytes(job.data)))
        except (ValueError, TypeError, KeyError, IndexError) as error:
            problem = (
                _died(status) if not job.data else f"the grader's process sent an unreadable result ({error})"
            )
    elif job.status is None:
        _end(job.pid)
    return lab_not_graded(load_lab(job.number), f"this lab could not be graded: {problem}")


def _died(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"the grader's process was killed (signal {os.WTERMSIG(status)}), e.g. by your code"
    return f"the grader's process ended without a result (exit status {os.waitstatus_to_exitcode(status)})"


def _plain(result: LabResult) -> dict[str, Any]:
    return {
        "problem": result.problem,
        "functions": [
            {
                "problem": f.problem,
                "state": f.state,
                "properties": [[p.passed, p.feedback, p.hints] for p in f.properties],
            }
            for f in result.functions
        ],
    }


def _result_from_plain(lab: Lab, data: dict[str, Any]) -> LabResult:
    """A `LabResult` from a grader process's JSON; points and names come from `lab`, not the JSON."""
    if "error" in data:
        return lab_not_graded(lab, f"internal error in the grader: {str(data['error'])[:2000]}")
    functions = data["functions"]
    if len(functions) != len(lab.functions):
        raise ValueError("wrong number of functions")
    out = []
    for graded, plain in zip(lab.functions, functions, strict=True):
        if len(plain["properties"]) != len(graded.properties) or plain["state"] not in (
            "graded",
            "not implemented",
            "stopped",
        ):
            raise ValueError("wrong properties")
        properties = [
            PropertyResult(
                graded.id,
                p.description,
                p.points,
                bool(passed),
                [str(line) for line in feedback],
                [str(hint) for hint in hints],
            )
            for p, (passed, feedback, hints) in zip(graded.properties, plain["properties"], strict=True)
        ]
        out.append(FunctionResult(graded.id, properties, str(plain["problem"]), plain["state"]))
    return LabResult(lab, out, str(data["problem"]))


def _stopped(job: _Running) -> bool:
    """True when the grader process is stopped (a learner sent it SIGSTOP); reap it if it ended."""
    if job.status is not None:
        return False
    try:
        waited, status = os.waitpid(job.pid, os.WNOHANG | os.WUNTRACED)
    except ChildProcessError:
        return False
    if waited and os.WIFSTOPPED(status):
        return True
    if waited:
        job.status = status
    return False


def _end(pid: int) -> None:
    """End a grader process: SIGTERM first (it kills its workers), SIGKILL after a second."""
    for sig in (signal.SIGCONT, signal.SIGTERM):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def become_subreaper() -> None:
    """On Linux, adopt every orphan of the process tree below (so that `kill_strays` finds it)."""
    if sys.platform == "linux":
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def children() -> list[int]:
    """The ids of this process's children (Linux /proc; [] elsewhere)."""
    me, found = os.getpid(), []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def kill_strays(keep: set[int]) -> None:
    """Kill and reap every child of this process not in `keep` (the children it had before, the
    running graders), until none is left: processes learner code left behind, adopted as orphans."""
    for _ in range(100):
        strays = [pid for pid in children() if pid not in keep]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
