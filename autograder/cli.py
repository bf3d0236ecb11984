"""The command line: grade a folder of lab files, print the scoreboard, write results files.

Exit status: 0 when the score reaches `--fail-under` (default 100), 1 when it does not, 2 when
the grader could not run. Every results file asked for is written in every case.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from autograder import jail
from autograder.confine import landlock_version
from autograder.engine import REPO_ROOT, Lab, LabResult, grade_lab, lab_not_graded
from autograder.labs import LAB_MODULES, available_labs, load_lab
from autograder.report import Grade, gradescope_json, junit_xml, markdown, scoreboard
from autograder.results import requested_outputs
from autograder.sandbox import InProcessModule, LabImportFailed
from autograder.supervisor import grade_labs_supervised

WRITERS: dict[str, Callable[[Grade], str]] = {
    "json": gradescope_json,
    "junit": junit_xml,
    "markdown": markdown,
}


class UsageError(Exception):
    """Bad command-line arguments."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of exiting, so results files can still be written."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> Parser:
    """The grader's options."""
    parser = Parser(prog="python -m autograder", description="Grade the post-training labs.")
    lab_files = ", ".join(f"{module}.py" for module in LAB_MODULES.values())
    parser.add_argument(
        "--submission",
        type=Path,
        default=REPO_ROOT / "exercises",
        help=f"folder with the lab files {lab_files} (default: exercises/)",
    )
    parser.add_argument(
        "--lab",
        type=int,
        action="append",
        choices=sorted(LAB_MODULES),
        metavar="N",
        help="grade only lab N (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="write Gradescope results.json here")
    parser.add_argument("--junit", type=Path, help="write JUnit XML here")
    parser.add_argument("--markdown", type=Path, help="write the scoreboard as Markdown here")
    parser.add_argument(
        "--fail-under",
        type=float,
        default=100.0,
        metavar="PERCENT",
        help="exit 1 when the score is below this (default 100)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="time limit of one call of your code (default 2; a function declared with a larger "
        "limit, such as fit_reward_model's 30 s, keeps it)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=available_cpus(),
        metavar="N",
        help="grade up to N labs at once (default: the number of CPUs)",
    )
    parser.add_argument(
        "--watch", action="store_true", help="re-grade a lab each time you save its file (Ctrl-C to stop)"
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show every failing property in full (by default one a function, the others one line each)",
    )
    parser.add_argument(
        "--isolation",
        choices=("auto", "jail", "process"),
        default="auto",
        help="run your code in a bubblewrap jail (jail), in plain processes (process), "
        "or in the jail where bubblewrap can run (auto, the default)",
    )
    return parser


def write_results(grade: Grade, outputs: dict[str, Path]) -> None:
    """Write each requested file atomically, replacing whatever is there."""
    for kind, path in outputs.items():
        path = path.resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
            tmp.write(WRITERS[kind](grade))
        os.replace(tmp.name, path)


def grade_submission(
    submission: Path,
    labs: list[int],
    time_limit: float,
    in_process: bool = False,
    jobs: int = 1,
    jailed: bool = False,
) -> list[LabResult]:
    """Grade the given labs of a folder: each lab by a grader process of its own, up to `jobs` at once.

    Each grader process starts the lab's worker, which runs the learner's code (see
    `autograder.supervisor`): whatever that code does to its grader (kill it, stop it, hang it),
    the lab is reported and the other labs are graded; this process waits for every process the
    labs started, ends them, and only then returns. `jailed=True` runs each worker in a
    bubblewrap jail (`autograder.jail`). `in_process=True` calls the learner's functions directly
    instead (no isolation, no time limit, one lab after the other: for measuring what isolation
    costs, never for untrusted code).
    """
    if in_process:
        return [_grade_in_process(load_lab(n), submission / f"{LAB_MODULES[n]}.py") for n in labs]
    return grade_labs_supervised(submission, labs, time_limit, jobs, jailed)


def available_cpus() -> int:
    """The CPUs this process may run on (a container's limit, not the host's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def choose_isolation(choice: str) -> tuple[bool, str]:
    """Whether to jail the workers for `--isolation choice`, and the report's line saying which ran.

    Raises `UsageError` for `jail` where bubblewrap cannot run (grading then fails closed).
    """
    problem = jail.problem() if choice != "process" else ""
    if choice == "jail" and problem:
        raise UsageError(f"--isolation jail: bubblewrap cannot run here: {problem}")
    writes = (
        "the learner's code may write only to a folder of its own (Landlock)"
        if landlock_version()
        else "the learner's code may write wherever this user can (no Landlock here)"
    )
    if choice == "process":
        return False, f"separate processes (--isolation process), no jail; {writes}"
    if problem:
        return False, f"separate processes, no jail (bubblewrap cannot run here: {problem}); {writes}"
    return True, "a bubblewrap jail per lab (no network, no files but its own, resource limits)"


def isolation_for_a_class(choice: str) -> str:
    """The `--isolation` to grade many untrusted submissions with: `process` only when asked for
    by name, `jail` otherwise (`auto` does not fall back: one student's code could change another
    student's grade).

    Raises `UsageError` saying why when the jail is needed and cannot run here.
    """
    if choice == "process":
        return choice
    problem = jail.problem()
    if problem:
        raise UsageError(
            f"bubblewrap cannot run here ({problem}): without the jail, one submission's code could "
            "change the grades of the others. Pass --isolation process to grade in plain processes anyway."
        )
    return "jail"


def _grade_in_process(lab: Lab, path: Path) -> LabResult:
    """Grade one lab by calling its functions in this process."""
    if not path.is_file():
        return lab_not_graded(lab, f"no file {path.name} in {path.parent}")
    try:
        module = InProcessModule.from_file(path.resolve())
    except LabImportFailed as failure:
        return lab_not_graded(lab, f"your {path.name} does not import:\n{failure}")
    return grade_lab(lab, module)


def main(argv: list[str] | None = None) -> int:
    """Run the grader; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    started = time.perf_counter()
    outputs = requested_outputs(argv)
    try:
        args = build_parser().parse_args(argv)
        if not args.submission.is_dir():
            raise UsageError(f"--submission: no folder {args.submission}")
        if args.timeout <= 0:
            raise UsageError("--timeout must be > 0")
        if args.jobs < 1:
            raise UsageError("--jobs must be >= 1")
        outputs = {kind: getattr(args, kind) for kind in WRITERS if getattr(args, kind)}
        labs = sorted(set(args.lab or available_labs()))
        jailed, isolation = choose_isolation(args.isolation)
        if args.watch:
            from autograder.watch import watch

            return watch(
                args.submission,
                labs,
                lambda numbers: grade_submission(
                    args.submission, numbers, args.timeout, jobs=args.jobs, jailed=jailed
                ),
                on_grade=lambda grade: write_results(grade, outputs),
            )
        grade = Grade(
            grade_submission(args.submission, labs, args.timeout, jobs=args.jobs, jailed=jailed),
            time.perf_counter() - started,
            isolation=isolation,
            verbose=args.verbose,
        )
    except KeyboardInterrupt:
        print("python -m autograder: interrupted", file=sys.stderr)
        write_results(Grade([], time.perf_counter() - started, "interrupted before the end"), outputs)
        return 130
    except UsageError as error:
        print(f"python -m autograder: error: {error}", file=sys.stderr)
        write_results(Grade([], time.perf_counter() - started, f"bad arguments: {error}"), outputs)
        return 2
    except Exception as error:  # the grader itself failed: still leave the files asked for
        traceback.print_exc()
        write_results(Grade([], time.perf_counter() - started, f"internal error: {error!r}"), outputs)
        return 2
    print(scoreboard(grade))
    write_results(grade, outputs)
    return 0 if grade.percent >= args.fail_under - 1e-9 else 1
