"""The jail, second round (issue 26): limits that give the same verdict whatever runs beside a
submission, a memory bound that counts shared memory, no silent fallback to plain processes,
bounded decoding, learner text that the CI runner never executes, CSV cells a spreadsheet never
evaluates, and messages that say what happened."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import jail
from autograder.engine import grade_function
from autograder.labs import load_lab
from autograder.sandbox import WALL_FACTOR, CallTimedOut, IsolatedModule

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
JAILED = not jail.problem()
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def lab1_with(folder: Path, attack: str) -> Path:
    """`attack` as lab1_sft.py, the reference beside it as `_reference.py`, and the helpers."""
    folder.mkdir(parents=True, exist_ok=True)
    for helper in ("labkit.py", "sft_corpus.py", "preference_kit.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", folder / "_reference.py")
    shutil.copy(SUBMISSIONS / f"{attack}.py", folder / "lab1_sft.py")
    return folder


def grade_log_softmax(folder: Path) -> tuple[int, list[list[str]]]:
    graded = next(g for g in load_lab(1).functions if g.name == "log_softmax")
    worker = IsolatedModule(folder, "lab1_sft", 2.0, jailed=JAILED)
    try:
        result = grade_function(graded, worker)
    finally:
        worker.close()
    return result.earned, [p.feedback for p in result.properties if not p.passed]


@linux_only
def test_a_slow_correct_function_gets_the_same_verdict_beside_busy_neighbours(tmp_path):
    """1.3 s of CPU under a 2 s limit: full marks alone, and beside three busy loops, twice."""
    folder = lab1_with(tmp_path / "sub", "slow_first_call")
    alone = grade_log_softmax(folder)
    spin = [sys.executable, "-c", "while True: pass"]
    spinners = [subprocess.Popen(spin, start_new_session=True) for _ in range(3)]
    try:
        beside = [grade_log_softmax(folder) for _ in range(2)]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()
    points = next(g for g in load_lab(1).functions if g.name == "log_softmax").points
    assert alone == (points, [])
    assert beside == [alone, alone]


@linux_only
def test_a_call_that_sleeps_is_stopped_by_the_wall_clock_backstop_and_says_so(tmp_path):
    (tmp_path / "sleeper.py").write_text("import time\n\ndef f():\n    time.sleep(3600)\n")
    worker = IsolatedModule(tmp_path, "sleeper", 0.2, jailed=JAILED)
    started = time.monotonic()
    try:
        with pytest.raises(CallTimedOut) as timeout:
            worker.call("f", (), {})
    finally:
        worker.close()
    assert timeout.value.blocked >= 0.2 * WALL_FACTOR
    assert "blocked or slept" in str(timeout.value)
    assert time.monotonic() - started < 0.2 * WALL_FACTOR + 5
