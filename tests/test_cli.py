"""The grader's command line: results files, exit codes, bad arguments, missing labs."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from autograder.cli import WRITERS, main
from autograder.results import KINDS, requested_outputs

ROOT = Path(__file__).resolve().parent.parent


def test_every_results_file_is_written_and_valid(tmp_path):
    paths = {kind: tmp_path / f"out.{kind}" for kind in ("json", "junit", "markdown")}
    status = main(
        [
            "--submission",
            str(ROOT / "exercises"),
            "--lab",
            "1",
            "--fail-under",
            "0",
            *(arg for kind, path in paths.items() for arg in (f"--{kind}", str(path))),
        ]
    )
    assert status == 0
    report = json.loads(paths["json"].read_text())
    assert {"score", "max_score", "execution_time", "output", "tests"} <= report.keys()
    for test in report["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= test.keys()
        assert test["name"].startswith("lab1_sft.")
    assert ET.parse(paths["junit"]).getroot().tag == "testsuites"
    assert paths["markdown"].read_text().startswith("## Score: 0/")


def test_bad_arguments_exit_2_and_still_write_the_results(tmp_path):
    out = tmp_path / "r.json"
    assert main(["--lab", "9", "--json", str(out)]) == 2
    assert "bad arguments" in json.loads(out.read_text())["output"]


def test_a_missing_lab_file_scores_zero_with_a_message(tmp_path, capsys):
    assert main(["--submission", str(tmp_path), "--lab", "1"]) == 1
    assert "no file lab1_sft.py" in capsys.readouterr().out


def test_fail_under_sets_the_exit_status():
    assert main(["--submission", str(ROOT / "exercises"), "--lab", "1", "--fail-under", "0"]) == 0
    assert main(["--submission", str(ROOT / "exercises"), "--lab", "1", "--fail-under", "1"]) == 1


def test_one_pre_parser_finds_the_results_files_of_any_command_line():
    argv = [
        "--json",
        "a.json",
        "--lab",
        "x",
        "--junit=b.xml",
        "--markdown",
    ]  # x and the last flag do not parse
    assert requested_outputs(argv) == {"json": Path("a.json"), "junit": Path("b.xml")}
    assert set(KINDS) == set(WRITERS)
