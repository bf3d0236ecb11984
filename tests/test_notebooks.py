"""The notebook track: notebooks built from solutions/, autograded by nbgrader, agreeing with the batch grader.

Needs nbgrader and a Python kernel (ipykernel); the test environment pins both. The same
synthetic class as `tests/test_batch.py` (Lab 1 only) is turned into submitted notebooks,
autograded headless with a short cell timeout, and compared with the batch grader: a test cell's
result is the function's points (nbgrader's partial credit), so a student's notebook score is the
batch grader's, except where a notebook has no import step to fail.
"""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

pytest.importorskip("nbgrader")
pytest.importorskip("ipykernel")

from autograder import catalog
from autograder.tools import notebooks as nb
from tests.test_batch import LAB, STUDENTS, batch_grade_class, points_of

CELL_TIMEOUT = 10


def _graded_cells(notebook: nbformat.NotebookNode) -> list[dict]:
    return [c.metadata["nbgrader"] for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Lab 1's course built, the class submitted as notebooks and autograded; the batch grades too."""
    root = tmp_path_factory.mktemp("notebooks")
    course = root / "course"
    assert nb.build(course, timeout=CELL_TIMEOUT, labs=[1]) == [LAB]
    batch = batch_grade_class(tmp_path_factory)
    submissions = batch["submissions"]
    for student in STUDENTS:
        assert nb.submit_py(course, student, submissions / student) == [LAB]
    assert nb.autograde(course) == []
    nb.write_csv(nb.gradebook_rows(course), root / "notebooks.csv", [LAB])
    assert batch["status"] == 0
    return {"course": course, "root": root, "json": batch["root"] / "json"}


def test_source_notebook_has_a_solution_and_a_test_cell_per_function() -> None:
    source = (nb.SOLUTIONS / f"{LAB}.py").read_text()
    points = nb.lab_points()[LAB]
    notebook = nb.source_notebook(LAB, source, points)
    metas = [c.metadata["nbgrader"] for c in notebook.cells if "nbgrader" in c.metadata]
    solutions = [m["grade_id"] for m in metas if m["solution"] and not m["grade"]]
    tests = {m["grade_id"]: m["points"] for m in metas if m["grade"] and not m["solution"]}
    assert solutions == list(points)
    assert tests == {f"test_{name}": p for name, p in points.items()}
    assert len([m for m in metas if m["grade"] and m["solution"]]) == len(nb.reflection_questions(LAB))
    assert notebook.cells[0].source.startswith("# Lab 1")
    checks = [
        c.source
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_log_softmax"
    ]
    assert checks == ['from autograder import check\n\ncheck("lab1_sft.log_softmax", globals())']
    assert any("labkit.run_demo(main, [])" in c.source for c in notebook.cells)


def test_every_graded_lab_has_reflection_prompts() -> None:
    assert all(nb.reflection_questions(lab) for lab in {info.lab for info in catalog()})


def test_reflection_prompts_are_the_pages_questions() -> None:
    questions = nb.reflection_questions("lab3_rlhf")  # bold questions, maths in \( \)
    assert questions[0] == "What happens if you remove the KL penalty?"
    assert questions[5].startswith("$\\beta \\to 0$ makes $\\pi^*$ deterministic.")
    assert not any("??? answer" in q or "\\(" in q for q in questions)


def test_release_strips_the_solutions(course: dict) -> None:
    release = nbformat.read(course["course"] / "release" / LAB / f"{LAB}.ipynb", as_version=4)
    source = "\n".join(c.source for c in release.cells)
    assert "BEGIN SOLUTION" not in source and "np.logaddexp" not in source.split("## Demo")[0]
    assert source.count("not implemented yet") == len(nb.lab_points()[LAB])
    assert (course["course"] / "release" / LAB / "labkit.py").is_file()


def test_notebook_track_agrees_with_the_batch_grader(course: dict) -> None:
    root = course["root"]
    with (root / "notebooks.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(STUDENTS)
    full = sum(nb.lab_points()[LAB].values())
    for student, row in rows.items():
        report = json.loads((course["json"] / f"{student}.json").read_text())
        expected = report["score"]
        if student == "crashing":
            # No import step in a notebook: the exception only stops the first solution cell.
            assert report["score"] == 0
            expected = full - points_of("sft_gain")
        assert (student, int(row["total"]), int(row[LAB])) == (student, expected, expected)
        assert int(row["max"]) == full
    assert int(rows["perfect"]["total"]) == full and int(rows["empty"]["total"]) == 0
    assert 0 < int(rows["Doe, Jane"]["total"]) - (full - points_of("sft_gain")) < points_of("sft_gain")


def test_gradebook_csv_quotes_a_name_with_a_comma(course: dict) -> None:
    lines = (course["root"] / "notebooks.csv").read_text().splitlines()
    assert lines[0] == f"student,total,max,{LAB},manual"
    assert any(line.startswith('"Doe, Jane",') for line in lines)


def test_every_lab_notebook_gives_the_reference_full_marks(tmp_path) -> None:
    labs = sorted({info.lab for info in catalog()})
    course = tmp_path / "course"
    assert nb.build(course, timeout=60) == labs
    assert nb.submit_py(course, "reference", nb.SOLUTIONS) == labs
    assert nb.autograde(course) == []
    (row,) = nb.gradebook_rows(course)
    points = nb.lab_points()
    assert {lab: row[lab] for lab in labs} == {lab: sum(points[lab].values()) for lab in labs}
