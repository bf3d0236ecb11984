"""Watch mode: grade everything once, then only the labs whose files were saved; Ctrl-C stops it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from autograder import watch as watch_module
from autograder.cli import grade_submission, main
from autograder.engine import lab_not_graded
from autograder.labs import load_lab
from autograder.watch import changed_labs, stamps, watch

ROOT = Path(__file__).resolve().parent.parent


def fake_grade(log):
    def grade(numbers):
        log.append(list(numbers))
        return [lab_not_graded(load_lab(n), "fake") for n in numbers]

    return grade


def touch(path: Path, text: str, tick: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(tick * 10**9, tick * 10**9))  # a new mtime without waiting for the clock


def test_only_the_saved_labs_are_graded_again(tmp_path):
    for name in ("lab1_sft.py", "lab4_dpo.py"):
        touch(tmp_path / name, "", 1)
    log, shown = [], []
    edits = iter(
        [
            lambda: None,
            lambda: touch(tmp_path / "lab4_dpo.py", "x = 1\n", 2),
            lambda: None,
            lambda: touch(tmp_path / "lab1_sft.py", "y = 2\n", 3),
        ]
    )
    status = watch(
        tmp_path, [1, 4], fake_grade(log), sleep=lambda _: next(edits)(), polls=4, show=shown.append
    )
    assert status == 0
    assert log == [[1, 4], [4], [1]]
    assert sum("Score:" in s for s in shown) == 3
    assert any("lab4_dpo.py changed" in s for s in shown)


def test_a_created_or_deleted_file_counts_as_a_change(tmp_path):
    before = stamps(tmp_path, [1, 2])
    touch(tmp_path / "lab2_reward.py", "", 5)
    assert changed_labs(before, stamps(tmp_path, [1, 2])) == [2]
    after = stamps(tmp_path, [1, 2])
    (tmp_path / "lab2_reward.py").unlink()
    assert changed_labs(after, stamps(tmp_path, [1, 2])) == [2]


def test_ctrl_c_stops_cleanly(tmp_path):
    shown = []

    def interrupt(_):
        raise KeyboardInterrupt

    assert watch(tmp_path, [1], fake_grade([]), sleep=interrupt, show=shown.append) == 0
    assert shown[-1].strip() == "Stopped watching."


def test_the_real_grader_regrades_a_saved_lab(tmp_path):
    source = (ROOT / "exercises" / "lab1_sft.py").read_text()
    touch(tmp_path / "lab1_sft.py", source, 1)
    scores = []
    edits = iter([lambda: touch(tmp_path / "lab1_sft.py", source + "\n", 2)])
    watch(
        tmp_path,
        [1],
        lambda numbers: grade_submission(tmp_path, numbers, 2.0),
        sleep=lambda _: next(edits)(),
        polls=1,
        show=lambda _: None,
        on_grade=lambda grade: scores.append(grade.earned),
    )
    assert scores == [0, 0]


def test_the_flag_is_accepted_and_ctrl_c_exits_0(tmp_path, monkeypatch, capsys):
    real_sleep = time.sleep

    def interrupt(seconds):
        """Ctrl-C during the watch loop's own pause; any other sleep (a subprocess's wait, polled
        with `time.sleep` on a busy machine) really sleeps."""
        if sys._getframe(1).f_code.co_filename != watch_module.__file__:
            return real_sleep(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr("autograder.watch.time.sleep", interrupt)
    assert main(["--submission", str(tmp_path), "--lab", "1", "--watch"]) == 0
    out = capsys.readouterr().out
    assert "no file lab1_sft.py" in out and "Stopped watching." in out
