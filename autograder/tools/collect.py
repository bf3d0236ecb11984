"""Collect a GitHub Classroom assignment's grades of record into a CSV, through the GitHub REST API.

    python -m autograder.tools.collect --org ORG --prefix ASSIGNMENT [--out grades.csv] [--deadline ISO]

The grade of record of a student repository is the check run "Grade" that the grading workflow's
report job sets on a pull request's head commit (`.github/scripts/report_grade.py`): only a
GitHub App can create a check run, and only those of the app `github-actions` are read, so a
student cannot forge one. For every repository of the organisation ORG whose name starts with
`ASSIGNMENT-` (how Classroom names them: `ASSIGNMENT-<username>`), the script reads the pull
requests, the check runs "Grade" of their head commits, and keeps the latest completed one
(completed by `--deadline` when given). The CSV has one row per repository:
`student,repository,pull_request,commit,graded_at,total,max,<lab module>...,problem`.

The token is read from the environment (`GITHUB_TOKEN`, else `GH_TOKEN`): a token that can read
the organisation's repositories (e.g. `gh auth token`, or a fine-grained token with read access
to "Checks", "Pull requests" and "Metadata"). Only the standard library's urllib is used.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.labs import LAB_MODULES

API = "https://api.github.com"
CHECK_NAME = "Grade"
"""The check run the report job sets (`report_grade.py`'s `CHECK_NAME`)."""
TRUSTED_APP = "github-actions"
"""The only app whose check runs are grades: the workflow's own token."""
RECORD = re.compile(r"```json\n(\{.*?\})\n```", re.DOTALL)
"""The per-function points in a check run's text."""

Opener = Callable[[urllib.request.Request], Any]
"""`urllib.request.urlopen`, or a stand-in that answers from recorded responses (the tests)."""


class GitHubError(RuntimeError):
    """The API answered with an error, or with something that is not JSON."""


@dataclass
class GitHub:
    """A minimal client of the GitHub REST API: GET with pagination."""

    token: str
    api: str = API
    opener: Opener = urllib.request.urlopen

    def get(self, path: str, **params: str | int) -> Iterator[Any]:
        """The items of every page of `path` (a list endpoint) or, for an object, the object once."""
        url: str | None = f"{self.api}{path}?{urllib.parse.urlencode({'per_page': 100, **params})}"
        while url:
            request = urllib.request.Request(
                url,
                headers={
                    "Accept": "application/vnd.github+json",
                    "Authorization": f"Bearer {self.token}",
                    "X-GitHub-Api-Version": "2022-11-28",
                },
            )
            try:
                with self.opener(request) as response:
                    body = json.loads(response.read().decode("utf-8"))
                    url = _next_page(response.headers.get("Link", ""))
            except OSError as error:  # urllib.error.HTTPError and URLError are OSErrors
                raise GitHubError(f"GET {path}: {error}") from None
            except ValueError as error:
                raise GitHubError(f"GET {path}: not JSON ({error})") from None
            if isinstance(body, dict) and isinstance(body.get("check_runs"), list):
                yield from body["check_runs"]  # the check-runs endpoint wraps its list
            elif isinstance(body, list):
                yield from body
            else:
                yield body


def _next_page(link: str) -> str | None:
    """The `rel="next"` URL of a `Link` header, if any."""
    for part in link.split(","):
        match = re.match(r'\s*<([^>]+)>;\s*rel="next"', part)
        if match:
            return match.group(1)
    return None


@dataclass
class Row:
    """One student repository's grade of record."""

    student: str
    repository: str
    pull_request: str = ""
    commit: str = ""
    graded_at: str = ""
    functions: dict[str, list[float]] = field(default_factory=dict)
    problem: str = ""

    def lab_points(self, module: str) -> float:
        """Points earned on the lab `module`."""
        return sum(earned for name, (earned, _) in self.functions.items() if name.split(".", 1)[0] == module)

    def cells(self) -> list[str]:
        """The CSV row."""
        total = sum(earned for earned, _ in self.functions.values())
        possible = sum(points for _, points in self.functions.values())
        labs = [f"{self.lab_points(m):g}" if self.functions else "" for m in LAB_MODULES.values()]
        scores = [f"{total:g}", f"{possible:g}"] if self.functions else ["", ""]
        return [
            self.student,
            self.repository,
            self.pull_request,
            self.commit,
            self.graded_at,
            *scores,
            *labs,
            self.problem,
        ]


def record_of(check_run: dict[str, Any]) -> dict[str, list[float]] | None:
    """The per-function points a check run records, or None when it holds no valid record."""
    match = RECORD.search(str((check_run.get("output") or {}).get("text") or ""))
    if not match:
        return None
    try:
        functions = json.loads(match.group(1))["functions"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(functions, dict) or not all(
        isinstance(v, list) and len(v) == 2 and all(isinstance(x, int | float) for x in v)
        for v in functions.values()
    ):
        return None
    return {str(name): [float(v[0]), float(v[1])] for name, v in functions.items()}


def _completed(run: dict[str, Any], deadline: datetime | None) -> bool:
    """A completed check run of the trusted app, completed by the deadline."""
    if run.get("name") != CHECK_NAME or (run.get("app") or {}).get("slug") != TRUSTED_APP:
        return False
    if run.get("status") != "completed" or not run.get("completed_at"):
        return False
    return deadline is None or _time(run["completed_at"]) <= deadline


def _time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def grade_of(github: GitHub, owner: str, repository: str, student: str, deadline: datetime | None) -> Row:
    """The latest grade of record over the repository's pull requests."""
    row = Row(student, repository)
    runs = []
    for pull in github.get(f"/repos/{owner}/{repository}/pulls", state="all"):
        sha = pull["head"]["sha"]
        for run in github.get(f"/repos/{owner}/{repository}/commits/{sha}/check-runs", check_name=CHECK_NAME):
            if _completed(run, deadline):
                runs.append((run["completed_at"], pull["number"], sha, run))
    if not runs:
        row.problem = "no graded pull request" + (" by the deadline" if deadline else "")
        return row
    completed_at, number, sha, run = max(runs, key=lambda item: _time(item[0]))
    row.pull_request, row.commit, row.graded_at = str(number), sha, completed_at
    functions = record_of(run)
    if run.get("conclusion") != "success" or functions is None:
        title = str((run.get("output") or {}).get("title") or "no grade recorded")
        row.problem = f"the latest grading gave no grade: {title}"
    else:
        row.functions = functions
    return row


def collect(github: GitHub, owner: str, prefix: str, deadline: datetime | None = None) -> list[Row]:
    """One row per repository of `owner` named `<prefix>-<student>`, sorted by student."""
    rows = []
    for repository in github.get(f"/orgs/{owner}/repos", type="all"):
        name = str(repository["name"])
        if name.startswith(f"{prefix}-"):
            student = name.removeprefix(f"{prefix}-")
            try:
                rows.append(grade_of(github, owner, name, student, deadline))
            except GitHubError as error:
                rows.append(Row(student, name, problem=str(error)))
    return sorted(rows, key=lambda row: row.student)


def write_csv(rows: list[Row], path: Path) -> None:
    """The class's grades, one row per student repository."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
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
        )
        writer.writerows(row.cells() for row in rows)


def build_parser() -> argparse.ArgumentParser:
    """The command line's options (`tests/test_commands.py` checks the guide's commands with it)."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.collect", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--org", required=True, help="the organisation that owns the students' repositories")
    parser.add_argument(
        "--prefix", required=True, help="the assignment's repository prefix (Classroom's slug)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("build/classroom/grades.csv"), help="the CSV to write"
    )
    parser.add_argument(
        "--deadline",
        type=datetime.fromisoformat,
        metavar="ISO",
        help="keep only grades completed by then, e.g. 2026-12-20T23:59:00+00:00",
    )
    parser.add_argument("--api", default=API, help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None, opener: Opener = urllib.request.urlopen) -> int:
    """Collect the grades; exit status 0, 1 when some repository has no grade, 2 on bad arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token:
        parser.error(
            "set GITHUB_TOKEN (or GH_TOKEN) to a token that can read the organisation's repositories"
        )
    if args.deadline is not None and args.deadline.tzinfo is None:
        parser.error("--deadline needs a time zone, e.g. 2026-12-20T23:59:00+00:00")
    try:
        rows = collect(GitHub(token, args.api, opener), args.org, args.prefix, args.deadline)
    except GitHubError as error:
        print(f"python -m autograder.tools.collect: {error}", file=sys.stderr)
        return 2
    write_csv(rows, args.out)
    missing = [row for row in rows if row.problem]
    print(f"collected {len(rows)} repositories ({len(missing)} without a grade): {args.out}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
