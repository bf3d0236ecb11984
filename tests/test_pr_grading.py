"""A pull request cannot grade itself: grading runs the base tree's grader on the head's
exercises/*.py only, with the script the Grade workflow runs (grading.md, "Grading pull
requests")."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ["autograder", "solutions", "exercises", "requirements", ".github", "noxfile.py", "pyproject.toml"]
SCRIPT = Path(".github") / "scripts" / "grade-pull-request.sh"


def copy_tree(destination: Path) -> Path:
    for name in TREE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, destination / name)
    return destination


def learner_head(destination: Path) -> Path:
    """A head whose learner has solved Lab 1 and nothing else."""
    head = copy_tree(destination)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", head / "exercises" / "lab1_sft.py")
    return head


def tamper(head: Path) -> None:
    """What a pull request might try: rewrite the grader, the answers, nox, and add a conftest."""
    (head / "autograder" / "engine.py").write_text("raise SystemExit('full marks')\n")
    (head / "autograder" / "labs" / "lab1_sft.py").write_text("LAB = None\n")
    for solution in (head / "solutions").glob("lab*.py"):
        shutil.copy(head / "exercises" / solution.name, solution)
    (head / "noxfile.py").write_text("import nox\n\n@nox.session\ndef grade(session):\n    pass\n")
    (head / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(autouse=True)\ndef win():\n    pass\n"
    )
    (head / "exercises" / "autograder.py").write_text("raise SystemExit('shadowed')\n")
    (head / "exercises" / "evil").symlink_to(ROOT / "solutions")


def grade_pull_request(base: Path, head: Path, results: Path) -> dict:
    subprocess.run(["bash", str(base / SCRIPT), str(head), str(results)], check=True, capture_output=True)
    report = json.loads((results / "results.json").read_text())
    report.pop("execution_time")
    return report


def test_a_tampering_pull_request_gets_the_grade_of_its_exercises_alone(tmp_path):
    base = copy_tree(tmp_path / "base")
    clean = grade_pull_request(base, learner_head(tmp_path / "clean"), tmp_path / "clean-results")
    head = learner_head(tmp_path / "head")
    tamper(head)
    tampered = grade_pull_request(base, head, tmp_path / "head-results")
    assert tampered == clean
    lab1 = [t for t in clean["tests"] if t["name"].startswith("lab1_sft.")]
    assert clean["score"] == sum(t["max_score"] for t in lab1) > 0
