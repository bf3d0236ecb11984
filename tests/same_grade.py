"""The three submissions every grading path must score alike, and the grade `nox -s grade` gives them.

Shared by `tests/test_same_grade.py` (the grader, batch, Gradescope, pull requests) and any
other path's test (the notebooks' autograde): each grades `SUBMISSIONS` its own way and compares
`scores_by_function(its results.json)` with `expected_scores(kind)`.

The submissions hold the lab files only, as the student README and Gradescope ask students to
hand in: the provided helpers (`labkit.py`, ...) must come from the course on every path. The
expected scores are those of `python -m autograder --submission DIR`, what `nox -s grade` runs,
on a folder laid out as `exercises/` is (the lab files beside the course's helpers).
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.labs import LAB_MODULES
from autograder.sandbox import PROVIDED_HELPERS

ROOT = Path(__file__).resolve().parent.parent
WRONG_FUNCTION = "lab4_dpo.dpo_loss"
"""The one function that is wrong in the `one_wrong` submission: its margin's sign is flipped."""
KINDS = ("reference", "stubs", "one_wrong")


def lab_files(kind: str) -> dict[str, str]:
    """The lab files (name -> text) of the submission `kind`: "reference", "stubs" or "one_wrong"."""
    folder = ROOT / ("exercises" if kind == "stubs" else "solutions")
    files = {
        f"{module}.py": (folder / f"{module}.py").read_text(encoding="utf-8")
        for module in LAB_MODULES.values()
    }
    if kind == "one_wrong":
        right = "np.logaddexp(0.0, -beta * margin)"
        assert right in files["lab4_dpo.py"], "the reference changed: update WRONG_FUNCTION's edit"
        files["lab4_dpo.py"] = files["lab4_dpo.py"].replace(right, "np.logaddexp(0.0, beta * margin)")
    return files


def write_files(folder: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> text) under `folder`; return `folder`."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def scores_by_function(results: dict) -> dict[str, tuple[float, float]]:
    """Points earned and possible per graded function, from a results.json (Gradescope schema)."""
    table: dict[str, tuple[float, float]] = {}
    for test in results["tests"]:
        function = test["name"].split(":", 1)[0].strip()
        earned, possible = table.get(function, (0.0, 0.0))
        table[function] = (earned + float(test["score"]), possible + float(test["max_score"]))
    return table


def grade_with_nox_grade_grader(folder: Path, *options: str) -> dict:
    """The results.json of `python -m autograder --submission folder` (what `nox -s grade` runs)."""
    out = folder.parent / f"{folder.name}-results.json"
    command = [
        sys.executable,
        "-m",
        "autograder",
        "--submission",
        str(folder),
        "--json",
        str(out),
        "--fail-under",
        "0",
    ]
    subprocess.run([*command, *options], cwd=ROOT, check=True, capture_output=True, timeout=900)
    return json.loads(out.read_text(encoding="utf-8"))


@functools.cache
def expected_scores(kind: str) -> dict[str, tuple[float, float]]:
    """Per-function scores of the submission `kind` as `nox -s grade` gives them (computed once)."""
    with tempfile.TemporaryDirectory(prefix="same-grade-") as scratch:
        folder = write_files(Path(scratch) / "exercises", lab_files(kind))
        for helper in PROVIDED_HELPERS:
            shutil.copy(ROOT / "solutions" / f"{helper}.py", folder / f"{helper}.py")
        return scores_by_function(grade_with_nox_grade_grader(folder))
