"""Watch mode: re-grade a lab each time the learner saves its file.

    python -m autograder --watch            # or: nox -s grade -- --watch

Grades every lab once, then polls the modification time (and size) of each lab file in the
submission folder, stdlib only, every `interval` seconds. When files change, only their labs are
graded again and the whole scoreboard is printed, the other labs keeping their last verdict.
Ctrl-C ends it cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from autograder.engine import LabResult
from autograder.labs import LAB_MODULES
from autograder.report import Grade, scoreboard

Stamp = tuple[int, int] | None
"""What identifies a saved version of a file: (mtime in ns, size), or None when it is missing."""


def stamp(path: Path) -> Stamp:
    """The file's (mtime_ns, size), or None when there is no such file."""
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def stamps(submission: Path, labs: list[int]) -> dict[int, Stamp]:
    """The stamp of each lab's file."""
    return {n: stamp(submission / f"{LAB_MODULES[n]}.py") for n in labs}


def changed_labs(before: dict[int, Stamp], after: dict[int, Stamp]) -> list[int]:
    """The labs whose file was saved, created or deleted between two polls."""
    return sorted(n for n in after if after[n] != before.get(n))


def watch(
    submission: Path,
    labs: list[int],
    grade: Callable[[list[int]], list[LabResult]],
    *,
    interval: float = 0.5,
    sleep: Callable[[float], None] | None = None,
    polls: int | None = None,
    show: Callable[[str], None] = print,
    on_grade: Callable[[Grade], None] | None = None,
) -> int:
    """Grade `labs`, then re-grade those whose files change; return 0 when stopped.

    `grade(numbers)` grades some labs (e.g. `cli.grade_submission` bound to the folder); `sleep` (default
    `time.sleep`) and `polls` (stop after that many polls; None: until Ctrl-C) let tests drive the loop
    without waiting. `on_grade` sees every new grade (to write results files).
    """
    results: dict[int, LabResult] = {}
    seen = stamps(submission, labs)
    pending = list(labs)
    count = 0
    try:
        while True:
            if pending:
                started = time.perf_counter()
                for number, result in zip(pending, grade(pending), strict=True):
                    results[number] = result
                current = Grade([results[n] for n in labs], time.perf_counter() - started)
                if count:
                    names = ", ".join(f"{LAB_MODULES[n]}.py" for n in pending)
                    show(f"\n--- {names} changed: re-graded ---")
                show(scoreboard(current))
                show(f"Watching {submission} for changes (Ctrl-C to stop) ...")
                if on_grade is not None:
                    on_grade(current)
            if polls is not None and count >= polls:
                return 0
            (sleep or time.sleep)(interval)
            count += 1
            now = stamps(submission, labs)
            pending = changed_labs(seen, now)
            seen = now
    except KeyboardInterrupt:
        show("\nStopped watching.")
        return 0
