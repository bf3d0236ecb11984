"""Attacks on the grader's first layer (issue 13): learner code that kills, stops or hangs the
process above it, dies or hangs at import, leaves a daemon behind, floods a message, injects
Markdown, or imports what is not installed. Each test asserts what the contract promises: only
the guilty function (or lab) loses points, the run ends in bounded time, the results files are
the grader's, and no process outlives the run.

They grade with `--isolation process`: the first layer must hold on its own (where the jail
cannot run, and in case it has a hole); `tests/test_jail.py` attacks the jail.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.cli import main
from autograder.confine import landlock_version
from autograder.labs import load_lab
from tests.test_isolation import processes_running_from

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
LAYER_1 = ("--isolation", "process")


def submission(folder: Path, attack: str, other_lab: str = "lab4_dpo") -> Path:
    """The attacking file as lab1_sft.py (the reference as `_reference.py`), and a correct other lab."""
    folder.mkdir(parents=True, exist_ok=True)
    for helper in ("labkit.py", "sft_corpus.py", "preference_kit.py", f"{other_lab}.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", folder / "_reference.py")
    shutil.copy(SUBMISSIONS / f"{attack}.py", folder / "lab1_sft.py")
    return folder


def grade(folder: Path, out: Path, *args: str) -> tuple[dict, float]:
    started = time.monotonic()
    status = main(
        [
            "--submission",
            str(folder),
            "--lab",
            "1",
            "--lab",
            "4",
            "--timeout",
            "1",
            *LAYER_1,
            "--json",
            str(out / "r.json"),
            "--markdown",
            str(out / "r.md"),
            *args,
        ]
    )
    seconds = time.monotonic() - started
    assert status == 1
    return json.loads((out / "r.json").read_text()), seconds


def lab_scores(report: dict) -> dict[str, int]:
    scores: dict[str, int] = {}
    for test in report["tests"]:
        lab = test["name"].split(".", 1)[0]
        scores[lab] = scores.get(lab, 0) + test["score"]
    return scores


def losing(report: dict) -> set[str]:
    return {t["name"].split(":")[0].split(".", 1)[1] for t in report["tests"] if t["status"] != "passed"}


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("attack", "words"),
    [
        ("exit_at_import", "exit status 3"),
        ("hang_at_import", "did not finish importing: timed out"),
        ("stop_parent", "stopped the grader's process"),
        ("kill_parent", "grader's process was killed"),
    ],
)
def test_a_lab_that_takes_its_grader_down_costs_only_that_lab(attack, words, jobs, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "IMPORT_TIME_LIMIT", 2.0)
    folder = submission(tmp_path / "sub", attack)
    report, seconds = grade(folder, tmp_path, "--jobs", jobs)
    assert lab_scores(report) == {"lab1_sft": 0, "lab4_dpo": load_lab(4).points}
    assert words in report["output"]
    assert seconds < 60
    assert not processes_running_from(folder)


def test_a_slow_import_cannot_multiply_the_time_outs(tmp_path, monkeypatch):
    """1.5 s of import, three hanging functions, imports limited to 4 s in all: the first
    time-outs restart the worker until the budget is spent; the run stays short."""
    monkeypatch.setattr(sandbox, "IMPORT_TIME_LIMIT", 4.0)
    folder = submission(tmp_path / "sub", "slow_import")
    report, seconds = grade(folder, tmp_path, "--jobs", "1")
    assert {"log_softmax", "masked_mean_nll", "sft_gain"} <= losing(report)
    assert "imports have used the 4 s" in report["output"] or "while importing your lab" in report["output"]
    assert seconds < 40


def test_a_huge_message_with_markdown_is_cut_and_rendered_as_text(tmp_path):
    folder = submission(tmp_path / "sub", "huge_message")
    report, _ = grade(folder, tmp_path)
    assert losing(report) == {"masked_mean_nll"}
    assert len((tmp_path / "r.json").read_text()) < 500_000
    markdown = (tmp_path / "r.md").read_text()
    assert len(markdown) < 60_000
    outside_code = "".join(markdown.split("```text")[0::2]) + markdown.split("```text")[-1].split("```")[-1]
    for injected in ("![img]", "@octocat", "**Score: 133/133**", "<b>"):
        assert injected not in outside_code
    assert markdown.count("```") == 2  # the fence itself: the learner's backticks cannot close it


def test_a_daemon_left_at_import_dies_before_the_results_are_written(tmp_path):
    folder = submission(tmp_path / "sub", "daemon")
    out = tmp_path / "r.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--submission",
            str(folder),
            "--lab",
            "1",
            *LAYER_1,
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    time.sleep(1)  # the daemon would act within 0.05 s of the grader's exit
    assert not (folder / "daemon.ran").exists()
    if landlock_version():  # its writes outside its own folder are refused: it cannot record its id
        assert not (folder / "daemon.pid").exists()
    else:
        assert not Path(f"/proc/{int((folder / 'daemon.pid').read_text())}").exists()
    assert json.loads(out.read_text())["max_score"] == load_lab(1).points
    assert not processes_running_from(folder)


def test_a_package_that_is_not_installed_is_one_line_naming_it_and_the_allowed_ones(tmp_path):
    folder = submission(tmp_path / "sub", "missing_package")
    report, _ = grade(folder, tmp_path)
    assert lab_scores(report) == {"lab1_sft": 0, "lab4_dpo": load_lab(4).points}
    lab1 = next(t["output"] for t in report["tests"] if t["name"].startswith("lab1_sft."))
    assert "`scipy`" in lab1 and "numpy" in lab1 and "labkit" in lab1 and "preference_kit" in lab1
    assert "Traceback" not in report["output"] and len(lab1.splitlines()) == 1


def test_no_results_file_is_left_to_a_process_of_the_learner(tmp_path):
    """The fake_results attack, graded as a separate process: its child (forked at import)
    tries to rewrite the results 3 s later; the run adopts and kills it first."""
    folder = submission(tmp_path / "sub", "fake_results")
    out = tmp_path / "r.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "--submission",
            str(folder),
            "--lab",
            "1",
            *LAYER_1,
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    time.sleep(3.5)
    assert json.loads(out.read_text())["max_score"] == load_lab(1).points
    assert not processes_running_from(folder)
