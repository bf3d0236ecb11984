"""`nox -s gradescope` builds an autograder.zip that grades as Gradescope runs it.

The zip is unpacked into a temporary root laid out as Gradescope lays out `/autograder`
(`source/`, `submission/`, `results/`, `run_autograder`); the Python part of `setup.sh` builds
the virtualenv from the pins, and `run_autograder` grades the reference, the stubs and a wrong
submission, in the jail, as the unprivileged user when the tests run as root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.tools import gradescope

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
"""The venv is made from the system's Python, as on Gradescope's image: the unprivileged user must
be able to run it (a Python under /root, such as pyenv's, is out of its reach)."""
HIDDEN = "lab3_rlhf.*"
CONFIG = f"""
isolation = "jail"
timeout = 2.0

[visibility]
default = "visible"

[[visibility.rule]]
tests = "{HIDDEN}"
visibility = "after_due_date"
"""


def emulated_root(tmp_path_factory: pytest.TempPathFactory, config_text: str = CONFIG) -> Iterator[Path]:
    """A Gradescope-like root with the zip (built with `config_text` as gradescope.toml) unpacked
    and setup.sh's Python part run; removed afterwards."""
    version = (
        subprocess.run(
            [SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info >= (3, 11))"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if Path(SYSTEM_PYTHON).exists()
        else ""
    )
    if version != "True" and os.environ.get("CI") != "true":
        pytest.skip(f"{SYSTEM_PYTHON} >= 3.11 is needed, as on Gradescope's image")
    config = tmp_path_factory.mktemp("config") / "gradescope.toml"
    config.write_text(config_text, encoding="utf-8")
    archive = gradescope.build(tmp_path_factory.mktemp("zip") / "autograder.zip", config)
    # Not under pytest's private tmp folder: the unprivileged user must reach the venv and source.
    root = Path(tempfile.mkdtemp(prefix="autograder-root-", dir="/tmp"))
    root.chmod(0o755)
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(root / "source")
        names = unpacked.namelist()
    assert {"setup.sh", "run_autograder", "requirements/grade.txt", "solutions/lab1_sft.py"} <= set(names)
    assert "autograder/labs/__init__.py" in names and "gradescope.toml" in names
    for name in ("setup.sh", "setup-python.sh", "run_autograder"):
        (root / "source" / name).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": SYSTEM_PYTHON}
    subprocess.run(["bash", str(root / "source" / "setup-python.sh")], env=env, check=True, timeout=600)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory) -> Iterator[Path]:
    """The emulated root, with Lab 3's tests visible after the due date."""
    yield from emulated_root(tmp_path_factory)


def grade(root: Path, files: dict[str, str]) -> dict:
    """Put `files` (relative path -> text) in root/submission, run run_autograder, return results.json."""
    shutil.rmtree(root / "submission", ignore_errors=True)
    shutil.rmtree(root / "results", ignore_errors=True)
    (root / "submission").mkdir()
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text, encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "AUTOGRADER_ROOT": str(root)}
    subprocess.run([str(root / "run_autograder")], env=env, check=True, timeout=600)
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def lab_files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in folder.glob("lab[0-9]_*.py")}


def test_reference_scores_full_marks_with_hidden_tests_marked(autograder_root):
    results = grade(autograder_root, lab_files(ROOT / "solutions"))
    assert results["score"] == sum(t["max_score"] for t in results["tests"]) > 0
    hidden = [t for t in results["tests"] if t["name"].startswith("lab3_rlhf.")]
    assert hidden and all(t["visibility"] == "after_due_date" for t in hidden)
    assert all(t["visibility"] == "visible" for t in results["tests"] if t not in hidden)


def test_stubs_score_zero(autograder_root):
    results = grade(autograder_root, lab_files(ROOT / "exercises"))
    assert results["score"] == 0 and results["tests"]
    assert "not implemented yet" in json.dumps(results)


def test_a_wrong_submission_loses_points_and_hidden_feedback_stays_hidden(autograder_root):
    files = lab_files(ROOT / "solutions")
    files["lab4_dpo.py"] = files["lab4_dpo.py"].replace(
        "np.logaddexp(0.0, -beta * margin)", "np.logaddexp(0.0, beta * margin)"
    )
    files["lab3_rlhf.py"] = files["lab3_rlhf.py"].replace("def kl_divergence(", "def _unused(", 1)
    results = grade(autograder_root, files)
    full = sum(t["max_score"] for t in results["tests"])
    assert 0 < results["score"] < full
    failed = {t["name"].split(":")[0] for t in results["tests"] if t["score"] < t["max_score"]}
    assert {"lab4_dpo.dpo_loss", "lab3_rlhf.kl_divergence"} <= failed
    assert "lab4_dpo.dpo_loss" in results["output"] and "kl_divergence" not in results["output"]


def test_a_submission_without_lab_files_gets_a_clear_zero(autograder_root):
    results = grade(autograder_root, {"notes.txt": "hello"})
    assert results["score"] == 0 and "no lab file" in results["output"]


def test_no_action_builds_the_zip_as_the_guide_says(tmp_path, capsys):
    """`nox -s gradescope` and `nox -s gradescope -- --config FILE` run the tool with no action."""
    assert gradescope.main(["--out", str(tmp_path / "a.zip")]) == 0
    config = tmp_path / "mine.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert gradescope.main(["--config", str(config), "--out", str(tmp_path / "b.zip")]) == 0
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert archive.read("gradescope.toml").decode() == CONFIG
    assert "Wrote" in capsys.readouterr().out


def test_tests_not_shown_now_are_announced_as_gradescope_will_show_them():
    config = {
        "visibility": {
            "rule": [
                {"tests": "lab2_*", "visibility": "hidden"},
                {"tests": "lab3_*", "visibility": "after_due_date"},
            ]
        }
    }
    tests = [{"name": f"lab{n}_x.f: p", "score": 0, "max_score": 1, "output": "wrong"} for n in (1, 2, 3)]
    output = gradescope.apply_visibility({"output": "full report", "tests": tests}, config)["output"]
    assert output.startswith("1 of 3 tests are shown now (0/1 points)")
    assert "1 shown after the due date" in output and "1 never shown to students (hidden)" in output
    assert "later" not in output and "lab2_x" not in output and "lab3_x" not in output
