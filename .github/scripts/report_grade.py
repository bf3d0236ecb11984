"""Publish a grading run's results in a GitHub Actions job: summary and annotations.

    python .github/scripts/report_grade.py RESULTS_DIR

Reads `results.json` (Gradescope schema) and `scoreboard.md` written by the grader, appends the
scoreboard to `$GITHUB_STEP_SUMMARY` and prints one `::error` annotation per failing function.
Everything read comes from learner-influenced output, so every annotation is escaped as the
workflow-command rules require and all output runs inside a stop-commands block except the
annotations themselves.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path


def escape_data(text: str) -> str:
    """Escape a workflow command's message (`%`, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (also `:` and `,`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(results: dict) -> list[str]:
    """One `::error` line per function that lost points, pointing at its lab file."""
    failing: dict[str, list[str]] = {}
    for test in results.get("tests", []):
        if test.get("status") != "passed":
            function = str(test.get("name", "")).split(":", 1)[0]
            failing.setdefault(function, []).append(str(test.get("output", "")))
    lines = []
    for function, outputs in failing.items():
        lab = function.split(".", 1)[0]
        title = escape_property(f"{function} loses points")
        message = escape_data("\n\n".join(outputs)[:4000])
        lines.append(f"::error file=exercises/{escape_property(lab)}.py,title={title}::{message}")
    return lines


def main(folder: str) -> int:
    """Write the summary and print the annotations."""
    results_dir = Path(folder)
    results = json.loads((results_dir / "results.json").read_text(encoding="utf-8"))
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as out:
            out.write((results_dir / "scoreboard.md").read_text(encoding="utf-8"))
    for line in annotations(results):
        print(line)
    token = uuid.uuid4().hex
    print(f"::stop-commands::{token}")
    print(f"Score: {results.get('score')}/{results.get('max_score')}")
    print(f"::{token}::")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
