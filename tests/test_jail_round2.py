"""The jail, second round (issue 26): limits that give the same verdict whatever runs beside a
submission, a memory bound that counts shared memory, no silent fallback to plain processes,
bounded decoding, learner text that the CI runner never executes, CSV cells a spreadsheet never
evaluates, and messages that say what happened."""

from __future__ import annotations

import csv
import json
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from autograder import codec, engine, jail, sandbox
from autograder.cli import main
from autograder.engine import grade_function
from autograder.labs import LAB_MODULES, available_labs, load_lab
from autograder.sandbox import NUMPY_HOME, WALL_FACTOR, CallAborted, CallTimedOut, IsolatedModule
from autograder.text import csv_cell
from autograder.tools import batch, gradescope, notebooks
from tests.test_pr_grading import SCRIPT, copy_tree, learner_head

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


def colliding_dict_reply(keys: int) -> bytes:
    """A reply as a crafted worker could write it: a dict of `keys` int keys that all hash alike."""
    pairs = [[["i", k * (2**61 - 1)], ["n"]] for k in range(1, keys + 1)]
    body = json.dumps(["d", pairs]).encode()
    return struct.pack("<II", len(body), 2) + body + b"[]"


def test_a_dict_reply_whose_keys_hash_alike_is_refused_at_once():
    reply = colliding_dict_reply(50_000)
    started = time.process_time()
    with pytest.raises(ValueError):
        codec.decode(reply)
    assert time.process_time() - started < 0.5


def test_dict_keys_are_plain_and_every_plain_dict_crosses():
    plain = {"loss": 1.0, 3: [1, 2], -(2**61 - 2): None, True: "t", None: {}}
    assert codec.decode(codec.encode(plain)) == plain
    with pytest.raises(codec.Unsendable):
        codec.encode({(1, 2): 0.5})


def test_a_returned_int_is_an_int_in_the_feedback():
    assert engine._kind(3) == "an int"
    assert engine._kind(np.int64(3)) == "a numpy int64 scalar"
    assert engine._kind(np.zeros(2, np.uint8)) == "a uint8 array of shape (2,)"
    assert engine._kind(np.zeros(2, np.int64)) == "an int64 array of shape (2,)"


ENDINGS = """
import os, sys

def calls_exit():
    sys.exit(0)

def interrupted():
    raise KeyboardInterrupt("stop")

def hard_exit():
    os._exit(1)
"""


@linux_only
@pytest.mark.parametrize(
    ("name", "words", "not_words"),
    [
        ("calls_exit", "sys.exit was called", "os._exit"),
        ("interrupted", "an uncaught KeyboardInterrupt ended it: stop", "sys.exit"),
        ("hard_exit", "exit status 1, without a word: os._exit was called", "sys.exit"),
    ],
)
def test_a_worker_that_ends_says_how(name, words, not_words, tmp_path):
    (tmp_path / "endings.py").write_text(ENDINGS)
    worker = IsolatedModule(tmp_path, "endings", 2.0, jailed=JAILED)
    try:
        with pytest.raises(CallAborted) as aborted:
            worker.call(name, (), {})
    finally:
        worker.close()
    assert words in str(aborted.value) and not_words not in str(aborted.value)


FORMULAS = ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


def test_no_csv_cell_the_tools_write_starts_a_formula(tmp_path):
    labs = available_labs()
    grades = [batch.StudentGrade(name, {}, problem=name) for name in FORMULAS]
    batch.write_csv(grades, tmp_path / "batch.csv", labs)
    rows = [{"student": name, "total": -1, "max": 3} for name in FORMULAS]
    notebooks.write_csv(rows, tmp_path / "notebooks.csv", [LAB_MODULES[n] for n in labs])
    for path in (tmp_path / "batch.csv", tmp_path / "notebooks.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            cells = [cell for row in csv.reader(handle) for cell in row]
        assert [c for c in cells if c.startswith(("'=", "'+", "'-", "'@", "'\t", "'\r"))], path
        assert not [
            c for c in cells if c.startswith(("=", "+", "@", "\t", "\r")) or (c.startswith("-") and c != "-1")
        ]
    assert csv_cell("-1") == "'-1" and csv_cell(-1) == -1 and csv_cell("alice") == "alice"


PLANTED = [
    NUMPY_HOME / "_autograder_test_planted.pth",
    NUMPY_HOME / "numpy" / "_autograder_test_planted.py",
]


def planting_lab1(folder: Path) -> Path:
    """A correct Lab 1 that plants files where the grader's Python reads, alone in `folder`."""
    folder.mkdir(parents=True)
    source = (ROOT / "solutions" / "lab1_sft.py").read_text() + (SUBMISSIONS / "plant_pth.py").read_text()
    (folder / "lab1_sft.py").write_text(source)
    return folder


@linux_only
def test_without_the_jail_a_submission_cannot_write_where_the_grader_reads(tmp_path):
    folder = planting_lab1(tmp_path / "sub")
    for helper in ("labkit.py", "sft_corpus.py", "preference_kit.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    try:
        status = main(
            [
                "--submission",
                str(folder),
                "--lab",
                "1",
                "--isolation",
                "process",
                "--json",
                str(tmp_path / "r.json"),
            ]
        )
        planted = [path for path in PLANTED if path.exists()]
    finally:
        for path in PLANTED:
            path.unlink(missing_ok=True)
    assert planted == []
    report = json.loads((tmp_path / "r.json").read_text())
    assert status == 0 and report["score"] == load_lab(1).points
    assert report["extra_data"]["isolation"].startswith("separate processes (--isolation process)")


def no_bubblewrap(monkeypatch) -> None:
    monkeypatch.setattr(jail, "problem", lambda: "no `bwrap` on PATH (forced by the test)")


def test_a_class_is_not_graded_without_the_jail_unless_asked_by_name(tmp_path, monkeypatch, capsys):
    no_bubblewrap(monkeypatch)
    (tmp_path / "class" / "alice").mkdir(parents=True)
    for choice in ("auto", "jail"):
        status = batch.main(
            [
                str(tmp_path / "class"),
                "--csv",
                str(tmp_path / "g.csv"),
                "--json-dir",
                str(tmp_path / "reports"),
                "--isolation",
                choice,
            ]
        )
        assert status == 2 and "--isolation process" in capsys.readouterr().err
    assert gradescope.grader_command(tmp_path, tmp_path / "r.json", {"isolation": "auto"})[-2:] == [
        "--isolation",
        "jail",
    ]
    assert gradescope.grader_command(tmp_path, tmp_path / "r.json", {"isolation": "process"})[-1] == "process"


@linux_only
def test_in_plain_processes_by_name_a_student_cannot_raise_another_s_grade(tmp_path, monkeypatch):
    """The `.pth` attack of issue 26: planted by one student, it would run in every later grader."""
    no_bubblewrap(monkeypatch)
    planting_lab1(tmp_path / "class" / "a-planter")
    (tmp_path / "class" / "b-honest").mkdir()
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", tmp_path / "class" / "b-honest" / "lab1_sft.py")
    try:
        status = batch.main(
            [
                str(tmp_path / "class"),
                "--csv",
                str(tmp_path / "g.csv"),
                "--lab",
                "1",
                "--json-dir",
                str(tmp_path / "reports"),
                "--isolation",
                "process",
                "--jobs",
                "1",
            ]
        )
        planted = [path for path in PLANTED if path.exists()]
    finally:
        for path in PLANTED:
            path.unlink(missing_ok=True)
    assert planted == []
    with (tmp_path / "g.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert status == 0 and [row["total"] for row in rows] == [str(load_lab(1).points)] * 2
    assert all(row["isolation"].startswith("separate processes (--isolation process)") for row in rows)


def without(tools: tuple[str, ...], folder: Path) -> str:
    """A PATH of one folder with links to the commands the PR script uses, but not `tools`."""
    folder.mkdir()
    for name in (
        "bash",
        "env",
        "dirname",
        "mkdir",
        "mktemp",
        "rm",
        "find",
        "cp",
        "cat",
        "prlimit",
        "setpriv",
        "bwrap",
    ):
        found = shutil.which(name)
        if found and name not in tools:
            (folder / name).symlink_to(found)
    (folder / "python").symlink_to(sys.executable)
    return str(folder)


@linux_only
def test_the_pull_request_script_requires_the_jail(tmp_path):
    base = copy_tree(tmp_path / "base")
    head = learner_head(tmp_path / "head")
    path = without(("bwrap",), tmp_path / "bin")
    done = subprocess.run(
        [shutil.which("bash") or "bash", str(base / SCRIPT), str(head), str(tmp_path / "results")],
        capture_output=True,
        text=True,
        env={"PATH": path},
    )
    assert done.returncode != 0
    report = json.loads((tmp_path / "results" / "results.json").read_text())
    assert report["score"] == 0 and "bwrap" in report["output"]


def commands_the_runner_executes(log: str) -> list[str]:
    """The lines of a step's log that GitHub's runner reads as workflow commands (`::name ...::`
    or `##[name]`, after leading blanks), minus those paused by `::stop-commands::TOKEN`."""
    executed, paused_by = [], ""
    for line in log.splitlines():
        command = line.strip()
        if paused_by:
            if command == f"::{paused_by}::":
                paused_by = ""
            continue
        if command.startswith(("::", "##[")):
            executed.append(command)
            if command.startswith("::stop-commands::"):
                paused_by = command.removeprefix("::stop-commands::")
    return executed


def test_learner_text_in_the_pull_request_log_is_never_a_workflow_command(tmp_path):
    base = copy_tree(tmp_path / "base")
    head = learner_head(tmp_path / "head")
    shutil.copy(SUBMISSIONS / "workflow_commands.py", head / "exercises" / "lab1_sft.py")
    done = subprocess.run(
        ["bash", str(base / SCRIPT), str(head), str(tmp_path / "results")],
        capture_output=True,
        text=True,
        check=True,
    )
    log = done.stdout + done.stderr
    assert "::error title=Autograder::Score: 205/205" in log  # the learner's text is shown ...
    executed = commands_the_runner_executes(done.stdout)
    assert len(executed) == 1 and executed[0].startswith("::stop-commands::")  # ... never executed
    assert commands_the_runner_executes(done.stderr) == []


def host_shared_memory_mib() -> float:
    """The host's `Shmem` (memfds, tmpfs files, System V segments), in MiB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("Shmem:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not JAILED, reason="bubblewrap cannot run here")
def test_memory_held_outside_the_address_space_is_bounded_in_the_jail(tmp_path):
    shutil.copy(SUBMISSIONS / "jail_shared_memory.py", tmp_path / "holder.py")
    worker = IsolatedModule(tmp_path, "holder", 30.0, jailed=True)
    before = host_shared_memory_mib()
    try:
        held = worker.call("hold", (), {}).value
        risen = host_shared_memory_mib() - before
        mapped = worker.call("mapped", (), {})
    finally:
        worker.close()
    # memfds and System V segments refused, /dev/shm read-only, /tmp its tmpfs's 64 MiB at most
    assert held == {"memfd": 0, "sysv": 0, "/dev/shm": 0, "/tmp": held["/tmp"]}, held
    assert held["/tmp"] <= jail.TMPFS_SIZE // 2**20
    assert risen < jail.TMPFS_SIZE / 2**20 + 32, f"the host's shared memory rose by {risen:.0f} MiB"
    assert mapped.raised("OSError")  # 1 GiB of shared mapping is over the address-space limit


@linux_only
def test_a_reply_slow_to_decode_is_charged_to_its_call_as_a_time_out(tmp_path, monkeypatch):
    (tmp_path / "quick.py").write_text("def f():\n    return 1\n")

    def slow_decode(data: bytes) -> object:
        time.sleep(0.5)
        return codec.decode(data)

    worker = IsolatedModule(tmp_path, "quick", 0.3, jailed=JAILED)
    try:
        worker.open()
        monkeypatch.setattr(sandbox, "decode", slow_decode)
        with pytest.raises(CallTimedOut):
            worker.call("f", (), {})
    finally:
        worker.close()
