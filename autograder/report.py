"""The scoreboard and the results files: plain text, Gradescope JSON, JUnit XML and Markdown.

Learner text (exception messages, returned values) reaches these files: every writer caps its
sizes (GitHub takes at most 1 MiB of job summary and 65,536 characters of comment), keeps only
characters its format can hold, and the Markdown escapes it so that it renders as plain text.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.engine import FunctionResult, LabResult, PropertyResult
from autograder.text import cap, escape_markdown, fenced, printable

MAX_TEST_OUTPUT = 10_000
"""Characters of one test's output in results.json and JUnit."""
MAX_SCOREBOARD = 200_000
"""Characters of the scoreboard in results.json's `output`."""
MAX_MARKDOWN = 60_000
"""Characters of the Markdown scoreboard: a pull-request comment holds 65,536."""


@dataclass
class Grade:
    """A whole grading run."""

    labs: Sequence[LabResult]
    seconds: float
    problem: str = ""
    isolation: str = ""
    """How the learner's code ran (the scoreboard's last line says so; "" when not said)."""
    verbose: bool = False
    """Show every failing property's feedback, not only one a function (`--verbose`)."""

    @property
    def points(self) -> int:
        """Points possible."""
        return sum(lab.points for lab in self.labs)

    @property
    def earned(self) -> int:
        """Points earned."""
        return sum(lab.earned for lab in self.labs)

    @property
    def percent(self) -> float:
        """The score in percent (0 when nothing was graded)."""
        return 100.0 * self.earned / self.points if self.points else 0.0

    def total_line(self) -> str:
        """`Score: 37/120 (30.8 %)`."""
        return f"Score: {self.earned}/{self.points} ({self.percent:.1f} %)"


def _status(result: FunctionResult) -> str:
    if result.earned == result.points:
        return "ok"
    if result.state == "not implemented":
        return "not implemented yet"
    failed = [p.description for p in result.properties if not p.passed]
    return f"{len(failed)} of {len(result.properties)} properties fail"


def _property_output(prop: PropertyResult) -> str:
    return "passed" if prop.passed else "\n".join(prop.feedback)


def scoreboard(grade: Grade) -> str:
    """The scoreboard, then the feedback on every failing property."""
    out: list[str] = []
    for lab in grade.labs:
        out.append(f"Lab {lab.lab.number} - {lab.lab.title}".ljust(62) + f"{lab.earned:>4}/{lab.points}")
        if lab.problem:
            out += [f"    {line}" for line in lab.problem.splitlines()]
        for fn in lab.functions:
            mark = "✓" if fn.earned == fn.points else "✗"
            out.append(f"  {mark} {fn.function_id:<44}{fn.earned:>4}/{fn.points:<4} {_status(fn)}")
        out.append("")
    if grade.problem:
        out.append(f"The grader could not finish: {grade.problem}")
    out.append(grade.total_line())
    if grade.isolation:
        out.append(f"Isolation: {grade.isolation}")
    if any(fn.state == "not implemented" for lab in grade.labs for fn in lab.functions):
        out.append(
            "Functions marked 'not implemented yet' still raise NotImplementedError: replace it with your code."
        )
    details = _details(grade)
    if details:
        out += ["", "=" * 78, "What to fix", "=" * 78, *details]
    return printable("\n".join(out))


def shown_in_full(fn: FunctionResult) -> PropertyResult | None:
    """The failing property whose feedback is shown in full: the one whose value matched the
    fewest known mistakes (one is a diagnosis), else the first failing one in the declaration
    order (agreement with the reference, then the invariants, then the errors)."""
    failing = [p for p in fn.properties if not p.passed]
    matched = [p for p in failing if p.hints]
    if matched:
        return min(matched, key=lambda p: len(p.hints))
    return failing[0] if failing else None


def function_feedback(fn: FunctionResult, verbose: bool = False) -> list[str]:
    """A function's properties with their points, and the feedback of one failing property (of
    every failing one with `verbose`); a hint is printed once."""
    full = shown_in_full(fn)
    out = [f"{fn.function_id}  ({fn.earned}/{fn.points})"]
    printed: set[str] = set()
    for prop in fn.properties:
        out.append(f"  {'✓' if prop.passed else '✗'} {prop.description} ({prop.earned}/{prop.points})")
        if prop.passed or not (verbose or prop is full):
            continue
        for line in (line for text in prop.feedback for line in text.splitlines()):
            if line.startswith(("Hint:", "  - ")):
                if line in printed:
                    continue
                printed.add(line)
            out.append(f"      {line}")
    hidden = sum(not p.passed for p in fn.properties) - 1
    if hidden > 0 and not verbose:
        out.append(
            f"  ({hidden} more failing {'property' if hidden == 1 else 'properties'} above: `--verbose` shows their details)"
        )
    return out


def _details(grade: Grade) -> list[str]:
    out: list[str] = []
    for lab in grade.labs:
        failing = [fn for fn in lab.functions if fn.earned < fn.points and fn.state != "not implemented"]
        if lab.problem or not failing:
            continue
        number = lab.lab.number
        out += [
            "",
            f"Lab {number}: to try an input shown below, run `python -m nox -s repl -- {number}` (a Python with "
            f"numpy as np and your {lab.lab.module}.py functions loaded) and paste it.",
        ]
        for fn in failing:
            out += ["", *function_feedback(fn, grade.verbose)]
    return out


def problems(grade: Grade) -> dict[str, str]:
    """What was not graded in full for a reason other than wrong answers, by what it concerns.

    Keys: `"grader"` when the grader could not finish, a lab module for a lab that could not be
    graded at all (no file, no import, its grader process killed), a function id for a function
    whose grading was stopped (timed out, its worker died). Wrong answers and stubs are not here.
    """
    found = {"grader": grade.problem} if grade.problem else {}
    for lab in grade.labs:
        if lab.problem:
            found[lab.lab.module] = lab.problem
            continue
        found |= {fn.function_id: fn.problem for fn in lab.functions if fn.state == "stopped"}
    return found


def gradescope_json(grade: Grade) -> str:
    """Results in Gradescope's `results.json` schema, one test per property.

    `extra_data.problems` maps each lab that could not be graded (no file, does not import, its
    worker died) to why: its tests only say they scored 0.
    """
    tests = [
        {
            "name": f"{prop.function_id}: {prop.description}",
            "score": prop.earned,
            "max_score": prop.points,
            "status": "passed" if prop.passed else "failed",
            "output": printable(
                cap(_property_output(prop) if prop.feedback or prop.passed else fn.problem, MAX_TEST_OUTPUT)
            ),
            "visibility": "visible",
        }
        for lab in grade.labs
        for fn in lab.functions
        for prop in fn.properties
    ]
    document = {
        "score": grade.earned,
        "max_score": grade.points,
        "execution_time": round(grade.seconds, 3),
        "output": printable(cap(scoreboard(grade), MAX_SCOREBOARD)),
        "tests": tests,
        "extra_data": {
            "problems": {key: printable(cap(text, 2000)) for key, text in problems(grade).items()},
            "isolation": grade.isolation,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def junit_xml(grade: Grade) -> str:
    """JUnit XML: a test suite per lab, a test case per property."""
    root = ET.Element("testsuites", name="autograder", time=f"{grade.seconds:.3f}")
    for lab in grade.labs:
        cases = [(fn, prop) for fn in lab.functions for prop in fn.properties]
        failures = sum(not prop.passed for _, prop in cases)
        suite = ET.SubElement(
            root, "testsuite", name=lab.lab.module, tests=str(len(cases)), failures=str(failures)
        )
        for fn, prop in cases:
            case = ET.SubElement(suite, "testcase", classname=fn.function_id, name=prop.description)
            if not prop.passed:
                text = printable(cap("\n".join(prop.feedback) or fn.problem, MAX_TEST_OUTPUT))
                failure = ET.SubElement(case, "failure", message=(text.splitlines() or ["failed"])[0][:300])
                failure.text = text
    if grade.problem:
        suite = ET.SubElement(root, "testsuite", name="grader", tests="1", failures="1")
        case = ET.SubElement(suite, "testcase", classname="autograder", name="the grader ran")
        problem = printable(cap(grade.problem, MAX_TEST_OUTPUT))
        ET.SubElement(case, "failure", message=problem[:300]).text = problem
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def markdown(grade: Grade) -> str:
    """The scoreboard as Markdown, for a job summary or a pull-request comment (at most `MAX_MARKDOWN`)."""
    out = [f"## {grade.total_line()}", ""]
    if grade.problem:
        out += [f"> The grader could not finish: {escape_markdown(cap(grade.problem, 2000))}", ""]
    out += ["| Lab | Function | Points | Status |", "|---|---|---:|---|"]
    for lab in grade.labs:
        for fn in lab.functions:
            mark = "✅" if fn.earned == fn.points else "❌"
            out.append(
                f"| {lab.lab.number} | `{fn.function_id}` | {fn.earned}/{fn.points} | {mark} {escape_markdown(_status(fn))} |"
            )
    table = "\n".join(out) + "\n"
    problems = [f"Lab {lab.lab.number}: {lab.problem}" for lab in grade.labs if lab.problem]
    body = "\n".join([*problems, *_details(grade)]).strip("\n")
    if not body:
        return table
    room = MAX_MARKDOWN - len(table) - 200
    return table + "\n".join(
        [
            "",
            "<details><summary>What to fix</summary>",
            "",
            "```text",
            fenced(cap(body, room)),
            "```",
            "",
            "</details>",
            "",
        ]
    )
