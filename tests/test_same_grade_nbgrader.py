"""The nbgrader path gives every function the points `python -m autograder` gives the same code.

Three submissions (the reference, the stubs, the reference with one wrong function) are graded
twice: as lab files by `python -m autograder --json`, and as notebooks through the nbgrader
course's autograde step (`autograder.tools.notebooks`), whose per-function scores are read from
nbgrader's gradebook (one grade cell per function). Self-contained for now: the same-grade test
of the other paths (`tests/test_same_grade.py`) grades the same three submissions.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader")

from autograder.labs import LAB_MODULES, available_labs
from autograder.tools import notebooks as nb

ROOT = Path(__file__).resolve().parent.parent
WRONG = ("lab4_dpo.py", "np.logaddexp(0.0, -beta * margin)", "np.logaddexp(0.0, beta * margin)")
"""One wrong function: `dpo_loss` with the margin's sign flipped."""


def submissions(folder: Path) -> dict[str, Path]:
    """reference, stubs and one wrong function, each a folder of lab files with the helpers."""
    made = {"reference": ROOT / "solutions", "stubs": ROOT / "exercises"}
    out = {}
    for name, source in made.items():
        out[name] = folder / name
        shutil.copytree(source, out[name], ignore=shutil.ignore_patterns("__pycache__"))
    out["one wrong function"] = folder / "one wrong function"
    shutil.copytree(
        ROOT / "solutions", out["one wrong function"], ignore=shutil.ignore_patterns("__pycache__")
    )
    lab, right, wrong = WRONG
    path = out["one wrong function"] / lab
    assert right in path.read_text()
    path.write_text(path.read_text().replace(right, wrong))
    return out


def cli_scores(submission: Path, results: Path) -> dict[str, int]:
    """Function id -> points, from `python -m autograder --json` on the folder."""
    subprocess.run(
        [sys.executable, "-m", "autograder", "--submission", str(submission), "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=900,
    )
    scores: dict[str, int] = {}
    for test in json.loads(results.read_text(encoding="utf-8"))["tests"]:
        function_id = test["name"].split(": ", 1)[0]
        scores[function_id] = scores.get(function_id, 0) + int(test["score"])
    return scores


def nbgrader_scores(course: Path, student: str) -> dict[str, int]:
    """Function id -> points of each grade cell `test_<function>` in nbgrader's gradebook."""
    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for module, points in nb.lab_points().items():
            for name in points:
                grade = gradebook.find_grade(f"test_{name}", module, module, student)
                scores[f"{module}.{name}"] = int(grade.score)
    return scores


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, dict[str, int]]]:
    root = tmp_path_factory.mktemp("same-grade-nbgrader")
    folders = submissions(root / "submissions")
    course = root / "course"
    labs = [LAB_MODULES[n] for n in available_labs()]
    assert nb.build(course) == labs
    for student, folder in folders.items():
        assert nb.submit_py(course, student, folder) == labs
    assert nb.autograde(course) == []
    return {
        student: {
            "cli": cli_scores(folder, root / f"{student}.json"),
            "nbgrader": nbgrader_scores(course, student),
        }
        for student, folder in folders.items()
    }


@pytest.mark.parametrize("student", ["reference", "stubs", "one wrong function"])
def test_nbgrader_gives_each_function_the_graders_points(graded, student):
    assert graded[student]["nbgrader"] == graded[student]["cli"]


def test_the_three_submissions_score_as_expected(graded):
    points = {
        f"{module}.{name}": p
        for module, functions in nb.lab_points().items()
        for name, p in functions.items()
    }
    assert graded["reference"]["nbgrader"] == points
    assert set(graded["stubs"]["nbgrader"].values()) == {0}
    lost = {f for f, p in graded["one wrong function"]["nbgrader"].items() if p < points[f]}
    assert lost == {"lab4_dpo.dpo_loss"}
