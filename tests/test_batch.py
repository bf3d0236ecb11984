"""The batch grader on a small synthetic class: scores in the expected order, CSV and JSON round trip.

The class is graded on Lab 1 only, to keep the run short; `make_class` is shared with
`tests/test_notebooks.py`, which grades the same files on the notebook track.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import time
from pathlib import Path

import pytest

from autograder import catalog
from autograder.tools.batch import main

ROOT = Path(__file__).resolve().parent.parent
LAB = "lab1_sft"

WRONG_SFT_GAIN = """

def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    return {d: float(s) + mixture.get(d, 0.0) * max_gain for d, s in base_scores.items()}
"""
HANGING_SFT_GAIN = """

def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    while True:
        pass
"""
CRASH = '\n\nraise RuntimeError("boom at import")\n'
STUDENTS = ("perfect", "empty", "Doe, Jane", "crashing", "hanging")


def _with(text: str, addition: str) -> str:
    """The lab file with `addition` inserted before its `if __name__` block."""
    head, sep, tail = text.partition('\nif __name__ == "__main__":')
    return head.rstrip("\n") + "\n" + addition + "\n" + sep + tail


def make_class(folder: Path) -> Path:
    """perfect (the solution), empty (the stub), "Doe, Jane" (sft_gain wrong), crashing, hanging."""
    solution = (ROOT / "solutions" / f"{LAB}.py").read_text()
    files = {
        "perfect": solution,
        "empty": (ROOT / "exercises" / f"{LAB}.py").read_text(),
        "Doe, Jane": _with(solution, WRONG_SFT_GAIN),
        "crashing": _with(solution, CRASH),
        "hanging": _with(solution, HANGING_SFT_GAIN),
    }
    for student, text in files.items():
        target = folder / student
        target.mkdir(parents=True)
        for helper in ("labkit.py", "sft_corpus.py"):
            shutil.copy(ROOT / "solutions" / helper, target / helper)
        (target / f"{LAB}.py").write_text(text)
    return folder


def points_of(name: str) -> int:
    return next(info.points for info in catalog() if info.lab == LAB and info.name == name)


_GRADED: dict = {}


def batch_grade_class(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The class graded once per session by `python -m autograder.tools.batch`, with its CSV and JSON reports."""
    if not _GRADED:
        root = tmp_path_factory.mktemp("batch")
        submissions = make_class(root / "submissions")
        status = main(
            [
                str(submissions),
                "--csv",
                str(root / "grades.csv"),
                "--json-dir",
                str(root / "json"),
                "--lab",
                "1",
                "--jobs",
                "2",
            ]
        )
        with (root / "grades.csv").open(newline="", encoding="utf-8") as handle:
            rows = {row["student"]: row for row in csv.DictReader(handle)}
        _GRADED.update(status=status, rows=rows, root=root, submissions=submissions)
    return _GRADED


@pytest.fixture
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return batch_grade_class(tmp_path_factory)


def test_scores_are_in_the_expected_order(graded: dict) -> None:
    assert graded["status"] == 1  # the crashing and the hanging students were not graded in full
    rows = graded["rows"]
    assert sorted(rows) == sorted(STUDENTS)
    total = {student: int(row["total"]) for student, row in rows.items()}
    full = int(rows["perfect"]["max"])
    assert full == sum(info.points for info in catalog() if info.lab == LAB)
    assert total["perfect"] == full
    assert total["empty"] == total["crashing"] == 0
    assert total["hanging"] == full - points_of("sft_gain")
    assert total["hanging"] < total["Doe, Jane"] < full


def test_csv_parses_back_to_the_json_reports(graded: dict) -> None:
    for student, row in graded["rows"].items():
        report = json.loads((graded["root"] / "json" / f"{student}.json").read_text())
        assert (int(row["total"]), int(row["max"]), int(row[LAB])) == (
            report["score"],
            report["max_score"],
            report["score"],
        )
    header = (graded["root"] / "grades.csv").read_text().splitlines()
    assert header[0] == f"student,total,max,{LAB},problem,isolation"
    assert any(line.startswith('"Doe, Jane",') for line in header)


def test_a_lab_not_graded_in_full_names_its_problem_and_wrong_answers_do_not(graded: dict) -> None:
    problems = {student: row["problem"] for student, row in graded["rows"].items()}
    assert problems["perfect"] == problems["empty"] == problems["Doe, Jane"] == ""
    assert problems["crashing"].startswith("lab1_sft: your lab1_sft.py does not import")
    assert problems["hanging"].startswith("lab1_sft.sft_gain: ") and "timed out" in problems["hanging"]


def test_the_hanging_function_is_reported_as_timed_out(graded: dict) -> None:
    report = json.loads((graded["root"] / "json" / "hanging.json").read_text())
    outputs = [t["output"] for t in report["tests"] if t["name"].startswith(f"{LAB}.sft_gain")]
    assert outputs and all("timed out" in text for text in outputs)


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "missing"), "--csv", str(tmp_path / "g.csv")])
    assert exit_info.value.code == 2


KILL_GRADER = """
import os, signal
_graders = []  # the grader processes above this one, nearest first: the lab's, then the student's
_pid = os.getppid()
while _pid > 1 and len(_graders) < {which} + 1:
    try:
        if b"autograder" in open(f"/proc/{{_pid}}/cmdline", "rb").read():
            _graders.append(_pid)
        with open(f"/proc/{{_pid}}/stat", "rb") as _handle:
            _pid = int(_handle.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        break
os.kill(_graders[{which}], signal.SIGKILL)
"""
KILL_LAB_GRADER = KILL_GRADER.format(which=0)
"""Kills exactly the lab's grader process: the student's grader survives and writes its results."""
KILL_STUDENT_GRADER = KILL_GRADER.format(which=1)
"""Kills exactly the student's top-level grader: it dies before writing any results."""
EXIT_AT_IMPORT = "\n\nimport os\nos._exit(0)\n"
SPINNER = """
import os
for _ in range(16):
    if os.fork() == 0:
        while True:
            pass
"""
REWRITER = """
import glob, os
_pid = os.getppid()
while _pid > 1:  # find SUBMISSIONS_DIR on the batch's command line and rewrite every lab file in it
    try:
        _argv = open(f"/proc/{_pid}/cmdline", "rb").read().decode().split("\\0")
        with open(f"/proc/{_pid}/stat", "rb") as _handle:
            _pid = int(_handle.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        break
    for _arg in _argv:  # only the test's own class folder: never a repository named on a command line
        for _path in glob.glob(os.path.join(_arg, "*", "lab1_sft.py")) if _arg.endswith("/submissions") else ():
            with open(_path, "w") as _out:
                _out.write("raise SystemExit")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_hostile_students_cost_only_their_own_row(tmp_path: Path) -> None:
    """One student kills their lab's grader process, one their own top-level grader, one exits at
    import, one spins 16 processes, one rewrites everybody's files; the honest students keep full
    marks, each attacker's row names a problem, and the CSV is written."""
    solution = (ROOT / "solutions" / f"{LAB}.py").read_text()
    students = {
        "a-lab-killer": KILL_LAB_GRADER,
        "a-top-killer": KILL_STUDENT_GRADER,
        "b-exiter": EXIT_AT_IMPORT,
        "c-spinner": SPINNER,
        "d-rewriter": REWRITER,
        "e-honest": "",
        "f-honest": "",
    }
    submissions = tmp_path / "submissions"
    for student, attack in students.items():
        folder = submissions / student
        folder.mkdir(parents=True)
        for helper in ("labkit.py", "sft_corpus.py"):
            shutil.copy(ROOT / "solutions" / helper, folder / helper)
        (folder / f"{LAB}.py").write_text(_with(solution, attack))
    started = time.monotonic()
    status = main(
        [
            str(submissions),
            "--csv",
            str(tmp_path / "g.csv"),
            "--json-dir",
            str(tmp_path / "reports"),
            "--lab",
            "1",
            "--jobs",
            "2",
            "--isolation",
            "process",
        ]
    )  # layer 1 alone: the jail would stop these attacks earlier
    assert time.monotonic() - started < 240
    with (tmp_path / "g.csv").open(newline="", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(students) and status == 1
    full = sum(info.points for info in catalog() if info.lab == LAB)
    assert int(rows["e-honest"]["total"]) == int(rows["f-honest"]["total"]) == full
    assert int(rows["b-exiter"]["total"]) == 0
    assert "processes" in rows["c-spinner"]["problem"]
    assert (
        "lab1_sft: this lab could not be graded: the grader's process was killed"
        in rows["a-lab-killer"]["problem"]
    )
    assert "their grader was killed" in rows["a-top-killer"]["problem"]
    assert int(rows["a-lab-killer"]["total"]) == int(rows["a-top-killer"]["total"]) == 0
    assert rows["b-exiter"]["problem"] and not rows["e-honest"]["problem"] and not rows["f-honest"]["problem"]
