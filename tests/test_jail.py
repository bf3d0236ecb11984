"""Layer 2 of the grading contract: learner code runs in a bubblewrap jail (`autograder.jail`).

Each attack in tests/submissions/jail_*.py is graded with `--isolation jail`, and each test
checks what the contract promises: only the guilty function loses points, the run ends in
bounded time, the results files are the grader's, no process outlives the run, and no file
outside the jail changed. On CI (CI=true) the jail must run; elsewhere these tests skip when
bubblewrap cannot run (macOS, a container without user namespaces).
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy
import pytest

from autograder import jail
from autograder.cli import main
from autograder.labs import load_lab
from tests.test_isolation import (
    ROOT,
    functions_losing_points,
    grade,
    lab1_submission,
    processes_running_from,
)

PROBLEM = jail.problem()
ON_CI = os.environ.get("CI") == "true"
pytestmark = pytest.mark.skipif(bool(PROBLEM) and not ON_CI, reason=f"bubblewrap cannot run here: {PROBLEM}")
JAIL = ("--isolation", "jail")
MARK = "\n# appended by a learner's lab1_sft.py\n"
GRADER_FILES = [
    Path(numpy.__file__).parent / "random" / "_pickle.py",
    ROOT / "autograder" / "labs" / "lab4_dpo" / "loss.py",
    ROOT / "autograder" / "engine.py",
]


def fingerprints(paths: list[Path]) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def failure_output(report: dict) -> str:
    return "\n".join(t["output"] for t in report["tests"] if t["status"] != "passed")


def timed_grade(folder: Path, tmp_path: Path, *args: str) -> tuple[dict, float]:
    started = time.monotonic()
    report = grade(folder, tmp_path, *JAIL, *args)
    return report, time.monotonic() - started


def no_process_left(folder: Path) -> bool:
    """True once no process names `folder` on its command line (a jail's teardown takes a moment)."""
    deadline = time.monotonic() + 5
    while processes_running_from(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_jail_can_run_where_it_is_required():
    assert not (ON_CI and PROBLEM), f"CI requires the jail, and bubblewrap cannot run: {PROBLEM}"


def test_the_reference_scores_full_marks_and_the_stubs_zero_in_the_jail(tmp_path, capsys):
    reference = grade(ROOT / "solutions", tmp_path, *JAIL)
    assert reference["score"] == reference["max_score"] > 0
    assert "Isolation: a bubblewrap jail" in reference["output"]
    stubs = grade(ROOT / "exercises", tmp_path, *JAIL)
    assert stubs["score"] == 0 and stubs["max_score"] == reference["max_score"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_files_the_grader_imports_later_cannot_be_changed(tmp_path, jobs):
    folder = lab1_submission(tmp_path / "sub", "jail_tamper")
    (folder / "lab4_dpo.py").write_text((ROOT / "solutions" / "lab4_dpo.py").read_text())
    before = fingerprints(GRADER_FILES)
    try:
        report, _ = timed_grade(folder, tmp_path, "--lab", "1", "--lab", "4", "--jobs", jobs)
        assert fingerprints(GRADER_FILES) == before
    finally:  # should the jail ever fail, leave this checkout as it was
        for path in GRADER_FILES:
            text = path.read_text()
            if MARK in text:
                path.write_text(text.split(MARK)[0])
    assert report["score"] == report["max_score"] == load_lab(1).points + load_lab(4).points


def test_a_daemon_left_behind_dies_with_the_jail_and_forges_nothing(tmp_path):
    folder = lab1_submission(tmp_path / "sub", "jail_daemon")
    outputs = {kind: tmp_path / f"results.{kind}" for kind in ("json", "junit", "markdown")}
    (folder / "targets.py").write_text(f"TARGETS = {[str(p) for p in outputs.values()]!r}\n")
    engine = fingerprints([ROOT / "autograder" / "engine.py"])
    status = main(
        [
            "--submission",
            str(folder),
            "--lab",
            "1",
            *JAIL,
            *(a for kind, path in outputs.items() for a in (f"--{kind}", str(path))),
        ]
    )
    assert status == 0
    written = {path: path.read_text() for path in outputs.values()}
    assert no_process_left(folder)
    time.sleep(1)  # the daemon would write every 0.1 s
    assert {path: path.read_text() for path in outputs.values()} == written
    assert json.loads(written[outputs["json"]])["score"] == load_lab(1).points
    assert fingerprints([ROOT / "autograder" / "engine.py"]) == engine


def test_the_repository_and_the_reference_are_not_visible(tmp_path):
    report, _ = timed_grade(lab1_submission(tmp_path / "sub", "jail_snoop"), tmp_path, "--lab", "1")
    assert functions_losing_points(report) == {"lab1_sft.masked_mean_nll_grad"}
    assert "nothing to steal" in failure_output(report)
    holds = failure_output(report).split("autograder/ holds ")[1].split("]")[0]
    assert "engine.py" not in holds and "labs" not in holds and "_worker.py" in holds


def test_there_is_no_network(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    calls: list[bytes] = []

    def serve() -> None:
        server.settimeout(30)
        try:
            while True:
                connection, _ = server.accept()
                calls.append(connection.recv(100))
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    folder = lab1_submission(tmp_path / "sub", "jail_network")
    (folder / "server.py").write_text(f"ADDRESS = {server.getsockname()!r}\n")
    try:
        report, _ = timed_grade(folder, tmp_path, "--lab", "1")
    finally:
        server.close()
    assert calls == []
    assert functions_losing_points(report) == {"lab1_sft.sft_gain"}
    assert "Connection refused" in failure_output(report) or "unreachable" in failure_output(report)


@pytest.mark.parametrize(
    ("attack", "guilty", "words"),
    [
        ("jail_disk", "log_softmax", "File too large"),  # 1 GiB written to /tmp
        ("jail_memory", "masked_mean_nll", "MemoryError"),  # 2 GiB touched
        ("jail_fork_bomb", "sft_step", "of 16 spinning processes"),
        ("hang", "log_softmax", "timed out after 1 s"),  # a CPU spin
    ],
)
def test_resource_limits_cost_only_the_guilty_function(attack, guilty, words, tmp_path):
    folder = lab1_submission(tmp_path / "sub", attack)
    report, seconds = timed_grade(folder, tmp_path, "--lab", "1")
    assert functions_losing_points(report) == {f"lab1_sft.{guilty}"}
    assert words in failure_output(report)
    assert seconds < 60
    assert no_process_left(folder)
    assert not Path("/tmp/filler").exists()  # jail_disk wrote to the jail's own /tmp


def run_jailed(code: str, folder: Path) -> list:
    """Run Python `code` in a jail holding a copy of `folder`; return what it printed, as data."""
    process = jail.popen([sys.executable, "-I", "-c", code], folder, stdout=subprocess.PIPE)
    out, _ = process.communicate(timeout=60)
    return [ast.literal_eval(line) for line in out.decode().splitlines()]


def test_a_jailed_process_sees_only_the_interpreter_and_its_copy(tmp_path):
    (tmp_path / "lab1_sft.py").write_text("X = 1\n")
    code = f"""import os
print(sorted(os.listdir({str(ROOT)!r})))
print(sorted(os.listdir({str(ROOT / "autograder")!r})))
print(sorted(os.listdir({str(ROOT / "autograder" / "__pycache__")!r})))
print((sorted(os.listdir("/etc")), os.path.exists("/proc"), sorted(os.listdir(os.getcwd()))))
open("lab1_sft.py", "a").write("Y = 2\\n")
"""
    in_root, in_package, compiled, rest = run_jailed(code, tmp_path)
    assert "solutions" not in in_root and "exercises" not in in_root and "tests" not in in_root
    assert in_package == ["__init__.py", "__pycache__", "_worker.py", "codec.py", "outcome.py"]
    assert {name.split(".")[0] for name in compiled} == {"_worker", "codec", "outcome"}
    assert rest == (["ld.so.cache"], False, ["lab1_sft.py"])
    assert (tmp_path / "lab1_sft.py").read_text() == "X = 1\n"  # it changed its copy only


def test_a_jailed_process_gets_a_few_processes_only(tmp_path):
    code = """import os, time
started = 0
try:
    while started < 100:
        if os.fork() == 0:
            time.sleep(5)
            os._exit(0)
        started += 1
except OSError:
    pass
print(started)
"""
    (started,) = run_jailed(code, tmp_path)
    assert 1 <= started < jail.PROCESSES


def test_isolation_jail_fails_closed_where_bubblewrap_cannot_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jail, "problem", lambda: "no bwrap on PATH")
    out = tmp_path / "r.json"
    assert main(["--submission", str(ROOT / "solutions"), "--json", str(out), *JAIL]) == 2
    message = capsys.readouterr().err.strip()
    assert message.count("\n") == 0 and "bubblewrap cannot run here: no bwrap on PATH" in message
    assert json.loads(out.read_text())["score"] == 0


def test_auto_falls_back_to_processes_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(jail, "problem", lambda: "no bwrap on PATH")
    report = grade(ROOT / "solutions", tmp_path, "--lab", "4")
    assert report["score"] == report["max_score"]
    assert (
        "Isolation: separate processes, no jail (bubblewrap cannot run here: no bwrap on PATH)"
        in (report["output"])
    )


def test_the_probe_runs_once_per_process():
    jail.problem()
    assert jail.problem.cache_info().currsize == 1
