"""Sessions for learners (grade, lab) and instructors (test, stubs, docs, notebooks, bench).

Every session installs exact pins from `requirements/<name>.txt` (compiled from the `.in` files by
`nox -s lock`), so grades and builds do not drift when a dependency releases.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).parent
REQUIREMENTS = ROOT / "requirements"

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["grade"]


def install(session: nox.Session, *locks: str) -> None:
    """Install the pinned requirements `requirements/<lock>.txt` into the session."""
    for lock in locks:
        session.install("-r", str(REQUIREMENTS / f"{lock}.txt"))


@nox.session
def grade(session: nox.Session) -> None:
    """Grade your work in exercises/ (pass grader options after `--`, e.g. `-- --lab 1`)."""
    install(session, "grade")
    session.run("python", "-m", "autograder", *session.posargs)


@nox.session
def lab(session: nox.Session) -> None:
    """Run a lab's demo: `nox -s lab -- 1` (yours) or `nox -s lab -- 1 --solutions` (reference)."""
    install(session, "grade")
    args = list(session.posargs)
    folder = "solutions" if "--solutions" in args else "exercises"
    numbers = [a for a in args if a != "--solutions"]
    if len(numbers) != 1 or numbers[0] not in {"1", "2", "3", "4", "5"}:
        session.error("usage: nox -s lab -- N [--solutions]   (N = 1, 2, 3, 4 or 5)")
    (script,) = (ROOT / folder).glob(f"lab{numbers[0]}_*.py")
    session.run("python", str(script))


@nox.session
def stubs(session: nox.Session) -> None:
    """Regenerate exercises/ from solutions/ with nbgrader's ClearSolutions."""
    install(session, "stubs")
    session.run("python", "-m", "autograder.tools.stubs", "--write")


@nox.session
def test(session: nox.Session) -> None:
    """The repo's own tests: ruff, stub drift, the grader graded, demos, workflows, the site."""
    install(session, "test")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("pytest", *session.posargs, env={"PYTHONHASHSEED": "0"})


@nox.session
def bench(session: nox.Session) -> None:
    """Measure grading speed (cold clone, warm, per lab, isolated vs in process); writes bench/bench.md.

    Reports only, never fails on a figure; `-- --runs 3 --cold-runs 1` for a quicker run.
    """
    import sys

    install(session, "grade")
    session.run("python", "-m", "autograder.tools.bench", "--out", "bench", "--nox-python", sys.executable,
                *session.posargs)  # fmt: skip


@nox.session
def docs(session: nox.Session) -> None:
    """Build the course site strictly into site/; `nox -s docs -- serve` previews it on 127.0.0.1:8000.

    `docs/build_site.py` installs KaTeX from package-lock.json (`npm ci`, so Node.js and npm are
    needed), redraws the figures from the reference demos, then runs `mkdocs build --strict`.
    """
    install(session, "docs")
    session.run("python", "docs/build_site.py", *session.posargs)


@nox.session
def notebooks(session: nox.Session) -> None:
    """Build the nbgrader course in build/nbgrader/; `-- autograde --csv grades.csv` grades its submitted/."""
    install(session, "notebooks")
    session.run("python", "-m", "autograder.tools.notebooks", *(session.posargs or ["build"]))


@nox.session
def lock(session: nox.Session) -> None:
    """Recompile every requirements/<name>.txt from its .in file (needs network)."""
    session.install("uv")
    for source in sorted(REQUIREMENTS.glob("*.in")):
        session.run(
            "uv", "pip", "compile", "--quiet", "--universal", "--python-version", "3.11",
            str(source), "-o", str(source.with_suffix(".txt")),
            env={"UV_CUSTOM_COMPILE_COMMAND": "nox -s lock", **os.environ},
        )  # fmt: skip
