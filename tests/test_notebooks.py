"""The notebook track: notebooks built from solutions/, autograded out of the kernel, agreeing with the batch grader.

Needs nbgrader and a Python kernel (ipykernel); the test environment pins both. The same
synthetic class as `tests/test_batch.py` (Lab 1 only) is turned into submitted notebooks, with
three more students whose notebooks attack the grading (a solution cell that patches
`autograder.check`, as the issue's forging cell did, one that also has a wrong function, one that
calls `os._exit`), autograded, and compared with the batch grader: every notebook scores what
its code earns. Every lab's notebook giving the reference full marks, function by function, is
checked by `tests/test_same_grade_nbgrader.py`.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader")
pytest.importorskip("ipykernel")

from autograder import catalog
from autograder.tools import notebooks as nb
from tests.test_batch import LAB, STUDENTS, batch_grade_class, points_of

FORGE = "import autograder; autograder.check = lambda *a: None"
"""The issue's forging line: in a kernel shared with the test cells it scored a stub notebook 32/32."""
GUARDED_FORGE = f"try:\n    {FORGE}\nexcept ImportError:\n    pass"
EXIT = "import os\nos._exit(0)"
ATTACKERS = ("forger", "wrong and forging", "exiting")


def submit_notebook(course: Path, student: str, source: str, first_cell: str) -> None:
    """`source` (a lab file) as a submitted notebook, with `first_cell` prepended to its first solution cell."""
    release = nbformat.read(course / "release" / LAB / f"{LAB}.ipynb", as_version=4)
    notebook = nb.submission_notebook(release, source)
    first = next(
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"
    )
    first.source = first_cell + "\n\n" + first.source
    target = course / "submitted" / student / LAB
    target.mkdir(parents=True)
    nbformat.write(notebook, target / f"{LAB}.ipynb")


def _graded_cells(notebook: nbformat.NotebookNode) -> list[dict]:
    return [c.metadata["nbgrader"] for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade")]


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Lab 1's course built, the class submitted as notebooks and autograded; the batch grades too."""
    root = tmp_path_factory.mktemp("notebooks")
    course = root / "course"
    assert nb.build(course, labs=[1]) == [LAB]
    batch = batch_grade_class(tmp_path_factory)
    submissions = batch["submissions"]
    for student in STUDENTS:
        assert nb.submit_py(course, student, submissions / student) == [LAB]
    stub = (nb.ROOT / "exercises" / f"{LAB}.py").read_text()
    wrong = (submissions / "Doe, Jane" / f"{LAB}.py").read_text()
    submit_notebook(course, "forger", stub, FORGE)
    submit_notebook(course, "wrong and forging", wrong, GUARDED_FORGE)
    submit_notebook(course, "exiting", (nb.SOLUTIONS / f"{LAB}.py").read_text(), EXIT)
    failures = nb.autograde(course)
    nb.write_csv(nb.gradebook_rows(course), root / "notebooks.csv", [LAB])
    return {"course": course, "root": root, "json": batch["root"] / "json", "failures": failures}


def rows(course: dict) -> dict[str, dict[str, str]]:
    with (course["root"] / "notebooks.csv").open(newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


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
    assert checks == [
        "# Self-check: the docstring's examples.\nfrom self_check import check_examples\n\ncheck_examples(log_softmax)"
    ]
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
    assert (course["course"] / "release" / LAB / nb.SELF_CHECK).read_text() == Path(
        nb.public.__file__
    ).read_text()


def test_the_exported_lab_file_is_the_lab_file_it_stands_for() -> None:
    solution = (nb.SOLUTIONS / f"{LAB}.py").read_text()
    source = nb.source_notebook(LAB, solution, nb.lab_points()[LAB])
    exported = nb.lab_source(source)
    assert "check_examples" not in exported and "run_demo(main, [])" not in exported
    body = solution.split('\nif __name__ == "__main__":')[0]
    code = [line for line in body.split('"""', 2)[2].splitlines() if line.strip()]  # after the docstring
    assert [line for line in exported.splitlines() if line.strip()] == code


def run_release_notebook(course: Path, source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run every cell of the released notebook holding `source`, in a kernel that cannot import `autograder`."""
    from nbclient import NotebookClient

    folder = tmp_path / "student"
    shutil.copytree(course / "release" / LAB, folder)
    notebook = nb.submission_notebook(nbformat.read(folder / f"{LAB}.ipynb", as_version=4), source)
    notebook.cells.insert(
        0,
        nbformat.v4.new_code_cell(
            "import importlib.util\nassert importlib.util.find_spec('autograder') is None"
        ),
    )
    monkeypatch.delenv("PYTHONPATH", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # skip the demo: only the self-checks matter here
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    return "\n".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")
        for output in cell.outputs
    )


def test_students_run_the_self_checks_without_the_grader(course: dict, tmp_path, monkeypatch) -> None:
    functions = list(nb.lab_points()[LAB])
    reference = run_release_notebook(
        course["course"], (nb.SOLUTIONS / f"{LAB}.py").read_text(), tmp_path / "r", monkeypatch
    )
    assert [line.split()[:2] for line in reference.splitlines() if line[:1] in ("✓", "✗", "·")] == [
        ["✓", f] for f in functions
    ]
    stub = run_release_notebook(
        course["course"], (nb.ROOT / "exercises" / f"{LAB}.py").read_text(), tmp_path / "s", monkeypatch
    )
    assert stub.count("not implemented yet") == len(functions) and "✗" not in stub


def test_notebook_track_agrees_with_the_batch_grader(course: dict) -> None:
    graded = rows(course)
    assert sorted(graded) == sorted([*STUDENTS, *ATTACKERS])
    full = sum(nb.lab_points()[LAB].values())
    for student in STUDENTS:
        row = graded[student]
        expected = json.loads((course["json"] / f"{student}.json").read_text())["score"]
        assert (student, int(row["total"]), int(row[LAB]), int(row["max"])) == (
            student,
            expected,
            expected,
            full,
        )
    assert int(graded["perfect"]["total"]) == full and int(graded["empty"]["total"]) == 0
    assert int(graded["crashing"]["total"]) == 0
    assert 0 < int(graded["Doe, Jane"]["total"]) - (full - points_of("sft_gain")) < points_of("sft_gain")


def test_a_solution_cell_cannot_change_a_test_cells_result(course: dict) -> None:
    graded = rows(course)
    assert int(graded["forger"]["total"]) == 0  # the stubs' grade (it scored 32/32 in a shared kernel)
    assert graded["forger"]["problem"] == ""  # graded: its functions are the stubs
    assert graded["wrong and forging"]["total"] == graded["Doe, Jane"]["total"]
    assert graded["wrong and forging"]["problem"] == ""
    autograded = nbformat.read(
        course["course"] / "autograded" / "forger" / LAB / f"{LAB}.ipynb", as_version=4
    )
    results = [
        o
        for c in autograded.cells
        if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "execute_result"
    ]
    assert [o.data["text/plain"] for o in results] == ["0"] * len(nb.lab_points()[LAB])


def test_a_notebook_that_ends_its_process_is_reported(course: dict) -> None:
    problem = rows(course)["exiting"]["problem"]
    assert int(rows(course)["exiting"]["total"]) == 0
    assert "os._exit was called" in problem and problem.startswith(f"{LAB}: ")
    assert any(f.startswith(f"exiting/{LAB}: ") and "os._exit" in f for f in course["failures"])
    assert {f.split("/")[0] for f in course["failures"]} == {
        "crashing",
        "exiting",
        "hanging",
    }  # hanging: timed out


def test_gradebook_csv_quotes_a_name_with_a_comma(course: dict) -> None:
    lines = (course["root"] / "notebooks.csv").read_text().splitlines()
    assert lines[0] == f"student,total,max,{LAB},manual,problem"
    assert any(line.startswith('"Doe, Jane",') for line in lines)


def test_autograde_writes_its_csv_under_the_course_folder(course: dict, capsys) -> None:
    status = nb.main(["autograde", "--course", str(course["course"])])
    assert status == 1 and (course["course"] / "grades.csv").is_file()
    assert "3 lab(s) not graded in full" in capsys.readouterr().err
