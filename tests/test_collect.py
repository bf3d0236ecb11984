"""`python -m autograder.tools.collect` turns a class's check runs into a CSV, from recorded API answers.

`tests/fixtures/github-classroom.json` holds the GitHub REST API's answers (trimmed to the fields
read, in the shapes GitHub documents) for an organisation with an assignment `lab-work`: two
pages of repositories, a student graded twice (and a forged check run from another app, newer
and with full marks), a student without a pull request, one whose grading failed, one graded
again after the deadline, and a repository of another assignment. No network: a fake opener
answers from the file, and fails the test on any request it has no answer for.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from autograder.labs import LAB_MODULES
from autograder.tools import collect

ROOT = Path(__file__).resolve().parent.parent
RECORDED = json.loads((ROOT / "tests" / "fixtures" / "github-classroom.json").read_text(encoding="utf-8"))


class Recorded:
    """A response of the recorded API: its JSON body and its `Link` header."""

    def __init__(self, answer: dict) -> None:
        self.body = json.dumps(answer["body"]).encode()
        self.headers = {"Link": answer.get("link", "")}

    def read(self) -> bytes:
        return self.body

    def __enter__(self) -> Recorded:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def fake_opener(answers: dict, seen: list[str]):
    def opener(request: urllib.request.Request) -> Recorded:
        assert request.get_header("Authorization") == "Bearer t0ken"
        path = request.full_url.removeprefix(collect.API)
        seen.append(path)
        assert path in answers, f"no recorded answer for GET {path}"
        return Recorded(answers[path])

    return opener


def run_collect(tmp_path: Path, monkeypatch, *options: str, answers: dict = RECORDED) -> tuple[int, dict]:
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    seen: list[str] = []
    out = tmp_path / "grades.csv"
    status = collect.main(
        ["--org", "course-org", "--prefix", "lab-work", "--out", str(out), *options],
        opener=fake_opener(answers, seen),
    )
    with out.open(newline="", encoding="utf-8") as handle:
        return status, {row["student"]: row for row in csv.DictReader(handle)}


def test_the_latest_check_run_of_the_workflow_is_each_students_grade(tmp_path, monkeypatch):
    status, rows = run_collect(tmp_path, monkeypatch)
    assert status == 1  # bob and carol have no grade
    assert sorted(rows) == ["alice", "bob", "carol", "erin"]  # other-work-zed is another assignment
    alice = rows["alice"]
    assert (alice["total"], alice["max"], alice["lab1_sft"], alice["lab2_reward"]) == ("17", "20", "10", "7")
    assert (alice["pull_request"], alice["commit"], alice["problem"]) == ("2", "a2" * 20, "")
    assert rows["bob"]["problem"] == "no graded pull request" and rows["bob"]["total"] == ""
    assert "could not be computed" in rows["carol"]["problem"] and rows["carol"]["total"] == ""
    assert rows["erin"]["total"] == "10"
    header = (tmp_path / "grades.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == [
        "student",
        "repository",
        "pull_request",
        "commit",
        "graded_at",
        "total",
        "max",
        *LAB_MODULES.values(),
        "problem",
    ]


def test_a_check_run_of_another_app_is_never_a_grade(tmp_path, monkeypatch):
    """alice's own app posted a newer "Grade" with full marks: the workflow's 17/20 stands."""
    _, rows = run_collect(tmp_path, monkeypatch)
    assert rows["alice"]["total"] == "17" and rows["alice"]["graded_at"] == "2026-12-02T10:00:00Z"


def test_the_deadline_keeps_the_grade_completed_by_then(tmp_path, monkeypatch):
    _, rows = run_collect(tmp_path, monkeypatch, "--deadline", "2026-12-05T00:00:00+00:00")
    assert rows["erin"]["total"] == "7" and rows["erin"]["graded_at"] == "2026-12-04T09:00:00Z"
    assert rows["alice"]["total"] == "17"


def test_an_api_error_on_one_repository_is_that_rows_problem(tmp_path, monkeypatch):
    answers = {k: v for k, v in RECORDED.items() if "lab-work-carol" not in k}

    def failing(request: urllib.request.Request):
        if "lab-work-carol" in request.full_url:
            raise urllib.error.HTTPError(request.full_url, 404, "Not Found", {}, io.BytesIO(b"{}"))  # type: ignore[arg-type]
        return fake_opener(answers, [])(request)

    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    out = tmp_path / "g.csv"
    assert (
        collect.main(["--org", "course-org", "--prefix", "lab-work", "--out", str(out)], opener=failing) == 1
    )
    rows = {row["student"]: row for row in csv.DictReader(out.open(newline="", encoding="utf-8"))}
    assert "404" in rows["carol"]["problem"] and rows["alice"]["total"] == "17"


def test_without_a_token_it_says_which_variable_to_set(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        collect.main(["--org", "o", "--prefix", "p", "--out", str(tmp_path / "g.csv")])
    assert exit_info.value.code == 2 and "GITHUB_TOKEN" in capsys.readouterr().err


def test_the_record_the_report_job_writes_is_the_one_collect_reads():
    """report_grade.py's check run, read back by collect, gives the points of every function."""
    spec = importlib.util.spec_from_file_location(
        "report_grade", ROOT / ".github" / "scripts" / "report_grade.py"
    )
    assert spec and spec.loader
    report_grade = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report_grade)
    tests = [
        {"name": "lab1_sft.log_softmax: a", "score": 2.0, "max_score": 2.0, "passed": True, "output": ""},
        {"name": "lab1_sft.log_softmax: b", "score": 0.0, "max_score": 4.0, "passed": False, "output": "x"},
        {"name": "lab3_rlhf.kl_divergence: c", "score": 5.0, "max_score": 5.0, "passed": True, "output": ""},
    ]
    run = report_grade.check_run(tests, report_grade.scoreboard(tests), "f" * 40)
    assert run["name"] == collect.CHECK_NAME and run["conclusion"] == "success"
    assert run["output"]["title"] == "Score: 7/11 (63.6 %)" and run["head_sha"] == "f" * 40
    assert collect.record_of(run) == {
        "lab1_sft.log_softmax": [2.0, 6.0],
        "lab3_rlhf.kl_divergence": [5.0, 5.0],
    }
    failed = report_grade.check_run([], report_grade.problem_comment("no results.json"), "f" * 40)
    assert failed["conclusion"] == "failure" and collect.record_of(failed) is None
