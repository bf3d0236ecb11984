"""The same submission gets the same grade on every path (grading.md, "Every platform gives the
same grade, or says why not").

The three submissions of `tests/same_grade.py` (the reference, the stubs, the reference with one
wrong function), lab files only, are graded by `nox -s grade`'s grader, the batch grader, the
Gradescope entry point on an emulated `/autograder` root and the pull-request script (with the
check run of record the report job makes of its results); every path must give each function
the points `nox -s grade` gives. Then the failure cases of batch and Gradescope, on Lab 1 alone
to keep them short: helpers missing or forged, a subfolder, a zip, duplicate lab files, no file.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.tools import batch, collect
from tests.same_grade import (
    KINDS,
    ROOT,
    WRONG_FUNCTION,
    expected_scores,
    lab_files,
    scores_by_function,
    write_files,
)
from tests.test_gradescope import emulated_root
from tests.test_gradescope import grade as gradescope_grade

LAB1 = "lab1_sft.py"
STUB_LAB1 = (ROOT / "exercises" / LAB1).read_text(encoding="utf-8")
REFERENCE_LAB1 = (ROOT / "solutions" / LAB1).read_text(encoding="utf-8")
BROKEN_HELPER = "raise ImportError('a student copy of a helper')\n"


def lab1_expected() -> dict[str, tuple[float, float]]:
    """Lab 1's per-function scores of the reference, as `nox -s grade` gives them."""
    return {
        name: score for name, score in expected_scores("reference").items() if name.startswith("lab1_sft.")
    }


def test_the_three_submissions_score_what_they_should():
    reference, stubs, one_wrong = (expected_scores(kind) for kind in KINDS)
    assert all(earned == possible > 0 for earned, possible in reference.values())
    assert all(earned == 0 for earned, _ in stubs.values()) and stubs.keys() == reference.keys()
    lost = {name for name, (earned, possible) in one_wrong.items() if earned < possible}
    assert lost == {WRONG_FUNCTION} and one_wrong[WRONG_FUNCTION][0] > 0


# --- batch ------------------------------------------------------------------------------------


def run_batch(tmp_path: Path, students: dict[str, dict[str, str]], *options: str) -> tuple[int, dict, Path]:
    """Grade a class (student -> relative path -> text) with the batch grader; status, CSV rows, reports."""
    submissions = tmp_path / "class"
    for student, files in students.items():
        write_files(submissions / student, files)
    reports = tmp_path / "reports"
    status = batch.main(
        [
            str(submissions),
            "--csv",
            str(tmp_path / "g.csv"),
            "--json-dir",
            str(reports),
            "--jobs",
            "2",
            *options,
        ]
    )
    with (tmp_path / "g.csv").open(newline="", encoding="utf-8") as handle:
        return status, {row["student"]: row for row in csv.DictReader(handle)}, reports


@pytest.fixture(scope="module")
def batch_graded(tmp_path_factory) -> tuple[int, dict, Path]:
    return run_batch(tmp_path_factory.mktemp("batch"), {kind: lab_files(kind) for kind in KINDS})


@pytest.mark.parametrize("kind", KINDS)
def test_batch_gives_the_grade_nox_grade_gives(batch_graded, kind):
    status, rows, reports = batch_graded
    results = json.loads((reports / f"{kind}.json").read_text(encoding="utf-8"))
    assert scores_by_function(results) == expected_scores(kind)
    assert int(rows[kind]["total"]) == sum(earned for earned, _ in expected_scores(kind).values())
    assert rows[kind]["problem"] == "" and status == 0
    scoreboard = (reports / f"{kind}.txt").read_text(encoding="utf-8")
    assert f"Score: {rows[kind]['total']}/{rows[kind]['max']}" in scoreboard


def test_batch_failure_cases_are_graded_by_the_rule_and_named(tmp_path):
    old, new = 1_700_000_000, 1_800_000_000
    students = {
        "forged-helper": {LAB1: REFERENCE_LAB1, "labkit.py": BROKEN_HELPER, "sft_corpus.py": BROKEN_HELPER},
        "subfolder": {f"exercises/{LAB1}": REFERENCE_LAB1},
        "one-level-down": {f"my-work/exercises/{LAB1}": REFERENCE_LAB1},
        "duplicates": {f"exercises/{LAB1}": REFERENCE_LAB1, f"a_backup/{LAB1}": STUB_LAB1, LAB1: STUB_LAB1},
        "newest-wins": {f"old/{LAB1}": REFERENCE_LAB1, f"new/{LAB1}": STUB_LAB1},
        "nothing": {"notes.txt": "I will hand it in tomorrow"},
    }
    submissions = tmp_path / "class"
    for name, stamp in (("old", old), ("new", new)):
        write_files(
            submissions / "newest-wins", {f"{name}/{LAB1}": students["newest-wins"][f"{name}/{LAB1}"]}
        )
        os.utime(submissions / "newest-wins" / name / LAB1, (stamp, stamp))
    archive = submissions / "zipped" / "work.zip"
    archive.parent.mkdir(parents=True)
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"course-main/exercises/{LAB1}", REFERENCE_LAB1)
    del students["newest-wins"]
    status, rows, reports = run_batch(tmp_path, students, "--lab", "1")
    full = sum(earned for earned, _ in lab1_expected().values())
    for student in ("forged-helper", "subfolder", "one-level-down", "duplicates", "zipped"):
        results = json.loads((reports / f"{student}.json").read_text(encoding="utf-8"))
        assert scores_by_function(results) == lab1_expected(), student
        assert (int(rows[student]["total"]), rows[student]["problem"]) == (full, ""), student
    assert int(rows["newest-wins"]["total"]) == 0  # new/ is the most recent: the stub is graded
    report = (reports / "duplicates.txt").read_text(encoding="utf-8")
    assert f"{LAB1}: graded exercises/{LAB1}; ignored {LAB1}, a_backup/{LAB1}" in report
    assert f"graded new/{LAB1}; ignored old/{LAB1}" in (reports / "newest-wins.txt").read_text(
        encoding="utf-8"
    )
    assert f"graded work.zip:course-main/exercises/{LAB1}" in (reports / "zipped.txt").read_text(
        encoding="utf-8"
    )
    assert "ignored labkit.py, sft_corpus.py" in (reports / "forged-helper.txt").read_text(encoding="utf-8")
    assert rows["nothing"]["problem"] == f"lab1_sft: no file {LAB1} in the submission"
    assert f"Not graded in full: lab1_sft: no file {LAB1}" in (reports / "nothing.txt").read_text(
        encoding="utf-8"
    )
    assert status == 1


def test_batch_says_in_one_line_how_many_students_were_not_graded_in_full():
    grades = [
        batch.StudentGrade("a", {"lab1_sft": (3, 32)}),
        batch.StudentGrade("b", {}, "lab1_sft: no file"),
    ]
    line = batch.summary(grades, Path("g.csv"), Path("students"))
    assert (
        line
        == "graded 2 students, 1 not graded in full (see the problem column): g.csv, reports in students/"
    )


# --- Gradescope -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gradescope_root(tmp_path_factory) -> Iterator[Path]:
    yield from emulated_root(tmp_path_factory, 'isolation = "jail"\ntimeout = 2.0\n')


@pytest.mark.parametrize("kind", KINDS)
def test_gradescope_gives_the_grade_nox_grade_gives(gradescope_root, kind):
    results = gradescope_grade(gradescope_root, lab_files(kind))
    assert scores_by_function(results) == expected_scores(kind)
    assert results["score"] == sum(earned for earned, _ in expected_scores(kind).values())


def test_gradescope_failure_cases_are_graded_by_the_rule_and_named(gradescope_root):
    missing = [name for name in lab_files("reference") if name != LAB1]
    cases = {
        "forged helper": {LAB1: REFERENCE_LAB1, "labkit.py": BROKEN_HELPER, "sft_corpus.py": BROKEN_HELPER},
        "subfolder": {f"exercises/{LAB1}": REFERENCE_LAB1},
        "duplicates": {f"exercises/{LAB1}": REFERENCE_LAB1, f"a_backup/{LAB1}": STUB_LAB1},
    }
    for case, files in cases.items():
        results = gradescope_grade(gradescope_root, files)
        scores = scores_by_function(results)
        assert {k: v for k, v in scores.items() if k.startswith("lab1_sft.")} == lab1_expected(), case
        text = json.dumps(results)
        assert str(gradescope_root) not in text and "/tmp/" not in text, case
        assert f"no file {missing[0]} in your submission" in results["output"], case
    assert f"{LAB1}: graded exercises/{LAB1}; ignored a_backup/{LAB1}" in results["output"]


# --- pull requests ----------------------------------------------------------------------------


def load_report_script():
    spec = importlib.util.spec_from_file_location(
        "report_grade", ROOT / ".github" / "scripts" / "report_grade.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kind", KINDS)
def test_the_pull_request_path_gives_the_grade_nox_grade_gives(tmp_path, kind):
    """grade-pull-request.sh on a head whose exercises/ holds the lab files only, then the check
    run of record that the report job makes of its results, as collect reads it back."""
    head = write_files(tmp_path / "head" / "exercises", lab_files(kind)).parent
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    script = ROOT / ".github" / "scripts" / "grade-pull-request.sh"
    command = ["bash", str(script), str(head), str(tmp_path / "results")]
    subprocess.run(command, check=True, capture_output=True, env=environment, timeout=900)
    results = json.loads((tmp_path / "results" / "results.json").read_text(encoding="utf-8"))
    assert scores_by_function(results) == expected_scores(kind)
    report_grade = load_report_script()
    tests = report_grade.load_tests(tmp_path / "results" / "results.json")
    run = report_grade.check_run(tests, report_grade.scoreboard(tests), "0" * 40)
    recorded = collect.record_of(run)
    assert recorded is not None
    assert {name: (earned, possible) for name, (earned, possible) in recorded.items()} == expected_scores(
        kind
    )
