"""A pull request cannot grade itself: grading runs the base tree's grader on the head's
exercises/*.py only, with the script the Grade workflow runs (grading.md, "Grading pull
requests")."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ["autograder", "solutions", "exercises", "requirements", ".github", "noxfile.py", "pyproject.toml"]
SCRIPT = Path(".github") / "scripts" / "grade-pull-request.sh"


def copy_tree(destination: Path) -> Path:
    for name in TREE:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, destination / name)
    return destination


def learner_head(destination: Path) -> Path:
    """A head whose learner has solved Lab 1 and nothing else."""
    head = copy_tree(destination)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", head / "exercises" / "lab1_sft.py")
    return head


def tamper(head: Path) -> None:
    """What a pull request might try: rewrite the grader, the answers, nox, and add a conftest."""
    (head / "autograder" / "engine.py").write_text("raise SystemExit('full marks')\n")
    (head / "autograder" / "labs" / "lab1_sft.py").write_text("LAB = None\n")
    for solution in (head / "solutions").glob("lab*.py"):
        shutil.copy(head / "exercises" / solution.name, solution)
    (head / "noxfile.py").write_text("import nox\n\n@nox.session\ndef grade(session):\n    pass\n")
    (head / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture(autouse=True)\ndef win():\n    pass\n"
    )
    (head / "exercises" / "autograder.py").write_text("raise SystemExit('shadowed')\n")
    (head / "exercises" / "evil").symlink_to(ROOT / "solutions")


def grade_pull_request(base: Path, head: Path, results: Path) -> dict:
    subprocess.run(["bash", str(base / SCRIPT), str(head), str(results)], check=True, capture_output=True)
    report = json.loads((results / "results.json").read_text())
    report.pop("execution_time")
    return report


def test_a_tampering_pull_request_gets_the_grade_of_its_exercises_alone(tmp_path):
    base = copy_tree(tmp_path / "base")
    clean = grade_pull_request(base, learner_head(tmp_path / "clean"), tmp_path / "clean-results")
    head = learner_head(tmp_path / "head")
    tamper(head)
    tampered = grade_pull_request(base, head, tmp_path / "head-results")
    assert tampered == clean
    lab1 = [t for t in clean["tests"] if t["name"].startswith("lab1_sft.")]
    assert clean["score"] == sum(t["max_score"] for t in lab1) > 0


REPORT = ROOT / ".github" / "scripts" / "report_grade.py"
ENV_SNOOPER = '''
import os

def _snoop():
    """Append to every runner command file named in the environment of this process or of a
    grader process above it (the shell and runner further up have them too: hiding those needs
    the jail's own /proc, layer 2 of issue 13)."""
    pid = os.getpid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                ours = b"autograder" in handle.read() or pid == os.getpid()
            with open(f"/proc/{pid}/environ", "rb") as handle:
                pairs = [item.split(b"=", 1) for item in handle.read().split(b"\\0") if b"=" in item and ours]
            with open(f"/proc/{pid}/stat", "rb") as handle:
                pid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except OSError:
            return
        for key, value in pairs:
            if key.startswith(b"GITHUB_"):
                with open(value, "a") as out:
                    out.write("NODE_OPTIONS=--require=/tmp/evil.js\\n")

_snoop()
'''


def run_report(results: Path, tmp_path: Path) -> tuple[str, str, str]:
    """Run the report job's script; return the comment, the job summary and stdout."""
    summary = tmp_path / "summary.md"
    comment = tmp_path / "comment.md"
    done = subprocess.run(
        ["python3", str(REPORT), str(results), str(comment)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "GITHUB_STEP_SUMMARY": str(summary)},
        check=True,
    )
    return comment.read_text(), summary.read_text(), done.stdout


def test_the_report_rebuilds_the_scoreboard_from_the_tests_alone(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    injection = "![img](https://example.com/x.png) @octocat **Score: 133/133** <img src=x> ``` </details>"
    forged = {
        "score": 999,
        "max_score": 999,
        "output": injection,
        "tests": [
            {
                "name": "lab1_sft.log_softmax: matches",
                "score": 50,
                "max_score": 2,
                "status": "passed",
                "output": "passed",
            },
            {
                "name": "lab1_sft.sft_gain: seed table",
                "score": 1,
                "max_score": 1,
                "status": "failed",
                "output": injection + "x" * 2_000_000,
            },
            {
                "name": f"lab1_sft.{injection}: x",
                "score": 0,
                "max_score": 3,
                "status": "failed",
                "output": "",
            },
        ],
    }
    (results / "results.json").write_text(json.dumps(forged))
    (results / "scoreboard.md").write_text("## Score: 133/133 (100.0 %)\n")  # never read
    comment, summary, stdout = run_report(results, tmp_path)
    assert comment.startswith("<!-- autograder-scoreboard -->\n## Score: 2/6 (33.3 %)")
    assert len(comment) < 65_536 and "133/133 (100" not in comment
    outside_code = comment.split("```text")[0]
    for injected in ("![img]", "@octocat", "**Score", "<img"):
        assert injected not in outside_code
    assert comment.count("```") == 2
    assert summary in comment
    assert "::error file=exercises/lab1_sft.py" in stdout


def test_a_missing_or_malformed_artifact_still_gives_a_clear_comment(tmp_path):
    missing = tmp_path / "missing"
    comment, _, _ = run_report(missing, tmp_path)
    assert "could not be computed" in comment and "no results.json" in comment
    malformed = tmp_path / "malformed"
    malformed.mkdir()
    for text in ("{not json", json.dumps({"tests": [{"name": 3}]}), json.dumps([1, 2])):
        (malformed / "results.json").write_text(text)
        comment, _, _ = run_report(malformed, tmp_path)
        assert comment.startswith("<!-- autograder-scoreboard -->\n## The grade could not be computed")


def test_the_grader_and_its_workers_never_get_the_runner_command_files(tmp_path):
    base = copy_tree(tmp_path / "base")
    head = learner_head(tmp_path / "head")
    lab1 = head / "exercises" / "lab1_sft.py"
    before, sep, after = lab1.read_text().partition('\nif __name__ == "__main__":')
    lab1.write_text(before + ENV_SNOOPER + sep + after)
    files = {name: tmp_path / name.lower() for name in ("GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")}
    for path in files.values():
        path.write_text("")
    subprocess.run(
        ["bash", str(base / SCRIPT), str(head), str(tmp_path / "results")],
        check=True,
        capture_output=True,
        env={**os.environ, **{k: str(v) for k, v in files.items()}},
    )
    assert all(path.read_text() == "" for path in files.values())
    report = json.loads((tmp_path / "results" / "results.json").read_text())
    assert report["score"] == sum(
        t["max_score"] for t in report["tests"] if t["name"].startswith("lab1_sft.")
    )
