"""Publish a pull request's grade: the check run of record, job summary, annotations and the comment's body.

    python .github/scripts/report_grade.py RESULTS_DIR COMMENT_FILE [CHECK_RUN_FILE]

Runs in the workflow's `report` job, which runs no learner code but reads what the `grade` job
(which did) uploaded. So nothing written there is pasted: the script reads only
`RESULTS_DIR/results.json`, checks it against the Gradescope schema the grader writes,
recomputes every score from the tests (a property is all or nothing: a passed test scores its
`max_score`, a failed one 0, whatever `score` says),
and rebuilds the scoreboard itself, with every piece of text capped and escaped
(`autograder.text`, standard library only). A missing, oversized or malformed file gives a
scoreboard that says so. It writes the comment's body (with its marker) to COMMENT_FILE,
appends it to `$GITHUB_STEP_SUMMARY`, and prints one escaped `::error` annotation per failing
function; all other output runs inside a stop-commands block.

The grade of record is the check run written to CHECK_RUN_FILE, the body of a `POST
/repos/{owner}/{repo}/check-runs` for the commit `$HEAD_SHA`: only a GitHub App (here the
workflow's token, app `github-actions`) can create one, so a student with write access to the
repository cannot forge or edit it, unlike a comment. Its title is the score, its summary the
scoreboard, and its text the per-function points as JSON after `RECORD_MARKER`, which
`python -m autograder.tools.collect` reads back into a class's CSV. The comment says it is a copy.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the base checkout's autograder.text

from autograder.text import cap, escape_markdown, fenced

MARKER = "<!-- autograder-scoreboard -->"
CHECK_NAME = "Grade"
"""The check run's name: `autograder.tools.collect` looks for it."""
RECORD_MARKER = "Points per function (JSON):"
"""The line of the check run's text after which its JSON record follows."""
COPY_NOTE = (
    "\n_This comment is a copy for reading, which anyone with write access can edit. The grade of "
    f"record is this commit's check run **{CHECK_NAME}**, which only the grading workflow can set._\n"
)
MAX_CHECK_TEXT = 65_000
"""Characters of a check run's summary and text (GitHub accepts 65,535 each)."""
MAX_RESULTS_BYTES = 8 * 2**20
MAX_TESTS = 2000
MAX_COMMENT = 60_000
"""Characters of the comment (GitHub accepts 65,536) and of the job summary (1 MiB)."""


class Malformed(ValueError):
    """results.json is not what the grader writes."""


def escape_data(text: str) -> str:
    """Escape a workflow command's message (`%`, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def load_tests(path: Path) -> list[dict[str, Any]]:
    """The tests of a results.json, validated: name, score, max_score, status and output each."""
    if not path.is_file():
        raise Malformed("the grading job left no results.json")
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise Malformed(f"results.json is larger than {MAX_RESULTS_BYTES} bytes")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Malformed(f"results.json is not valid JSON ({error.__class__.__name__})") from None
    tests = document.get("tests") if isinstance(document, dict) else None
    if not isinstance(tests, list) or not tests or len(tests) > MAX_TESTS:
        raise Malformed("results.json has no valid list of tests")
    checked = []
    for test in tests:
        if not (isinstance(test, dict) and isinstance(test.get("name"), str) and ":" in test["name"]
                and isinstance(test.get("output", ""), str) and test.get("status") in ("passed", "failed")):  # fmt: skip
            raise Malformed("a test in results.json does not have the grader's fields")
        points = [test.get("score"), test.get("max_score")]
        if not all(isinstance(p, int | float) and not isinstance(p, bool) and 0 <= p <= 1000 for p in points):
            raise Malformed("a test in results.json has an invalid score")
        passed = test["status"] == "passed"
        checked.append({"name": test["name"], "score": float(points[1]) if passed else 0.0,
                        "max_score": float(points[1]), "passed": passed, "output": str(test.get("output", ""))})  # fmt: skip
    return checked


def functions(tests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per graded function (the part of a test's name before ':'): earned, possible, failures."""
    table: dict[str, dict[str, Any]] = {}
    for test in tests:
        name = test["name"].split(":", 1)[0].strip()
        row = table.setdefault(name, {"earned": 0.0, "possible": 0.0, "failed": []})
        row["earned"] += test["score"]
        row["possible"] += test["max_score"]
        if not test["passed"]:
            row["failed"].append(test)
    return table


def _points(value: float) -> str:
    return f"{value:g}"


def scoreboard(tests: list[dict[str, Any]]) -> str:
    """The comment's Markdown, rebuilt from the tests alone, within `MAX_COMMENT` characters."""
    table = functions(tests)
    earned, possible = sum(r["earned"] for r in table.values()), sum(r["possible"] for r in table.values())
    percent = 100.0 * earned / possible if possible else 0.0
    out = [MARKER, f"## Score: {_points(earned)}/{_points(possible)} ({percent:.1f} %)", "",
           "| Function | Points | Status |", "|---|---:|---|"]  # fmt: skip
    for name, row in list(table.items())[:200]:
        ok = not row["failed"]
        status = "ok" if ok else f"{len(row['failed'])} properties fail"
        out.append(f"| {escape_markdown(cap(name, 100))} | {_points(row['earned'])}/{_points(row['possible'])} "
                   f"| {'✅' if ok else '❌'} {status} |")  # fmt: skip
    head = "\n".join(out) + "\n"
    details = "\n\n".join(
        f"{test['name']}\n{test['output']}" for row in table.values() for test in row["failed"]
    )
    if not details:
        return head
    room = MAX_COMMENT - len(head) - 200
    return head + "\n".join(["", "<details><summary>What to fix</summary>", "", "```text",
                             fenced(cap(details, room)), "```", "", "</details>", ""])  # fmt: skip


def problem_comment(problem: str) -> str:
    """The comment when there is no valid results file."""
    return (f"{MARKER}\n## The grade could not be computed\n\n{escape_markdown(problem)}.\n\n"
            "The grading job did not leave valid results: see its log in the Checks tab.\n")  # fmt: skip


def record(tests: list[dict[str, Any]]) -> dict[str, Any]:
    """The grade as data: total, maximum, and each function's [earned, possible]."""
    table = functions(tests)
    return {
        "score": sum(row["earned"] for row in table.values()),
        "max_score": sum(row["possible"] for row in table.values()),
        "functions": {cap(name, 100): [row["earned"], row["possible"]] for name, row in table.items()},
    }


def check_run(tests: list[dict[str, Any]], body: str, head_sha: str) -> dict[str, Any]:
    """The check run of record for `head_sha`: the score as its title, the scoreboard, the record.

    Its conclusion is "success" when a grade was computed (whatever the score: a grade is not a
    failure), "failure" when there is none.
    """
    summary = cap(body.removeprefix(MARKER + "\n"), MAX_CHECK_TEXT)
    if not tests:
        output = {"title": "The grade could not be computed", "summary": summary}
        return {
            "name": CHECK_NAME,
            "head_sha": head_sha,
            "status": "completed",
            "conclusion": "failure",
            "output": output,
        }
    data = record(tests)
    percent = 100.0 * data["score"] / data["max_score"] if data["max_score"] else 0.0
    title = f"Score: {_points(data['score'])}/{_points(data['max_score'])} ({percent:.1f} %)"
    text = f"{RECORD_MARKER}\n\n```json\n{json.dumps(data, sort_keys=True)}\n```\n"
    output = {"title": title, "summary": summary, "text": text}
    return {
        "name": CHECK_NAME,
        "head_sha": head_sha,
        "status": "completed",
        "conclusion": "success",
        "output": output,
    }


def annotations(tests: list[dict[str, Any]]) -> list[str]:
    """One `::error` line per function that lost points (at most 20), pointing at its lab file."""
    lines = []
    for name, row in list(functions(tests).items()):
        if row["failed"] and len(lines) < 20:
            lab = name.split(".", 1)[0]
            title = escape_property(cap(f"{name} loses points", 200))
            message = escape_data(cap("\n\n".join(t["output"] for t in row["failed"]), 4000))
            lines.append(
                f"::error file=exercises/{escape_property(cap(lab, 100))}.py,title={title}::{message}"
            )
    return lines


def main(folder: str, comment_file: str, check_run_file: str | None = None) -> int:
    """Write the comment, the summary and the check run's body; print the annotations."""
    try:
        tests = load_tests(Path(folder) / "results.json")
    except Malformed as problem:
        tests, body = [], problem_comment(str(problem))
    else:
        body = scoreboard(tests)
    Path(comment_file).write_text(body + COPY_NOTE, encoding="utf-8")
    if check_run_file:
        run = check_run(tests, body, os.environ.get("HEAD_SHA", ""))
        Path(check_run_file).write_text(json.dumps(run), encoding="utf-8")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(body.removeprefix(MARKER + "\n"))
    for line in annotations(tests):
        print(line)
    token = uuid.uuid4().hex
    print(f"::stop-commands::{token}")
    print(body.splitlines()[1])
    print(f"::{token}::")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
