"""A self-check for a student repository that has no reference solutions: your docstring examples.

    python -m autograder.public [--submission DIR] [--lab N ...] [--timeout SECONDS] [--verbose]
                                                                    # or: nox -s grade -- ...

In a notebook of the nbgrader track this file sits beside the notebook as `self_check.py`, and
each test cell runs `check_examples(<function>)` on the function defined above it.

A student repository built by `nox -s release` holds no reference solution and no hidden test:
your grade is computed when you submit. What can be checked here is public already: the
`Example:` sections of the docstrings you are given. Each function's examples run against your
code (each lab in a process of its own, with a time limit), and the report lists every
function as passing its examples, not implemented yet, or the first example that fails, with
what was expected and what your code gave. Passing the examples is a good sign, not a grade.

Standard library only: it runs in any Python that has the packages your lab files import.
"""

from __future__ import annotations

import argparse
import doctest
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NOTEBOOK_STUB = "not implemented yet"
"""The stub of a notebook's solution cell (`autograder.tools.notebooks`), where a lab file's says `Lab N: <name>`."""
TIME_LIMIT = 60.0
"""Seconds one lab's examples may take in all."""


@dataclass(frozen=True)
class ExampleResult:
    """What one function's docstring examples did: `status` is "pass", "fail" or "stub"."""

    function: str
    status: str
    detail: str = ""


def run_examples(path: Path, every: bool = False) -> list[ExampleResult]:
    """Import the lab file at `path` and run each of its functions' docstring examples (`every`:
    report every failing example of a function, not only the first)."""
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = []
    for name, function in vars(module).items():
        if not callable(function) or getattr(function, "__module__", None) != module.__name__:
            continue
        if name.startswith("_") or name == "main":
            continue
        result = examples_of(function, vars(module), every)
        if result is not None:  # the demo's helpers have no examples
            results.append(result)
    return results


def examples_of(
    function: Callable[..., Any], namespace: dict[str, Any], every: bool = False
) -> ExampleResult | None:
    """Run the docstring examples of `function` in `namespace`; None when it has none. The detail
    of a failure is its first failing example, or each of them with `every`."""
    name = function.__name__
    finder = doctest.DocTestFinder(recurse=False)
    tests = [t for t in finder.find(function, name, globs=namespace) if t.examples]
    if not tests:
        return None
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test, out=report.append, clear_globs=False)
    if runner.failures == 0:
        return ExampleResult(name, "pass")
    text = "".join(report)
    if re.search(rf"NotImplementedError: (Lab \d+: {name}\b|{NOTEBOOK_STUB})", text):
        return ExampleResult(name, "stub")
    return ExampleResult(name, "fail", _failures(text, every))


def check_examples(function: Callable[..., Any]) -> None:
    """A notebook's self-check cell: run `function`'s docstring examples and print what they did.

    It never raises, so that running every cell reaches the demo; it scores nothing (the grade
    is computed when you submit).
    """
    result = examples_of(function, function.__globals__)
    if result is None:
        print(f"{function.__name__} has no examples to run.")
        return
    print("\n".join(result_lines(result)))
    print("(A self-check on the docstring's examples: your grade is computed when you submit.)")


def _failures(report: str, every: bool = False) -> str:
    """The first failure of a doctest report (or every one), without its banner lines."""
    blocks = [b for b in report.split("*" * 70) if b.strip()]
    lines = [line for block in blocks[: None if every else 1] for line in block.strip().splitlines()]
    limit = 20_000 if every else 2000
    return "\n".join(line for line in lines if not line.startswith(("File ", "Failed example:")))[:limit]


def check_lab(path: Path, time_limit: float = TIME_LIMIT, every: bool = False) -> list[ExampleResult] | str:
    """Run one lab's examples in a child process; return the results, or why there are none."""
    try:
        child = subprocess.run(
            [sys.executable, "-m", "autograder.public", "--examples-of", str(path)]
            + (["--verbose"] if every else []),
            capture_output=True,
            text=True,
            timeout=time_limit,
            cwd=Path(__file__).resolve().parents[1],
        )
    except subprocess.TimeoutExpired:
        return f"the examples did not finish in {time_limit:g} s"
    lines = child.stdout.strip().splitlines()
    if child.returncode != 0 or not lines:
        error = child.stderr.strip().splitlines()
        return f"{path.name} stopped before its examples ran: {error[-1] if error else f'exit status {child.returncode}'}"
    return [ExampleResult(**item) for item in json.loads(lines[-1])]


def report(lab: str, outcome: list[ExampleResult] | str) -> list[str]:
    """The lines that describe one lab's examples."""
    if isinstance(outcome, str):
        return [f"{lab}: {outcome}"]
    return [lab, *(f"  {line}" for result in outcome for line in result_lines(result))]


def result_lines(result: ExampleResult) -> list[str]:
    """`✓ name   examples pass`, `· name   not implemented yet`, or `✗ name   an example fails` and why."""
    words = {"pass": "examples pass", "stub": "not implemented yet", "fail": "an example fails"}
    mark = {"pass": "✓", "fail": "✗"}.get(result.status, "·")
    return [
        f"{mark} {result.function:<40}{words[result.status]}",
        *(f"    {line}" for line in result.detail.splitlines()),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the self-check; exit 0 when every example passes, 1 when one does not, 2 on bad arguments."""
    parser = argparse.ArgumentParser(prog="python -m autograder.public", description=__doc__.splitlines()[0])
    parser.add_argument("--submission", type=Path, default=Path(__file__).resolve().parents[1] / "exercises")
    parser.add_argument("--lab", type=int, action="append", metavar="N", help="check only lab N (repeatable)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=TIME_LIMIT,
        metavar="SECONDS",
        help=f"time limit of one lab's examples (default {TIME_LIMIT:g})",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show every failing example of a function, not only the first"
    )
    parser.add_argument("--examples-of", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args(argv)
    if args.examples_of is not None:
        print(json.dumps([vars(r) for r in run_examples(args.examples_of.resolve(), args.verbose)]))
        return 0
    if args.timeout <= 0:
        parser.error("--timeout must be > 0")
    paths = sorted(args.submission.glob("lab[0-9]_*.py"))
    paths = [p for p in paths if args.lab is None or int(p.name[3]) in args.lab]
    if not paths:
        print(f"python -m autograder.public: no lab file in {args.submission}", file=sys.stderr)
        return 2
    print("Self-check: the docstring examples of your functions (your grade is computed when you submit).\n")
    outcomes = {path.stem: check_lab(path.resolve(), args.timeout, args.verbose) for path in paths}
    for lab, outcome in outcomes.items():
        print("\n".join(report(lab, outcome)) + "\n")
    passed = all(not isinstance(o, str) and all(r.status == "pass" for r in o) for o in outcomes.values())
    print("Every example passes." if passed else "Some examples do not pass yet (see above).")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
