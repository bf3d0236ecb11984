"""The Gradescope autograder: build its `autograder.zip`, and grade one submission inside it.

    python -m autograder.tools.gradescope build [--out build/gradescope/autograder.zip] [--config FILE]
    python -m autograder.tools.gradescope run [--root /autograder]     # what run_autograder calls

The zip follows Gradescope's layout: `setup.sh` and `run_autograder` at the top, next to the
grader (`autograder/`), the reference (`solutions/`), the exact pins (`requirements/grade.txt`)
and `gradescope.toml` (isolation, time limit, which tests are visible when). Gradescope unpacks
it into `/autograder/source`, runs `setup.sh` once, as root, to build the image, and
`run_autograder` for every submission.

`run` takes the learner's lab files from `/autograder/submission` (only files named like the
labs: the provided helpers come from the reference), grades them as an unprivileged user
(uid 65534, `nobody`) with learner code in the jail, then, as root again, checks the results
file the grader wrote, applies the visibility rules and writes `/autograder/results/results.json`.
That file is written in every case: when the grader cannot run, it says why and scores 0.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

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


def stage_submission(submission: Path, source: Path, work: Path) -> list[str]:
    """Fill `work` with the provided helpers of the reference and the learner's lab files.

    Returns the names of the lab files found (regular files anywhere under `submission`, named
    like a lab; anything else is ignored).
    """
    labs = {p.name for p in (source / "solutions").glob("lab[0-9]_*.py")}
    for helper in (source / "solutions").glob("*.py"):
        if helper.name not in labs:
            shutil.copy(helper, work / helper.name)
    found = []
    for path in sorted(submission.rglob("*.py")):
        if path.name in labs and path.is_file() and not path.is_symlink() and path.name not in found:
            shutil.copy(path, work / path.name)
            found.append(path.name)
    return found


def grader_command(work: Path, results: Path, config: dict[str, Any]) -> list[str]:
    """The grading command, run as the unprivileged user when this process is root."""
    command = [sys.executable, "-m", "autograder", "--submission", str(work), "--json", str(results),
               "--fail-under", "0", "--timeout", str(float(config.get("timeout", 2.0))),
               "--isolation", "process" if config.get("isolation") == "process" else "jail"]  # fmt: skip
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


def apply_visibility(results: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Set each test's visibility; the overall output then keeps only what is visible now."""
    tests = [{**t, "visibility": visibility_of(t["name"], config)} for t in results["tests"]]
    hidden = [t for t in tests if t["visibility"] != "visible"]
    output = results["output"]
    if hidden:
        shown = [t for t in tests if t["visibility"] == "visible"]
        failing = [f"{t['name']}\n{t.get('output', '')}" for t in shown if t["score"] < t["max_score"]]
        output = (
            f"{len(shown)} of {len(tests)} tests are shown now ({sum(t['score'] for t in shown):g}/"
            f"{sum(t['max_score'] for t in shown):g} points); the others are shown later.\n\n"
            + "\n\n".join(failing)
        )
    return {**results, "tests": tests, "output": output}


def run(root: Path) -> dict[str, Any]:
    """Grade `root/submission` and return the results to write (never raises for a bad submission)."""
    source = root / "source"
    config = read_config(source / "gradescope.toml")
    with tempfile.TemporaryDirectory(prefix="grading-") as scratch:
        work, out = Path(scratch, "submission"), Path(scratch, "results")
        work.mkdir()
        out.mkdir()
        found = stage_submission(root / "submission", source, work)
        if not found:
            return failure_results("no lab file (lab1_sft.py ... ) in the submission")
        if os.geteuid() == 0:
            for path in (Path(scratch), work, out, *work.iterdir()):
                os.chown(path, UNPRIVILEGED, UNPRIVILEGED)
        results = out / "results.json"
        try:
            status = subprocess.run(grader_command(work, results, config), cwd=source, timeout=RUN_LIMIT,
                                    stdin=subprocess.DEVNULL, env={"PATH": os.environ.get("PATH", ""), "HOME": scratch},
                                    ).returncode  # fmt: skip
        except subprocess.TimeoutExpired:
            return failure_results(f"grading took longer than {RUN_LIMIT:g} s")
        try:
            graded = checked_results(results)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            return failure_results(f"the grader left no valid results ({type(error).__name__}: {error})")
    if status not in (0, 1):  # 2: the grader could not run (its results file says why)
        return failure_results(graded["output"] or f"the grader exited with status {status}")
    return apply_visibility(graded, config)


def write_results(results: dict[str, Any], root: Path) -> Path:
    """Write `root/results/results.json` atomically."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as tmp:
        json.dump(results, tmp, indent=2, ensure_ascii=False)
    os.replace(tmp.name, path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Command line: `build` the zip, or `run` inside Gradescope's container."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.gradescope", description=__doc__.splitlines()[0]
    )
    actions = parser.add_subparsers(dest="action", required=True)
    build_parser = actions.add_parser("build", help="write autograder.zip")
    build_parser.add_argument("--out", type=Path, default=ROOT / "build" / "gradescope" / "autograder.zip")
    build_parser.add_argument("--config", type=Path, default=TEMPLATES / "gradescope.toml",
                              help="the gradescope.toml to put in (default: the template)")  # fmt: skip
    run_parser = actions.add_parser("run", help="grade /autograder/submission (run_autograder calls this)")
    run_parser.add_argument("--root", type=Path, default=Path("/autograder"))
    args = parser.parse_args(argv)
    if args.action == "build":
        print(f"Wrote {build(args.out.resolve(), args.config)}")
        return 0
    try:
        results = run(args.root)
    except Exception as error:  # the autograder itself failed: Gradescope still gets a results file
        results = failure_results(f"internal error: {error!r}")
    write_results(results, args.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
