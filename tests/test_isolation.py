"""Learner code cannot change a verdict, hang the grader or take it down (grading.md,
"Untrusted learner code"). Each submission in tests/submissions/ attacks the grader and
also carries at most one wrong function: only the functions it breaks may lose points."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.labs import LAB_MODULES, available_labs, load_lab

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def lab1_submission(folder: Path, attack: str) -> Path:
    """The reference as `_reference.py`, the helpers, and the attacking file as lab1_sft.py."""
    folder.mkdir(parents=True, exist_ok=True)
    for helper in (ROOT / "solutions").glob("*.py"):
        shutil.copy(helper, folder / helper.name)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", folder / "_reference.py")
    shutil.copy(SUBMISSIONS / f"{attack}.py", folder / "lab1_sft.py")
    return folder


def grade(folder: Path, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / "results.json"
    status = main(["--submission", str(folder), "--json", str(out), "--timeout", "1", *args])
    assert status in (0, 1)
    return json.loads(out.read_text())


def functions_losing_points(report: dict) -> set[str]:
    return {t["name"].split(":")[0] for t in report["tests"] if t["status"] != "passed"}


@pytest.mark.parametrize(
    ("attack", "broken", "words"),
    [
        ("hang", {"log_softmax"}, "timed out after 1 s"),
        ("os_exit", {"next_token_targets"}, "exit status 0"),
        ("segfault", {"masked_mean_nll"}, "signal 11"),
        ("sys_exit", {"sft_gain", "sft_step"}, "ended while running the call"),
        # patching builtins.abs also breaks its own sft_gain's check that the mixture sums to 1
        ("patcher", {"masked_mean_nll", "sft_gain"}, "divide by the number of masked-in tokens"),
        ("unsendable", {"log_softmax"}, "cannot read"),
        ("spam", set(), ""),
    ],
)
def test_an_attack_costs_only_the_functions_it_breaks(attack, broken, words, tmp_path):
    report = grade(lab1_submission(tmp_path / "sub", attack), tmp_path, "--lab", "1")
    assert functions_losing_points(report) == {f"lab1_sft.{name}" for name in broken}
    assert words in "\n".join(t["output"] for t in report["tests"] if t["status"] != "passed")


def test_results_files_replace_a_fake_one_and_stay_valid(tmp_path):
    folder = lab1_submission(tmp_path / "sub", "fake_results")
    outputs = {kind: tmp_path / f"results.{kind}" for kind in ("json", "junit", "markdown")}
    status = main(
        [
            "--submission",
            str(folder),
            "--lab",
            "1",
            *(a for kind, path in outputs.items() for a in (f"--{kind}", str(path))),
        ]
    )
    assert status == 1
    report = json.loads(outputs["json"].read_text())
    assert report["max_score"] == load_lab(1).points
    assert functions_losing_points(report) == {"lab1_sft.sft_gain"}
    assert outputs["markdown"].read_text().startswith("## Score:")
    assert outputs["junit"].read_text().startswith("<?xml")


def test_output_printed_by_learner_code_stays_out_of_the_reports(tmp_path, capsys):
    folder = lab1_submission(tmp_path / "sub", "spam")
    md = tmp_path / "scoreboard.md"
    main(["--submission", str(folder), "--lab", "1", "--markdown", str(md)])
    assert "999" not in capsys.readouterr().out + md.read_text()


def test_a_lab_that_does_not_import_scores_zero_and_the_others_are_graded(tmp_path, capsys):
    folder = lab1_submission(tmp_path / "sub", "spam")
    shutil.copy(SUBMISSIONS / "syntax_error.txt", folder / "lab2_reward.py")
    if 2 not in available_labs():
        pytest.skip("lab 2 has no grader yet")
    report = grade(folder, tmp_path, "--lab", "1", "--lab", "2")
    assert "SyntaxError" in capsys.readouterr().out
    lab1 = [t for t in report["tests"] if t["name"].startswith("lab1_sft.")]
    assert all(t["status"] == "passed" for t in lab1)
    assert report["score"] == sum(t["max_score"] for t in lab1)


def hanging_submission(folder: Path) -> Path:
    """Every function of every lab loops forever."""
    folder.mkdir()
    for number in available_labs():
        lab = load_lab(number)
        body = "".join(
            f"def {g.name}(*args, **kwargs):\n    while True:\n        pass\n\n\n" for g in lab.functions
        )
        (folder / f"{LAB_MODULES[number]}.py").write_text(body)
    return folder


def test_every_function_hanging_still_ends_and_writes_the_results(tmp_path):
    folder = hanging_submission(tmp_path / "hanging")
    out = tmp_path / "r.json"
    assert main(["--submission", str(folder), "--json", str(out), "--timeout", "0.5"]) == 1
    report = json.loads(out.read_text())
    assert report["score"] == 0 and report["tests"]
    assert all("timed out" in t["output"] for t in report["tests"])


def processes_running_from(folder: Path) -> list[int]:
    """The ids of the processes whose command line names `folder` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_stopping_the_grader_ends_every_process_and_still_writes_the_results(tmp_path, jobs, stop):
    folder = hanging_submission(tmp_path / "hanging")
    out = tmp_path / "r.json"
    grader = subprocess.Popen(
        [sys.executable, "-m", "autograder", "--submission", str(folder), "--json", str(out), "--jobs", jobs],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    while len(processes_running_from(folder)) <= 1 + int(jobs):  # the grader(s) and a learner's worker
        assert grader.poll() is None, grader.stdout.read()
        time.sleep(0.05)
    if stop == "ctrl-c":  # reaches the terminal's whole foreground process group
        os.killpg(grader.pid, signal.SIGINT)
    else:  # `kill PID`, a CI runner cancelling a job, a batch script's timeout
        grader.terminate()
    output = grader.communicate(timeout=60)[0]
    assert grader.returncode == 130 and "interrupted" in output and "Traceback" not in output
    assert "interrupted" in json.loads(out.read_text())["output"]
    deadline = time.monotonic() + 10
    while processes_running_from(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_running_from(folder)
