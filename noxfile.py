"""Sessions for learners (grade, lab, repl) and instructors (test, stubs, docs, notebooks, bench).

Every session installs exact pins from `requirements/<name>.txt` (compiled from the `.in` files by
`nox -s lock`), so grades and builds do not drift when a dependency releases.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import nox

ROOT = Path(__file__).parent
REQUIREMENTS = ROOT / "requirements"
COURSE_REPO = (ROOT / "solutions").is_dir()
"""False in a student repository built by `nox -s release`: no solutions, no graders, no instructor sessions."""

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["grade"]


def instructor_session(function: Callable[[nox.Session], None]) -> Callable[[nox.Session], None]:
    """`@nox.session` in the course repository; nothing in a student repository."""
    return nox.session(function) if COURSE_REPO else function


def install(session: nox.Session, *locks: str, precompile: bool = False) -> None:
    """Install the pinned requirements `requirements/<lock>.txt` into the session.

    `precompile` writes the packages' bytecode at install time. The grader's jail mounts them
    read-only, so its workers can never cache bytecode themselves: where Python writes none
    (`PYTHONDONTWRITEBYTECODE`, common in CI and containers), each of them would compile numpy
    on every grade.
    """
    env = {"UV_COMPILE_BYTECODE": "1"} if precompile else {}  # pip, the fallback, compiles anyway
    for lock in locks:
        session.install("-r", str(REQUIREMENTS / f"{lock}.txt"), env=env)


def lab_file(session: nox.Session, usage: str) -> tuple[Path, list[str]]:
    """The lab file named by the session's arguments `N [--solutions] [rest...]`, and the rest."""
    args = list(session.posargs)
    folder = ROOT / ("solutions" if "--solutions" in args else "exercises")
    args = [a for a in args if a != "--solutions"]
    if not folder.is_dir():
        session.error(f"there is no {folder.name}/ folder in this repository")
    numbers = sorted(p.name[3] for p in folder.glob("lab[0-9]_*.py"))
    if not args or args[0] not in numbers:
        session.error(f"usage: {usage}   (N = {', '.join(numbers)})")
    (path,) = folder.glob(f"lab{args[0]}_*.py")
    return path, args[1:]


@nox.session
def grade(session: nox.Session) -> None:
    """Grade your work in exercises/ (pass grader options after `--`, e.g. `-- --lab 1`).

    An imperfect score is a grade, not a failure of the session: nox reports failure only when
    the grader could not run (exit 2), or when you ask for a threshold with `--fail-under`.
    """
    install(session, "grade", precompile=True)
    thresholded = any(a.startswith("--fail-under") for a in session.posargs)
    grader = "autograder" if COURSE_REPO else "autograder.public"  # a student repository self-checks
    session.run("python", "-m", grader, *session.posargs, success_codes=[0] if thresholded else [0, 1])


@nox.session
def lab(session: nox.Session) -> None:
    """Run a lab's demo: `nox -s lab -- 1` (yours), `-- 1 --solutions` (reference), `-- 1 --plots DIR`."""
    install(session, "grade")
    script, demo_args = lab_file(session, "nox -s lab -- N [--solutions] [--plots DIR]")
    if "--plots" in demo_args:
        install(session, "plots")
    session.run("python", str(script), *demo_args)


@nox.session
def repl(session: nox.Session) -> None:
    """A Python in exercises/ with numpy and lab N's functions loaded, for pasting failing inputs.

    `nox -s repl -- 1` (your code), `nox -s repl -- 1 --solutions` (the reference).
    """
    install(session, "grade")
    path, rest = lab_file(session, "nox -s repl -- N [--solutions]")
    if rest:
        session.error(f"nox -s repl: unexpected arguments {rest}")
    banner = f"numpy is np; the functions of {path.name} are loaded. Paste a failing input from the grader."
    setup = f"import numpy as np; from {path.stem} import *; print({banner!r})"
    session.chdir(path.parent)
    session.run("python", "-i", "-c", setup, external=False)


@instructor_session
def stubs(session: nox.Session) -> None:
    """Regenerate exercises/ from solutions/ with nbgrader's ClearSolutions."""
    install(session, "stubs")
    session.run("python", "-m", "autograder.tools.stubs", "--write")


@instructor_session
def test(session: nox.Session) -> None:
    """The repo's own tests: ruff, mypy, the solutions' doctests, stub drift, the grader graded, demos,
    workflows, the site. `-- tests/test_x.py` runs only those tests after the quick checks."""
    install(session, "test")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")  # configured in pyproject.toml: autograder/, solutions/, docs/hooks.py
    session.run("pytest", "--doctest-modules", "solutions", "-q", env={"PYTHONHASHSEED": "0"})
    session.run("pytest", *session.posargs, env={"PYTHONHASHSEED": "0"})


@instructor_session
def bench(session: nox.Session) -> None:
    """Measure grading speed (cold clone, warm, per lab, isolated vs in process); writes bench/bench.md.

    Reports only, never fails on a figure; `-- --runs 3 --cold-runs 1` for a quicker run.
    """
    import sys

    install(session, "bench")
    session.run("python", "-m", "autograder.tools.bench", "--out", "bench", "--nox-python", sys.executable,
                *session.posargs)  # fmt: skip


@instructor_session
def release(session: nox.Session) -> None:
    """Build the student repository (no solutions, no graders) into build/student/; `-- --git` commits it."""
    install(session, "docs")  # the reference demos draw the site's figures, the graders give the points
    session.run("python", "-m", "autograder.tools.release", *session.posargs)


@instructor_session
def gradescope(session: nox.Session) -> None:
    """Build build/gradescope/autograder.zip (`-- --config FILE` for your visibility rules; `-- run` grades)."""
    install(session, "grade")
    session.run("python", "-m", "autograder.tools.gradescope", *session.posargs)


@instructor_session
def batch(session: nox.Session) -> None:
    """Grade a class: `-- DIR [--jobs N] [--lab N]`, one folder per student; writes build/batch/.

    Fails (exit 1, with a one-line summary) when some student's labs could not all be graded.
    """
    install(session, "grade", precompile=True)
    session.run("python", "-m", "autograder.tools.batch", *session.posargs)


@instructor_session
def collect(session: nox.Session) -> None:
    """A Classroom assignment's grades of record into build/classroom/grades.csv: `-- --org ORG --prefix NAME`.

    Reads the check runs "Grade" of the students' pull requests through the GitHub API, with the
    token in GITHUB_TOKEN (or GH_TOKEN).
    """
    install(session, "grade")
    session.run("python", "-m", "autograder.tools.collect", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the course site strictly into site/; `nox -s docs -- serve` previews it on 127.0.0.1:8000.

    `docs/build_site.py` installs KaTeX from package-lock.json (`npm ci`, so Node.js and npm are
    needed), redraws the figures from the reference demos, then runs `mkdocs build --strict`.
    """
    install(session, "docs")
    session.run("python", "docs/build_site.py", *session.posargs)


@instructor_session
def notebooks(session: nox.Session) -> None:
    """Build the nbgrader course in build/nbgrader/; `-- autograde` grades its submitted/ into grades.csv there."""
    install(session, "notebooks")
    session.run("python", "-m", "autograder.tools.notebooks", *(session.posargs or ["build"]))


@instructor_session
def lock(session: nox.Session) -> None:
    """Recompile every requirements/<name>.txt from its .in file (needs network)."""
    session.install("uv")
    for source in sorted(REQUIREMENTS.glob("*.in")):
        session.run(
            "uv", "pip", "compile", "--quiet", "--universal", "--python-version", "3.11",
            str(source), "-o", str(source.with_suffix(".txt")),
            env={"UV_CUSTOM_COMPILE_COMMAND": "nox -s lock", **os.environ},
        )  # fmt: skip
