"""Build the student repository: what a learner needs, without the reference solutions or the graders.

    python -m autograder.tools.release --out build/student     # or: nox -s release

A graded course cannot hand out `solutions/`: a learner would copy it into `exercises/`. The
folder written here is ready to push as the course's template repository. It holds the stubs
(`exercises/`), the site's sources with its figures and points tables already made (they need
the reference to be made) and without the instructors' pages, the pins, the noxfile (whose
instructor sessions exist only where `solutions/` does), a README for students, a self-check that runs the public docstring
examples (`autograder/public.py`, what `nox -s grade` runs there), and the GitHub Classroom
workflow that grades pull requests with the instructor's private grader. Nothing else of
`autograder/` goes in: the graders' properties and their hints are the hidden tests.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from autograder.tools.stubs import BEGIN, END, ROOT, SOLUTIONS

FILES = (
    "noxfile.py",
    "mkdocs.yml",
    "package.json",
    "package-lock.json",
    "CHANGELOG.md",
    "autograder/__init__.py",
    "autograder/public.py",
    ".github/scripts/report_grade.py",
    ".github/workflows/report-grade.yml",
)
"""Files copied as they are."""

FOLDERS = ("exercises", "docs")
"""Folders copied whole (but for caches and built figures)."""

REQUIREMENTS = ("grade", "docs", "plots")
"""The pins of the learner's sessions (`requirements/<name>.in` and `.txt`)."""

TEMPLATES = Path(__file__).resolve().parent / "templates"
CLASSROOM_WORKFLOW = TEMPLATES / "classroom-grade.yml"
"""The pull-request workflow of a student repository (see the instructors' guide)."""


INSTRUCTOR_PAGES = ("guides/instructors.md", "guides/instructor-key.md")
"""Pages of the site (under docs/) left out: running the course, and the mistakes learners make."""
COURSE_ONLY = re.compile(
    r"^[ \t]*<!-- course-only(?:: (?P<template>[\w.-]+))? -->\n.*?^[ \t]*<!-- /course-only -->\n", re.S | re.M
)
"""A block of a page that holds only in the course repository (its commands need the solutions or
the grader), between `<!-- course-only -->` and `<!-- /course-only -->`; `<!-- course-only:
NAME -->` puts `templates/NAME` in its place."""


def student_page(markdown: str) -> str:
    """A page of the site as the student repository has it: its course-only blocks replaced."""
    return COURSE_ONLY.sub(
        lambda match: (
            (TEMPLATES / match["template"]).read_text(encoding="utf-8") if match["template"] else ""
        ),
        markdown,
    )


def student_mkdocs(config: str) -> str:
    """mkdocs.yml without the navigation entries of the instructors' pages."""
    return "".join(
        line for line in config.splitlines(keepends=True) if not line.rstrip().endswith(INSTRUCTOR_PAGES)
    )


def student_readme(readme: str) -> str:
    """The course README's introduction (title and table of labs), then `templates/student-start.md`."""
    intro = readme.split("\n## ", 1)[0]
    return intro.rstrip() + "\n\n" + (TEMPLATES / "student-start.md").read_text(encoding="utf-8")


def student_gitignore(gitignore: str) -> str:
    """The course's .gitignore, but for `docs/figures/`: a student repository commits its figures."""
    return "".join(line for line in gitignore.splitlines(keepends=True) if line.strip() != "docs/figures/")


def classroom_workflow(course_repo: str | None) -> str:
    """The pull-request workflow of a student repository, naming the instructor's course repository."""
    text = CLASSROOM_WORKFLOW.read_text(encoding="utf-8")
    return (
        text
        if course_repo is None
        else text.replace("COURSE_REPOSITORY: OWNER/COURSE", f"COURSE_REPOSITORY: {course_repo}")
    )


def _ignore(folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("__pycache__", "figures") or n.endswith(".pyc")]


def draw_figures(target: Path) -> None:
    """Draw the site's figures with the reference demos into `target/docs/figures`."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        from build_site import draw_figures as draw
    finally:
        sys.path.remove(str(ROOT / "docs"))
    draw(target / "docs" / "figures")


def write_points(target: Path) -> None:
    """Write the labs' numbers and the graded functions with their points to `docs/points.json`.

    The site's hook (`docs/hooks.py`) reads them there: a student repository has no graders.
    """
    from autograder import catalog
    from autograder.labs import LAB_MODULES

    functions = catalog()
    graded = {info.lab for info in functions}
    points = {
        "labs": {module: number for number, module in LAB_MODULES.items() if module in graded},
        "functions": [asdict(info) for info in functions],
    }
    path = target / "docs" / "points.json"
    path.write_text(json.dumps(points, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def build(target: Path, course_repo: str | None = None, figures: bool = True) -> Path:
    """Write the student repository into `target` (emptied first) and return it.

    Args:
        target: The folder to write.
        course_repo: `OWNER/NAME` of the instructor's private course repository, which the
            student repository's workflow checks out to grade pull requests.
        figures: Draw the site's figures (the reference demos run: a few seconds).
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, target / name, ignore=_ignore)
    for name in FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    for name in INSTRUCTOR_PAGES:
        (target / "docs" / name).unlink()
    for page in (target / "docs").rglob("*.md"):
        page.write_text(student_page(page.read_text(encoding="utf-8")), encoding="utf-8")
    mkdocs = target / "mkdocs.yml"
    mkdocs.write_text(student_mkdocs(mkdocs.read_text(encoding="utf-8")), encoding="utf-8")
    for name in REQUIREMENTS:
        for suffix in (".in", ".txt"):
            (target / "requirements").mkdir(exist_ok=True)
            shutil.copy2(
                ROOT / "requirements" / f"{name}{suffix}", target / "requirements" / f"{name}{suffix}"
            )
    workflows = target / ".github" / "workflows"
    (workflows / "grade.yml").write_text(classroom_workflow(course_repo), encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (target / "README.md").write_text(student_readme(readme), encoding="utf-8")
    gitignore = (ROOT / ".gitignore").read_text(encoding="utf-8")
    (target / ".gitignore").write_text(student_gitignore(gitignore), encoding="utf-8")
    write_points(target)
    if figures:
        draw_figures(target)
    return target


def code_lines(text: str) -> tuple[str, ...]:
    """The non-blank lines of `text`, stripped: code compared whatever its indentation."""
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def solution_bodies() -> dict[str, tuple[str, ...]]:
    """`lab file: function` -> the code lines of that function's solution region in `solutions/`."""
    bodies: dict[str, tuple[str, ...]] = {}
    region: list[str] | None
    for path in sorted(SOLUTIONS.glob("lab[0-9]_*.py")):
        function, region = "", None  # the function being read, and its region's lines while inside one
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("def "):
                function = line[4:].split("(", 1)[0]
            elif line.strip() == BEGIN:
                region = []
            elif line.strip() == END and region is not None:
                bodies[f"{path.name}: {function}"] = code_lines("\n".join(region))
                region = None
            elif region is not None:
                region.append(line)
    return bodies


def contains(lines: tuple[str, ...], block: tuple[str, ...]) -> bool:
    """True when `block` stands in `lines` as consecutive lines."""
    width = len(block)
    return any(lines[i : i + width] == block for i in range(len(lines) - width + 1))


def main(argv: list[str] | None = None) -> int:
    """Command line: build the student repository, optionally as a git repository with one commit."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.release", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="where to write it")
    parser.add_argument("--course-repo", metavar="OWNER/NAME",
                        help="the private course repository that grades the students' pull requests")  # fmt: skip
    parser.add_argument("--git", action="store_true", help="make it a git repository with one commit")
    parser.add_argument("--no-figures", action="store_true", help="skip drawing the site's figures (faster)")
    args = parser.parse_args(argv)
    target = build(args.out.resolve(), args.course_repo, figures=not args.no_figures)
    if args.git:
        for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "Course template"]):
            subprocess.run(["git", "-c", "user.name=course", "-c", "user.email=course@localhost", *command],
                           cwd=target, check=True)  # fmt: skip
    print(f"Wrote the student repository to {target}")
    if args.course_repo is None:
        print(
            "Its .github/workflows/grade.yml names OWNER/COURSE: pass --course-repo, or edit COURSE_REPOSITORY there."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
