"""Grade a whole class of `.py` submissions in parallel, with the same grader as `python -m autograder`.

    nox -s batch -- SUBMISSIONS_DIR [--jobs N] [--lab N ...] [--csv PATH] [--json-dir DIR]
                    [--timeout SECONDS] [--student-timeout SECONDS] [--isolation auto|jail|process]

(`python -m autograder.tools.batch` in a Python with the pinned grading requirements.) Every
folder `SUBMISSIONS_DIR/<student>/` holds that student's lab files, found by the course's rule
(`autograder.tools.finding`: `exercises/`, the folder itself, one level of subfolders, zips;
`exercises/` first, then the top level, then the most recently modified); the provided helpers
always come from the course, so a folder holding only `lab*.py` files gets the grade `nox -s
grade` gives the same files. Students are isolated from each other: every student's lab files
are read into memory before any student's code runs, and each student is graded by a grader
process of its own (`python -m autograder`, one lab at a time) on a private copy of those files.
That process and everything it starts are watched: a student whose processes (and threads)
outnumber `MAX_TASKS`, so that they would take other students' CPU, or whose grading outlasts
`--student-timeout`, is stopped, and their row says so.

The CSV (default `build/batch/grades.csv`; Python's `csv` module, so a name with a comma stays
one field) has one row per student, always, whatever a student's code does:
`student,total,max,<lab module>...,problem,isolation`. The problem column names every lab or function not
graded in full for a reason other than wrong answers (no file, does not import, timed out,
killed, stopped). `--json-dir` (default `build/batch/students/`) gets each student's Gradescope
`results.json` as `<student>.json` and the text scoreboard they would see as `<student>.txt`,
which starts with the file graded for a lab when there was a choice, and the ones ignored. A
plain-text progress bar goes to stderr. Exit status: 0 when every student was graded in full,
1 when some student was not (a one-line summary says how many; the problem column says why),
2 on bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from autograder.cli import UsageError, isolation_for_a_class
from autograder.engine import REPO_ROOT
from autograder.labs import LAB_MODULES, available_labs, load_lab
from autograder.supervisor import become_subreaper, children, kill_strays
from autograder.text import csv_cell
from autograder.tools import finding

MAX_TASKS = 12
"""Processes and threads one student's grading may have at once (the grader's own take 3 to 5)."""
OUT = Path("build") / "batch"
"""Where the CSV and the students' reports go by default (relative to the working folder)."""


@dataclass(frozen=True)
class StudentGrade:
    """One student's scores, as plain data."""

    student: str
    labs: dict[str, tuple[int, int]]  # lab module -> (earned, possible)
    problem: str = ""
    isolation: str = ""
    """How their code ran: the results file's words, or the `--isolation` asked for when there is none."""

    @property
    def total(self) -> int:
        """Points earned."""
        return sum(earned for earned, _ in self.labs.values())

    @property
    def max(self) -> int:
        """Points possible."""
        return sum(possible for _, possible in self.labs.values())


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
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} students, "
            f"{time.perf_counter() - self.started:.0f} s  {student}"
        )
        if self.live:
            self.stream.write("\r" + line[:120].ljust(120) + ("\n" if self.done == self.total else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


@dataclass
class _Student:
    """A student being graded: their grader process and private folder."""

    name: str
    process: subprocess.Popen
    folder: Path
    deadline: float
    files: list[str]
    """The file-finding report: the file graded for a lab when there was a choice, the ones ignored."""


def _start(
    name: str, found: finding.Found, labs: list[int], time_limit: float, deadline: float, isolation: str
) -> _Student:
    folder = Path(tempfile.mkdtemp(prefix="grade-"))
    submission = folder / "submission"
    submission.mkdir()
    finding.stage(found, submission)
    command = [
        sys.executable,
        "-E",
        "-s",
        "-m",
        "autograder",
        "--submission",
        str(submission),
        "--jobs",
        "1",
        "--timeout",
        str(time_limit),
        "--isolation",
        isolation,
        "--fail-under",
        "0",
        "--json",
        str(folder / "results.json"),
        *(a for n in labs for a in ("--lab", str(n))),
    ]
    with (folder / "scoreboard.txt").open("wb") as scoreboard:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=scoreboard,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    return _Student(name, process, folder, time.monotonic() + deadline, found.report())


def _tasks(root: int) -> int:
    """The processes and threads of the tree under `root` (Linux /proc; 0 elsewhere)."""
    parents: dict[int, int] = {}
    threads: dict[int, int] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return 0
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(entry)], threads[int(entry)] = int(fields[1]), int(fields[17])
    tree, changed = {root}, True
    while changed:
        grown = tree | {pid for pid, parent in parents.items() if parent in tree}
        changed, tree = grown != tree, grown
    return sum(threads.get(pid, 0) for pid in tree)


def _stop(student: _Student) -> None:
    try:
        os.killpg(student.process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    student.process.kill()
    student.process.wait()


def _result(student: _Student, labs: list[int], problem: str, json_dir: Path | None) -> StudentGrade:
    """The student's row (`_grade`), with their reports kept in `json_dir`; their private folder removed."""
    try:
        grade = _grade(student, labs, problem)
        if json_dir is not None:
            _keep_reports(student, json_dir, grade)
        return grade
    finally:
        shutil.rmtree(student.folder, ignore_errors=True)


def _grade(student: _Student, labs: list[int], problem: str) -> StudentGrade:
    """The student's row, from the results file their grader wrote (validated), or 0 and `problem`."""
    empty = _zero(labs)
    if problem:
        return StudentGrade(student.name, empty, problem)
    try:
        report = json.loads((student.folder / "results.json").read_text(encoding="utf-8"))
        scores = _lab_scores(report, labs)
    except (OSError, ValueError, TypeError, KeyError) as error:
        code = student.process.returncode
        if code is not None and code < 0:
            return StudentGrade(
                student.name, empty, f"their grader was killed (signal {-code}), e.g. by their code"
            )
        return StudentGrade(student.name, empty, f"no valid results (exit status {code}): {error}")
    code = student.process.returncode
    if code is not None and code < 0:  # a results file from before the kill, or forged
        return StudentGrade(
            student.name, scores, f"their grader was killed (signal {-code}), e.g. by their code"
        )
    problems = _problems(report).replace(str(student.folder / "submission"), "the submission")
    isolation = str(report.get("extra_data", {}).get("isolation", ""))
    return StudentGrade(student.name, scores, "grader could not run" if code == 2 else problems, isolation)


def _keep_reports(student: _Student, json_dir: Path, grade: StudentGrade) -> None:
    """`<student>.txt`: the file-finding report, the scoreboard their grader printed and the
    row's problem; `<student>.json`: the results file, when there is a valid one. Neither holds
    the private folder's path."""
    private = str(student.folder / "submission")
    lines = [*student.files, ""] if student.files else []
    results = student.folder / "results.json"
    try:
        text = results.read_text(encoding="utf-8")
        json.loads(text)
    except (OSError, ValueError):
        (json_dir / f"{student.name}.json").unlink(missing_ok=True)
    else:
        (json_dir / f"{student.name}.json").write_text(
            text.replace(private, "the submission"), encoding="utf-8"
        )
        scoreboard = (student.folder / "scoreboard.txt").read_text(encoding="utf-8", errors="replace")
        lines.append(scoreboard.replace(private, "the submission").rstrip("\n"))
    if grade.problem:
        lines += ["", f"Not graded in full: {grade.problem}"]
    (json_dir / f"{student.name}.txt").write_text("\n".join(lines).lstrip("\n") + "\n", encoding="utf-8")


def _problems(report: dict) -> str:
    """The report's problems (a lab or function not graded in full for a reason other than wrong
    answers: see `autograder.report.problems`) as one cell: `lab1_sft: ...; lab3_rlhf.f: ...`."""
    extra = report.get("extra_data", {})
    found = extra.get("problems", {}) if isinstance(extra, dict) else None
    if not isinstance(found, dict):
        return "the results file's problems are not readable"
    return "; ".join(f"{key}: {' '.join(str(text).split())}"[:300] for key, text in found.items())[:2000]


def _zero(labs: list[int]) -> dict[str, tuple[int, int]]:
    """Every lab scored 0 of its points."""
    return {LAB_MODULES[n]: (0, load_lab(n).points) for n in labs}


def _lab_scores(report: dict, labs: list[int]) -> dict[str, tuple[int, int]]:
    """Each lab's (earned, possible), recomputed from the report's tests."""
    scores = {LAB_MODULES[n]: (0, 0) for n in labs}
    for test in report["tests"]:
        lab = str(test["name"]).split(".", 1)[0]
        if (
            lab in scores
            and isinstance(test["score"], int | float)
            and isinstance(test["max_score"], int | float)
        ):
            earned, possible = scores[lab]
            scores[lab] = (earned + int(test["score"]), possible + int(test["max_score"]))
    return scores


def grade_class(
    submissions: Path,
    labs: list[int],
    *,
    jobs: int | None = None,
    time_limit: float = 2.0,
    json_dir: Path | None = None,
    progress: bool = True,
    student_timeout: float = 900.0,
    isolation: str = "auto",
) -> list[StudentGrade]:
    """Grade every student folder under `submissions`, `jobs` students at once; rows sorted by student.

    `isolation` is the grader's `--isolation`: the jail for `auto` and `jail`, plain processes
    only for `process` (raises `autograder.cli.UsageError` when the jail is needed and cannot run).
    """
    isolation = isolation_for_a_class(isolation)
    folders = sorted(p for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = {
        folder.name: finding.find_lab_files(folder) for folder in folders
    }  # before any student's code runs
    if json_dir is not None:
        json_dir.mkdir(parents=True, exist_ok=True)
    bar = Progress(len(folders)) if progress and folders else None
    become_subreaper()
    before = set(children())
    queue, grades = list(files), {}
    running: list[_Student] = []
    try:
        while queue or running:
            while queue and len(running) < (jobs or os.cpu_count() or 1):
                name = queue.pop(0)
                running.append(_start(name, files[name], labs, time_limit, student_timeout, isolation))
            time.sleep(0.1)
            for student in list(running):
                problem = ""
                if student.process.poll() is None:
                    if _tasks(student.process.pid) > MAX_TASKS:
                        problem = f"stopped: the code started more than {MAX_TASKS} processes or threads"
                    elif time.monotonic() > student.deadline:
                        problem = f"stopped: grading took longer than {student_timeout:g} s"
                    else:
                        continue
                    _stop(student)
                running.remove(student)
                kill_strays(before | {s.process.pid for s in running})
                grades[student.name] = _result(student, labs, problem, json_dir)
                if bar:
                    bar.advance(student.name)
    finally:
        for student in running:
            _stop(student)
            grades.setdefault(student.name, _result(student, labs, "interrupted", None))
        kill_strays(before)
    for name in files:
        grades.setdefault(name, StudentGrade(name, _zero(labs), "not graded"))
    return [replace(grades[name], isolation=grades[name].isolation or isolation) for name in sorted(grades)]


def write_csv(grades: list[StudentGrade], path: Path, labs: list[int]) -> None:
    """`student,total,max,<lab>...,problem,isolation`, one row per student."""
    modules = [LAB_MODULES[n] for n in labs]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "total", "max", *modules, "problem", "isolation"])
        for g in grades:
            row = [
                g.student,
                g.total,
                g.max,
                *(g.labs.get(m, (0, 0))[0] for m in modules),
                g.problem,
                g.isolation,
            ]
            writer.writerow([csv_cell(cell) for cell in row])


def build_parser() -> argparse.ArgumentParser:
    """The command line's options (`tests/test_commands.py` checks the guide's commands with it)."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.batch", description=__doc__.splitlines()[0]
    )
    parser.add_argument("submissions", type=Path, metavar="SUBMISSIONS_DIR", help="one folder per student")
    csv_help = f"write one row per student here (default {OUT / 'grades.csv'})"
    parser.add_argument("--csv", type=Path, default=OUT / "grades.csv", help=csv_help)
    parser.add_argument("--jobs", type=int, default=None, help="students graded at once (default: CPUs)")
    json_help = f"write each student's results JSON and text scoreboard here (default {OUT / 'students'})"
    parser.add_argument("--json-dir", type=Path, default=OUT / "students", help=json_help)
    parser.add_argument(
        "--lab",
        type=int,
        action="append",
        choices=sorted(LAB_MODULES),
        metavar="N",
        help="grade only lab N (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="time limit of one call of a student's code (default 2)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", "jail", "process"),
        default="auto",
        help="the grader's --isolation for every student: the jail (auto, the default, and jail: "
        "refused where it cannot run), or plain processes only when asked for (process)",
    )
    parser.add_argument(
        "--student-timeout",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="time limit of one student's whole grading (default 900)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Grade a class; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"no folder {args.submissions}")
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be >= 1")
    labs = sorted(set(args.lab or available_labs()))
    grades: list[StudentGrade] = []
    try:
        grades = grade_class(
            args.submissions,
            labs,
            jobs=args.jobs,
            time_limit=args.timeout,
            json_dir=args.json_dir,
            student_timeout=args.student_timeout,
            isolation=args.isolation,
        )
    except UsageError as refused:
        print(f"python -m autograder.tools.batch: error: {refused}", file=sys.stderr)
        return 2
    finally:
        write_csv(grades, args.csv, labs)
    for g in grades:
        if g.problem:
            print(f"{g.student}: {g.problem}", file=sys.stderr)
    print(summary(grades, args.csv, args.json_dir))
    return 1 if any(g.problem for g in grades) else 0


def summary(grades: list[StudentGrade], csv_path: Path, json_dir: Path) -> str:
    """One line: how many students, how many not graded in full, where the reports are."""
    problems = sum(bool(g.problem) for g in grades)
    said = f"{problems} not graded in full (see the problem column)" if problems else "all graded in full"
    return f"graded {len(grades)} students, {said}: {csv_path}, reports in {json_dir}/"


if __name__ == "__main__":
    sys.exit(main())
