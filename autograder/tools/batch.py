"""Grade a whole class of `.py` submissions in parallel, with the same grader as `python -m autograder`.

    python -m autograder.tools.batch SUBMISSIONS_DIR --csv grades.csv [--jobs N] [--json-dir DIR]
                               [--lab N ...] [--timeout SECONDS]

Every folder `SUBMISSIONS_DIR/<student>/` holds that student's `lab1_sft.py` ... `lab4_dpo.py`
(and the provided helpers). Students are graded in a process pool, one student per pool
process and a fresh pool process per student (`max_tasks_per_child=1`); inside it,
`grade_submission` runs each lab's code in its own isolated worker with the per-call time
limit, so no student can touch another's grade. A plain-text progress bar goes to stderr.

The CSV (Python's `csv` module, so a name with a comma stays one field) has one row per student:
`student,total,max,<lab module>...`; `--json-dir` also writes each student's Gradescope
`results.json` as `<student>.json`. Exit status: 0 when every student was graded, 1 when the
grader failed on some student (their row scores 0 and names the problem on stderr), 2 on bad
arguments.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from autograder.cli import grade_submission, write_results
from autograder.labs import LAB_MODULES, available_labs
from autograder.report import Grade


@dataclass(frozen=True)
class StudentGrade:
    """One student's scores, as plain data that crosses process boundaries."""

    student: str
    labs: dict[str, tuple[int, int]]  # lab module -> (earned, possible)
    problem: str = ""

    @property
    def total(self) -> int:
        """Points earned."""
        return sum(earned for earned, _ in self.labs.values())

    @property
    def max(self) -> int:
        """Points possible."""
        return sum(possible for _, possible in self.labs.values())


def grade_student(folder: Path, labs: list[int], time_limit: float, json_dir: Path | None) -> StudentGrade:
    """Grade one student's folder (runs in a pool process); write their JSON report if asked."""
    started = time.perf_counter()
    results = grade_submission(folder, labs, time_limit)
    if json_dir is not None:
        write_results(
            Grade(results, time.perf_counter() - started), {"json": json_dir / f"{folder.name}.json"}
        )
    return StudentGrade(folder.name, {r.lab.module: (r.earned, r.points) for r in results})


class Progress:
    """`[#####.....] 3/6 students, 12 s` on stderr: redrawn in place on a terminal, a line each otherwise."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done = 0
        self.started = time.perf_counter()
        self.live = stream.isatty()

    def advance(self, student: str) -> None:
        """One more student graded."""
        self.done += 1
        filled = self.width * self.done // max(self.total, 1)
        line = (f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} students, "
                f"{time.perf_counter() - self.started:.0f} s  {student}")  # fmt: skip
        if self.live:
            self.stream.write("\r" + line[:120].ljust(120) + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def grade_class(
    submissions: Path,
    labs: list[int],
    *,
    jobs: int | None = None,
    time_limit: float = 2.0,
    json_dir: Path | None = None,
    progress: bool = True,
) -> list[StudentGrade]:
    """Grade every student folder under `submissions`, in parallel; rows sorted by student."""
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    if json_dir is not None:
        json_dir.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(folders)) if progress and folders else None
    grades: list[StudentGrade] = []
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1, max_tasks_per_child=1) as pool:
        futures = {pool.submit(grade_student, f, labs, time_limit, json_dir): f for f in folders}
        for future in as_completed(futures):
            folder = futures[future]
            try:
                grades.append(future.result())
            except Exception as error:  # the grader failed on this student: score 0, say why
                empty = {LAB_MODULES[n]: (0, 0) for n in labs}
                grades.append(StudentGrade(folder.name, empty, f"grader failed: {error!r}"))
            if bar:
                bar.advance(folder.name)
    return sorted(grades, key=lambda g: g.student)


def write_csv(grades: list[StudentGrade], path: Path, labs: list[int]) -> None:
    """`student,total,max,<lab>...`, one row per student."""
    modules = [LAB_MODULES[n] for n in labs]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "max", *modules])
        for g in grades:
            writer.writerow([g.student, g.total, g.max, *(g.labs.get(m, (0, 0))[0] for m in modules)])


def main(argv: list[str] | None = None) -> int:
    """Grade a class; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.batch", description=__doc__.splitlines()[0]
    )
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR", help="one folder per student")
    parser.add_argument("--csv", type=Path, required=True, help="write one row per student here")
    parser.add_argument("--jobs", type=int, default=None, help="students graded at once (default: CPUs)")
    parser.add_argument("--json-dir", type=Path, help="write each student's Gradescope JSON here")
    parser.add_argument("--lab", type=int, action="append", choices=sorted(LAB_MODULES), metavar="N",
                        help="grade only lab N (repeatable)")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=2.0, metavar="SECONDS",
                        help="time limit of one call of a student's code (default 2)")  # fmt: skip
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"no folder {args.submissions}")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be >= 1")
    labs = sorted(set(args.lab or available_labs()))
    grades = grade_class(
        args.submissions, labs, jobs=args.jobs, time_limit=args.timeout, json_dir=args.json_dir
    )
    write_csv(grades, args.csv, labs)
    for g in grades:
        if g.problem:
            print(f"{g.student}: {g.problem}", file=sys.stderr)
    print(f"graded {len(grades)} students: {args.csv}")
    return 1 if any(g.problem for g in grades) else 0


if __name__ == "__main__":
    sys.exit(main())
