"""The Gradescope autograder: build its `autograder.zip`, and grade one submission inside it.

    python -m autograder.tools.gradescope [build] [--out build/gradescope/autograder.zip] [--config FILE]
    python -m autograder.tools.gradescope run [--root /autograder]     # what run_autograder calls

The zip follows Gradescope's layout: `setup.sh` and `run_autograder` at the top, next to the
grader (`autograder/`), the reference (`solutions/`), the exact pins (`requirements/grade.txt`)
and `gradescope.toml` (isolation, time limit, which tests are visible when). Gradescope unpacks
it into `/autograder/source`, runs `setup.sh` once, as root, to build the image, and
`run_autograder` for every submission.

`run` takes the learner's lab files from `/autograder/submission` by the course's file-finding
rule (`autograder.tools.finding`: `exercises/`, the top level, one level of subfolders, zips;
the provided helpers come from the reference), grades them as an unprivileged user (uid 65534,
`nobody`) with learner code in the jail, then, as root again, checks the results file the
grader wrote, applies the visibility rules and writes `/autograder/results/results.json`, whose
output starts with the file graded for a lab when there was a choice, and holds no path of the
grading machine. That file is written in every case: when the grader cannot run, it says why
and scores 0.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

from autograder.tools import finding

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = Path(__file__).resolve().parent / "templates"
UNPRIVILEGED = 65534
"""The uid and gid the grader runs as (`nobody`/`nogroup` on Debian and Ubuntu)."""
RUN_LIMIT = 1800.0
"""Seconds a whole grading run may take before it is stopped (Gradescope's default limit is 40 min)."""
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

ZIP_TEMPLATES = {
    "setup.sh": "gradescope-setup.sh",
    "setup-python.sh": "gradescope-setup-python.sh",
    "run_autograder": "gradescope-run_autograder",
}
"""Name in the zip -> template in `autograder/tools/templates/`."""


# --- build ------------------------------------------------------------------------------------


def _python_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def build(out: Path, config: Path) -> Path:
    """Write `autograder.zip` to `out`, with `config` as its `gradescope.toml`; return `out`."""
    read_config(config)  # refuse a bad configuration now, not on the first submission
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, template in ZIP_TEMPLATES.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16  # executable once unpacked
            archive.writestr(info, (TEMPLATES / template).read_text(encoding="utf-8"))
        archive.write(config, "gradescope.toml")
        archive.write(ROOT / "requirements" / "grade.txt", "requirements/grade.txt")
        for folder in ("autograder", "solutions"):
            for path in _python_files(ROOT / folder):
                archive.write(path, path.relative_to(ROOT).as_posix())
    return out


# --- run --------------------------------------------------------------------------------------


def read_config(path: Path) -> dict[str, Any]:
    """`gradescope.toml`, checked: isolation, timeout and visibility rules."""
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    if config.get("isolation", "jail") not in ("jail", "auto", "process"):
        raise ValueError(f"{path}: isolation must be 'jail' ('auto' means the same) or 'process'")
    if not float(config.get("timeout", 2.0)) > 0:
        raise ValueError(f"{path}: timeout must be > 0")
    visibility = config.get("visibility", {})
    for value in [
        visibility.get("default", "visible"),
        *(r["visibility"] for r in visibility.get("rule", [])),
    ]:
        if value not in VISIBILITIES:
            raise ValueError(f"{path}: visibility {value!r} is not one of {', '.join(VISIBILITIES)}")
    return config


def visibility_of(name: str, config: dict[str, Any]) -> str:
    """The visibility of the test `name`: the first matching rule's, else the default."""
    settings = config.get("visibility", {})
    for rule in settings.get("rule", []):
        if fnmatch.fnmatchcase(name, rule["tests"]):
            return rule["visibility"]
    return settings.get("default", "visible")


def stage_submission(submission: Path, source: Path, work: Path) -> finding.Found:
    """Fill `work` with the learner's lab files, found by the course's rule, and the course's helpers.

    Returns what was found (`autograder.tools.finding`: the file graded for each lab, the ones
    ignored); anything that is not a lab file is ignored.
    """
    found = finding.find_lab_files(submission)
    finding.stage(found, work, source / "solutions")
    return found


def grader_command(work: Path, results: Path, config: dict[str, Any]) -> list[str]:
    """The grading command, run as the unprivileged user when this process is root."""
    command = [
        sys.executable,
        "-m",
        "autograder",
        "--submission",
        str(work),
        "--json",
        str(results),
        "--fail-under",
        "0",
        "--timeout",
        str(float(config.get("timeout", 2.0))),
        "--isolation",
        "process" if config.get("isolation") == "process" else "jail",
    ]
    if os.geteuid() == 0:
        ids = str(UNPRIVILEGED)
        command = ["setpriv", f"--reuid={ids}", f"--regid={ids}", "--clear-groups", "--", *command]
    return command


def failure_results(problem: str) -> dict[str, Any]:
    """Results that score 0 and say why grading did not happen."""
    return {"score": 0, "output": f"The autograder could not grade this submission: {problem}", "tests": []}


def checked_results(path: Path) -> dict[str, Any]:
    """The grader's results file, checked against the fields Gradescope reads."""
    document = json.loads(path.read_text(encoding="utf-8"))
    tests = document["tests"]
    if not isinstance(tests, list) or not all(
        isinstance(t.get("name"), str)
        and isinstance(t.get("score"), int | float)
        and isinstance(t.get("max_score"), int | float)
        for t in tests
    ):
        raise ValueError("malformed tests")
    extra = document.get("extra_data")
    return {
        "score": sum(t["score"] for t in tests),
        "execution_time": document.get("execution_time", 0),
        "output": str(document.get("output", "")),
        "tests": tests,
        "extra_data": {"isolation": str(extra.get("isolation", "")) if isinstance(extra, dict) else ""},
    }


WHEN_SHOWN = {
    "after_due_date": "shown after the due date",
    "after_published": "shown once the grades are published",
    "hidden": "never shown to students (hidden)",
}
"""What the student is told about tests not visible now, by visibility."""


def apply_visibility(results: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Set each test's visibility; the overall output then keeps only what is visible now.

    The output says when the other tests are shown, as Gradescope will do it: a hidden test is
    never shown to students, so it is never announced as shown later.
    """
    tests = [{**t, "visibility": visibility_of(t["name"], config)} for t in results["tests"]]
    shown = [t for t in tests if t["visibility"] == "visible"]
    output = results["output"]
    if len(shown) < len(tests):
        later = [
            f"{count} {when}"
            for visibility, when in WHEN_SHOWN.items()
            if (count := sum(t["visibility"] == visibility for t in tests))
        ]
        failing = [f"{t['name']}\n{t.get('output', '')}" for t in shown if t["score"] < t["max_score"]]
        output = (
            f"{len(shown)} of {len(tests)} tests are shown now ({sum(t['score'] for t in shown):g}/"
            f"{sum(t['max_score'] for t in shown):g} points); of the others, {'; '.join(later)}.\n\n"
            + "\n\n".join(failing)
        )
    return {**results, "tests": tests, "output": output}


def without_paths(results: dict[str, Any], paths: dict[str, str]) -> dict[str, Any]:
    """`results` with every path of the grading machine in `paths` replaced by its plain name."""

    def clean(text: str) -> str:
        for path, name in sorted(paths.items(), key=lambda item: -len(item[0])):  # longest first
            text = text.replace(path, name)
        return text

    tests = [{**t, "output": clean(str(t.get("output", "")))} for t in results.get("tests", [])]
    return {**results, "output": clean(str(results.get("output", ""))), "tests": tests}


def with_file_report(results: dict[str, Any], found: finding.Found) -> dict[str, Any]:
    """`results` whose output starts with which file was graded for each lab, when there was a choice."""
    lines = found.report()
    if not lines:
        return results
    return {**results, "output": "Files: " + "\n       ".join(lines) + "\n\n" + results["output"]}


def _grade(root: Path, scratch: Path) -> dict[str, Any]:
    """Grade `root/submission` in the folder `scratch`; the results, with the grading machine's paths in them."""
    source = root / "source"
    config = read_config(source / "gradescope.toml")
    work, out = scratch / "submission", scratch / "results"
    work.mkdir()
    out.mkdir()
    found = stage_submission(root / "submission", source, work)
    if not found.files:
        names = ", ".join(finding.lab_file_names())
        return with_file_report(failure_results(f"no lab file ({names}) in the submission"), found)
    if os.geteuid() == 0:
        for path in (scratch, work, out, *work.iterdir()):
            os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
    results = out / "results.json"
    try:
        environment = {"PATH": os.environ.get("PATH", ""), "HOME": str(scratch)}
        command = grader_command(work, results, config)
        status = subprocess.run(
            command, cwd=source, timeout=RUN_LIMIT, stdin=subprocess.DEVNULL, env=environment
        ).returncode
    except subprocess.TimeoutExpired:
        return failure_results(f"grading took longer than {RUN_LIMIT:g} s")
    try:
        graded = checked_results(results)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return failure_results(f"the grader left no valid results ({type(error).__name__}: {error})")
    if status not in (0, 1):  # 2: the grader could not run (its results file says why)
        return failure_results(graded["output"] or f"the grader exited with status {status}")
    return with_file_report(apply_visibility(graded, config), found)


def run(root: Path) -> dict[str, Any]:
    """Grade `root/submission` and return the results to write (never raises for a bad submission).

    No path of the grading machine is left in them: the student sees "your submission" and
    "the autograder" instead.
    """
    with tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        results = _grade(root, Path(scratch))
    paths = {
        f"{scratch}/submission": "your submission",
        scratch: "the grading folder",
        str(root / "source"): "the autograder",
        str(root): "the autograder",
    }
    return without_paths(results, paths)


def write_results(results: dict[str, Any], root: Path) -> Path:
    """Write `root/results/results.json` atomically."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as tmp:
        json.dump(results, tmp, indent=2, ensure_ascii=False)
    os.replace(tmp.name, path)
    return path


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line, with `build` when no action is named (as `nox -s gradescope` runs it)."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.gradescope", description=__doc__.splitlines()[0]
    )
    actions = parser.add_subparsers(dest="action", required=True)
    build_parser = actions.add_parser("build", help="write autograder.zip (the default action)")
    build_parser.add_argument("--out", type=Path, default=ROOT / "build" / "gradescope" / "autograder.zip")
    build_parser.add_argument(
        "--config",
        type=Path,
        default=TEMPLATES / "gradescope.toml",
        help="the gradescope.toml to put in (default: the template)",
    )
    run_parser = actions.add_parser("run", help="grade /autograder/submission (run_autograder calls this)")
    run_parser.add_argument("--root", type=Path, default=Path("/autograder"))
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in (*actions.choices, "-h", "--help"):
        argv = ["build", *argv]
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command line: `build` the zip (the default), or `run` inside Gradescope's container."""
    args = parse_arguments(argv)
    if args.action == "build":
        print(f"Wrote {build(args.out.resolve(), args.config)}")
        return 0
    try:
        results = run(args.root)
    except Exception as error:  # the autograder itself failed: Gradescope still gets a results file
        results = without_paths(
            failure_results(f"internal error: {error!r}"), {str(args.root): "the autograder"}
        )
    write_results(results, args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
