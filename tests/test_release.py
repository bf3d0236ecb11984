"""`nox -s release` builds a student repository with no solution code in it that still works:
the learner's sessions, a self-check on the public docstring examples, and a site that builds
there, with no instructors' page and no option the self-check would reject."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.cli import build_parser
from autograder.tools import release

ROOT = Path(__file__).resolve().parent.parent
TEXT = (".py", ".md", ".yml", ".txt", ".json", ".toml", ".sh", ".cfg", ".in", ".js", ".css")


@pytest.fixture(scope="module")
def student(tmp_path_factory) -> Path:
    """The student repository, built once for this module (figures skipped: the demos are slow)."""
    return release.build(tmp_path_factory.mktemp("release") / "student", "course-org/course", figures=False)


def test_no_solution_code_and_no_grader_is_in_the_student_repository(student):
    files = [p for p in student.rglob("*") if p.is_file()]
    assert not (student / "solutions").exists() and not (student / "tests").exists()
    assert not (student / "autograder" / "labs").exists(), "the graders are the hidden tests"
    bodies = release.solution_bodies()
    assert len(bodies) >= 20 and all(bodies.values())  # the check is not vacuous
    texts = {
        path: release.code_lines(path.read_text(encoding="utf-8")) for path in files if path.suffix in TEXT
    }
    leaks = [
        f"{path.relative_to(student)} holds the body of {function}"
        for function, body in bodies.items()
        for path, lines in texts.items()
        if release.contains(lines, body)
    ]
    assert not leaks, "solution code in the student repository:\n" + "\n".join(leaks[:20])


def test_the_student_repository_has_only_the_learner_sessions_and_names_the_course(student):
    nox = shutil.which("nox")
    if nox is None:
        pytest.skip("nox is not on PATH")
    listing = subprocess.run([nox, "-l"], cwd=student, capture_output=True, text=True, check=True).stdout
    sessions = {line.split()[1] for line in listing.splitlines() if line[:2] in ("* ", "- ")}
    assert sessions == {"grade", "lab", "repl", "docs"}
    assert (
        "COURSE_REPOSITORY: course-org/course"
        in (student / ".github" / "workflows" / "grade.yml").read_text()
    )
    readme = (student / "README.md").read_text()
    assert "--solutions" not in readme and "nox -s grade" in readme
    assert "docs/figures/" not in (student / ".gitignore").read_text()  # the figures are committed there


def self_check(student: Path, submission: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "autograder.public", "--submission", str(submission)],
        cwd=student,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_self_check_passes_the_reference_and_names_each_stub(student, tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(ROOT / "solutions", reference)
    passed = self_check(student, reference)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "examples pass" in passed.stdout and "fails" not in passed.stdout
    stubs = self_check(student, student / "exercises")
    assert stubs.returncode == 1 and "not implemented yet" in stubs.stdout and "Traceback" not in stubs.stdout


def test_self_check_shows_the_failing_example(student, tmp_path):
    folder = tmp_path / "wrong"
    shutil.copytree(ROOT / "solutions", folder)
    lab = folder / "lab4_dpo.py"
    lab.write_text(
        lab.read_text().replace("np.logaddexp(0.0, -beta * margin)", "np.logaddexp(0.0, beta * margin)")
    )
    result = self_check(student, folder)
    assert result.returncode == 1
    assert "✗ dpo_loss" in result.stdout and "Expected:" in result.stdout and "Got:" in result.stdout


def test_the_student_site_uses_the_points_written_at_release(student):
    points = json.loads((student / "docs" / "points.json").read_text())
    assert points["labs"]["lab1_sft"] == 1
    assert any(item["lab"] == "lab1_sft" and item["name"] == "sft_step" for item in points["functions"])


def test_course_only_blocks_are_replaced_in_the_student_pages():
    page = "intro\n\n<!-- course-only -->\n\n`--watch`\n\n<!-- /course-only -->\n\nrest\n"
    assert release.student_page(page) == "intro\n\n\nrest\n"
    indented = "    a\n    <!-- course-only -->\n    b\n    <!-- /course-only -->\n    c\n"
    assert release.student_page(indented) == "    a\n    c\n"
    grading = release.student_page((ROOT / "docs" / "guides" / "grading.md").read_text())
    assert "## Running it" in grading and "--fail-under" not in grading and "course-only" not in grading


@pytest.fixture(scope="module")
def student_site(tmp_path_factory) -> Path:
    """A student repository built with its figures, then its site built there as `nox -s docs` builds it."""
    root = tmp_path_factory.mktemp("release-site")
    repository = release.build(root / "student", "course-org/course")
    site = root / "site"
    built = subprocess.run(
        [sys.executable, "docs/build_site.py", "--site-dir", str(site)],
        cwd=repository,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return site


def site_text(site: Path) -> str:
    """Every page of the built site as text (tags dropped), and its search index."""
    pages = [
        re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8")) for path in sorted(site.rglob("*.html"))
    ]
    return html.unescape("\n".join(pages)) + (site / "search" / "search_index.json").read_text(
        encoding="utf-8"
    )


def test_the_student_site_builds_without_instructor_pages(student_site):
    assert (student_site / "labs" / "lab1-sft" / "index.html").is_file()
    assert not (student_site / "guides" / "instructors").exists()
    assert not (student_site / "guides" / "instructor-key").exists()
    text = site_text(student_site)
    for instructor_only in (
        "For instructors",
        "Instructor key",
        "Common mistakes",
        "tests/variants",
        "/work/",
        "--solutions",  # the reference demo: the release has no solutions/
    ):
        assert instructor_only not in text, instructor_only


def student_grader_options(repository: Path) -> set[str]:
    """The options `python -m autograder.public` (the student repository's grader) accepts."""
    shown = subprocess.run(
        [sys.executable, "-m", "autograder.public", "--help"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return set(re.findall(r"--[a-z][a-z-]*", shown))


def test_the_student_site_shows_only_options_the_student_grader_accepts(student, student_site):
    accepted = student_grader_options(student)
    assert {"--lab", "--submission", "--help"} <= accepted
    options = {option for action in build_parser()._actions for option in action.option_strings}
    rejected = {option for option in options if option.startswith("--")} - accepted
    assert {"--watch", "--json", "--fail-under", "--isolation"} <= rejected  # the check is not vacuous
    text = site_text(student_site)
    assert re.search(r"--lab(?![\w-])", text)  # the search sees the options the pages show
    shown = sorted(option for option in rejected if re.search(rf"{option}(?![\w-])", text))
    assert not shown, f"the student site shows options its grader rejects: {shown}"


def test_the_leak_check_finds_a_copied_solution():
    bodies = {k: b for k, b in release.solution_bodies().items() if k.startswith("lab2_reward.py")}
    copied = release.code_lines((ROOT / "solutions" / "lab2_reward.py").read_text(encoding="utf-8"))
    assert bodies and all(release.contains(copied, body) for body in bodies.values())
    stub = release.code_lines((ROOT / "exercises" / "lab2_reward.py").read_text(encoding="utf-8"))
    assert not any(release.contains(stub, body) for body in bodies.values())
