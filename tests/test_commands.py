"""Every command the README and the site tell a learner (or an instructor) to type works as written.

The README's set-up installs only nox, so these commands run either through a nox session or
in a Python without numpy (where the grader must say so in one line, not a traceback).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from autograder.cli import build_parser
from autograder.tools import batch, collect, gradescope

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
NOX_COMMAND = re.compile(r"python -m nox (?:-R )?-s (\w+)(?: -R)?(?: -- ([^`|#\n]*))?")


def documented_nox_commands() -> list[tuple[str, str, list[str]]]:
    """`(page, session, arguments)` for every `python -m nox -s SESSION [-- ARGS]` on a page."""
    found = []
    for page in PAGES:
        for match in NOX_COMMAND.finditer(page.read_text(encoding="utf-8")):
            arguments = [
                "1" if a == "N" else a for a in shlex.split(match.group(2) or "")
            ]  # "N": a lab number
            found.append((str(page.relative_to(ROOT)), match.group(1), arguments))
    return found


def nox_sessions() -> set[str]:
    """The sessions the noxfile defines (read from its source: nox itself is not importable here)."""
    source = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    return set(re.findall(r"@(?:nox\.session|instructor_session)[^\n]*\ndef (\w+)\(", source))


LAB_NUMBERS = sorted(path.name[3] for path in (ROOT / "solutions").glob("lab[0-9]_*.py"))


@pytest.mark.parametrize(("page", "session", "arguments"), documented_nox_commands())
def test_documented_nox_command_names_a_session_and_valid_arguments(page, session, arguments):
    assert session in nox_sessions(), f"{page}: no nox session {session!r}"
    if session == "grade" and "--help" not in arguments:
        build_parser().parse_args(arguments)  # raises UsageError on an option the grader refuses
    elif session == "batch":
        batch.build_parser().parse_args(arguments)  # argparse exits on an option the tool refuses
    elif session == "gradescope":
        gradescope.parse_arguments(arguments)
    elif session == "collect":
        collect.build_parser().parse_args(arguments)
    elif session in ("lab", "repl"):
        rest = [a for a in arguments if a != "--solutions"]
        assert rest and rest[0] in (*LAB_NUMBERS, "N"), (
            f"{page}: {session} needs a lab number, got {arguments}"
        )


def test_grader_without_numpy_says_so_in_one_line_exits_2_and_writes_the_results(tmp_path):
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False)
    out = tmp_path / "r.json"
    result = subprocess.run(
        [str(bare / "bin" / "python"), "-m", "autograder", "--help", f"--json={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "numpy" in result.stderr and "nox -s grade" in result.stderr
    assert json.loads(out.read_text())["score"] == 0


def test_a_pasted_failing_input_runs_in_the_repl_command(tmp_path):
    """What `nox -s repl -- N` runs, given the first failing input a report prints, evaluates it."""
    from autograder.cli import main

    folder = tmp_path / "sub"
    folder.mkdir()
    for helper in (ROOT / "solutions").glob("*.py"):
        (folder / helper.name).write_text(helper.read_text(encoding="utf-8"), encoding="utf-8")
    lab = folder / "lab4_dpo.py"
    lab.write_text(
        lab.read_text(encoding="utf-8").replace("return float(np.mean(", "return float(np.sum(", 1)
    )
    report = tmp_path / "r.json"
    main(["--submission", str(folder), "--lab", "4", "--json", str(report)])
    output = json.loads(report.read_text())["output"]
    assert "python -m nox -s repl -- 4" in output
    pasted = output.split("Smallest failing input:\n", 1)[1].splitlines()[0].strip()
    setup = "import numpy as np; from lab4_dpo import *"  # what the repl session runs first
    result = subprocess.run(
        [sys.executable, "-i", "-c", setup],
        input=f"print(repr({pasted}))\n",
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Error" not in result.stderr, result.stderr
    assert re.search(r"^\d+\.\d+", result.stdout, re.MULTILINE)
