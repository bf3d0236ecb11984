"""The notebook track: an nbgrader course built from `solutions/`, and headless autograding.

    python -m autograder.tools.notebooks build [--course DIR]          # source/ + release/ notebooks
    python -m autograder.tools.notebooks autograde [--course DIR] [--timeout S] [--csv PATH]

`build` writes one source notebook per graded lab into `DIR/source/<lab>/` (default
`build/nbgrader/`): the lab's module docstring as introduction, its imports as a read-only
cell, one solution cell per learner function (the function with its solution region; nbgrader
metadata), right after it one autograded test cell worth that function's points in `catalog()`
that calls `check("<lab>.<function>", globals())`, the demo as read-only cells, and manually
graded answer cells for the lab's reflection prompts. The provided helper modules are copied
beside the notebook, then `nbgrader generate_assignment` writes the student notebooks into
`release/`.

`autograde` runs `nbgrader autograde` on `submitted/<student>/<lab>/<lab>.ipynb` with the
gradebook in SQLite (`gradebook.db`) and a bounded per-cell time (`Execute.timeout`, the trait
nbgrader's own `Execute` preprocessor reads; `Execute.interrupt_on_timeout` interrupts the cell
and the rest of the notebook still runs), then writes the gradebook to CSV with Python's `csv`
module (nbgrader's exporter does not quote a student name that holds a comma).

Nothing is committed: the notebooks are generated at build time into a git-ignored folder. A
solution, a docstring or a property's points exist once, in `solutions/` or `autograder/labs/`,
and every build reads them afresh, so the notebooks cannot go stale and no drift test is needed
(the same choice as the site's figures). Only the labs that have a grader (`available_labs()`)
get a notebook.

Scores: a test cell's result is the number `check` returns, the points the function earns, which
nbgrader takes as the cell's partial credit; so a function earns the same points as in the batch
grader. A notebook has no import step: an exception in one cell does not stop the others, where
the batch grader scores a lab that does not import 0. The demo cell is skipped while nbgrader
autogrades (`NBGRADER_EXECUTION`), since nothing is scored from output.
"""

from __future__ import annotations

import argparse
import ast
import csv
import itertools
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

from autograder import catalog
from autograder.labs import LAB_MODULES, available_labs
from autograder.text import csv_cell
from autograder.tools.stubs import ROOT, SOLUTIONS, _functions_with_regions

COURSE = ROOT / "build" / "nbgrader"
DEFAULT_CELL_TIMEOUT = 60
REFLECTION_POINTS = 1
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}

REFLECTIONS = {
    "lab1_sft": (
        "You want the assistant to write better fiction. What would you change in the SFT "
        "mixture, and what could that cost the domains whose share shrinks?",
        "However the data is weighted, SFT does not repair every weakness of the base model. Why not?",
        "Some examples, such as safety cases, are expensive to annotate. How would you get the most "
        "out of a small number of them?",
    ),
    "lab2_reward": (
        "Suppose the reward model disagrees with human raters on many comparisons. What goes wrong "
        "once a policy is optimised against it?",
        "Before optimising anything against a reward model, how would you check that it is accurate?",
        "Why learn a reward model at all, instead of asking people to rate every response during training?",
    ),
    "lab3_rlhf": (
        "What happens to the policy when the KL penalty is removed (β → 0)? Use the reward–KL frontier.",
        "The reward model pays far more for answering at all than for answering safely. What behaviour "
        "would RLHF produce?",
        "How would you notice that RLHF is optimising the wrong behaviour, before users do?",
    ),
    "lab4_dpo": (
        "DPO trains without a reward model. Where did the reward model go, and what does the implicit "
        "reward of a response tell you about the policy?",
        "What does β control in DPO? What would you expect from a very small β with a finite number of "
        "preference pairs, and why?",
        "With preferences that never disagree, DPO's margins grow without bound while IPO's stop at "
        "1/(2β) and the hinge's at 1/β. Why, and which loss would you choose for pairs labelled by one "
        "very consistent annotator?",
    ),
    "lab5_grpo": (
        "A prompt whose G sampled answers are all wrong gives no gradient at all. Why, and what would you "
        "change (data, sampling or the reward) so that hard prompts still teach the policy something?",
        "Averaging each response over its own length ('sequence') lets wrong answers grow longer. Explain "
        "the mechanism with the per-token weights, and say which aggregation you would use and why.",
        "RL against a checker raised pass@1 in the demo. Why can it lower pass@k at large k, and what does "
        "that say about what RL with verifiable rewards adds to the base model?",
    ),
}

DEMO_CALL = """import os

# Run the demo (skipped while nbgrader autogrades: nothing is scored from printed output).
if os.environ.get("NBGRADER_EXECUTION") != "autograde":
    labkit.run_demo(main, [])
"""


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict:
    """nbgrader cell metadata (schema 3): locked unless it is a solution cell."""
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
            "schema_version": 3}  # fmt: skip
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def _code(source: str, **meta: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source.strip("\n"), metadata=meta)


def _chunks(lines: list[str], start: int, end: int) -> list[str]:
    """Lines `start:end` split into cells at each top-level statement that starts a definition."""
    text = "".join(lines[start:end])
    if not text.strip():
        return []
    definitions = [n for n in ast.parse(text).body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    firsts = [(n.decorator_list[0] if n.decorator_list else n).lineno for n in definitions]
    cuts = [*sorted({start} | {start + line - 1 for line in firsts}), end]
    pieces = ["".join(lines[a:b]).strip("\n") for a, b in itertools.pairwise(cuts)]
    return [p for p in pieces if p.strip()]


def source_notebook(module: str, source: str, points: dict[str, int]) -> nbformat.NotebookNode:
    """The nbgrader source notebook of one lab file (`points`: function name -> points)."""
    path = SOLUTIONS / f"{module}.py"
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    docstring = ast.get_docstring(tree) or module
    title, _, rest = docstring.partition("\n")
    cells = [nbformat.v4.new_markdown_cell(f"# {title}\n{rest}".strip())]
    functions = _functions_with_regions(source, path)
    position = (tree.body[0].end_lineno or 0) if ast.get_docstring(tree) else 0
    for index, (node, last) in enumerate(functions):
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        cells += [
            _code(chunk, **_meta(f"{module}_setup_{index}")) for chunk in _chunks(lines, position, start)
        ]
        cells.append(_code("".join(lines[start:last]), **_meta(node.name, solution=True)))
        if node.name in points:
            check = f'from autograder import check\n\ncheck("{module}.{node.name}", globals())'
            cells.append(_code(check, **_meta(f"test_{node.name}", grade=True, points=points[node.name])))
        position = last
    tail = "".join(lines[position:]).split('if __name__ == "__main__":')[0]
    tail_lines = tail.splitlines(keepends=True)
    cells.append(nbformat.v4.new_markdown_cell("## Demo\n\nThe lab's demo, with your functions."))
    cells += [_code(c, **_meta(f"demo_{i}")) for i, c in enumerate(_chunks(tail_lines, 0, len(tail_lines)))]
    cells.append(_code(DEMO_CALL, **_meta("demo_run")))
    cells.append(nbformat.v4.new_markdown_cell("## Reflection\n\nAnswer each question in a few sentences."))
    for number, prompt in enumerate(REFLECTIONS.get(module, ()), 1):
        cells.append(nbformat.v4.new_markdown_cell(f"**Question {number}.** {prompt}"))
        answer = nbformat.v4.new_markdown_cell(
            "YOUR ANSWER HERE",
            metadata=_meta(f"reflection_{number}", solution=True, grade=True, points=REFLECTION_POINTS),
        )
        cells.append(answer)
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = KERNELSPEC
    notebook.metadata["language_info"] = {"name": "python"}
    return notebook


def lab_points() -> dict[str, dict[str, int]]:
    """Lab module -> function name -> points, for every lab with a grader."""
    out: dict[str, dict[str, int]] = {}
    for info in catalog():
        out.setdefault(info.lab, {})[info.name] = info.points
    return out


def helper_files() -> list[Path]:
    """The provided modules every lab may import (everything in solutions/ but the labs)."""
    return [p for p in sorted(SOLUTIONS.glob("*.py")) if not re.match(r"lab\d+_", p.name)]


def write_config(course: Path, timeout: int) -> None:
    """nbgrader_config.py: course root, SQLite gradebook, bounded cells, the stub text."""
    course.mkdir(parents=True, exist_ok=True)
    (course / ".gitignore").write_text("# generated by `nox -s notebooks`\n*\n")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        'c.CourseDirectory.course_id = "post-training"\n'
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.Execute.timeout = {int(timeout)}\n"
        "c.Execute.interrupt_on_timeout = True\n"
        'c.ClearSolutions.code_stub = {"python": \'raise NotImplementedError("not implemented yet")\'}\n'
    )


def nbgrader_api(course: Path):  # -> nbgrader.apps.NbGraderAPI
    """nbgrader's Python API on the course, configured by its nbgrader_config.py.

    Kernels started by autograde inherit this process's environment: `autograder` goes on
    PYTHONPATH, and this interpreter's scripts go first on PATH (nbgrader runs `alembic` from
    PATH, and the venv may not be activated).
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    def prepend(name: str, first: str) -> None:
        os.environ[name] = os.pathsep.join(filter(None, [first, os.environ.get(name)]))

    if str(ROOT) not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        prepend("PYTHONPATH", str(ROOT))
    prepend("PATH", str(Path(sys.executable).parent))
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return NbGraderAPI(config=config)


def _succeeded(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('error') or result.get('log')}")


def build(
    course: Path = COURSE, timeout: int = DEFAULT_CELL_TIMEOUT, labs: list[int] | None = None
) -> list[str]:
    """Write source/ and release/ for the labs (default: every lab with a grader); return their modules."""
    write_config(course, timeout)
    points = lab_points()
    built = []
    for number in labs or available_labs():
        module = LAB_MODULES[number]
        folder = course / "source" / module
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        source = (SOLUTIONS / f"{module}.py").read_text()
        nbformat.write(source_notebook(module, source, points.get(module, {})), folder / f"{module}.ipynb")
        for helper in helper_files():
            shutil.copy(helper, folder / helper.name)
        built.append(module)
    api = nbgrader_api(course)
    for module in built:
        _succeeded(api.generate_assignment(module, force=True, create=True), f"generate_assignment {module}")
    return built


def _provided(node: ast.stmt) -> bool:
    """Statements a notebook has in its own cells: functions, imports, the docstring, the demo run."""
    if isinstance(node, ast.If):
        return ast.unparse(node.test).replace("'", '"') == '__name__ == "__main__"'
    return isinstance(node, ast.FunctionDef | ast.Import | ast.ImportFrom | ast.Expr)


def submission_notebook(release: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """A student's `.py` lab file as the notebook they would have submitted.

    Each solution cell gets the student's function of the same name (a missing one stays a
    stub); top-level statements of the file that are not in the release (an exception raised at
    import, say) go first into the first solution cell, where a notebook would run them.
    """
    notebook = nbformat.from_dict(release)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree, extra = ast.Module(body=[], type_ignores=[]), [source]
    else:
        released = "\n".join(cell.source for cell in release.cells)
        extra = [segment for node in tree.body if not _provided(node)
                 and (segment := ast.get_source_segment(source, node) or "") not in released]  # fmt: skip
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    lines = source.splitlines(keepends=True)
    first = True
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        node = defined.get(meta["grade_id"])
        if node is not None:
            start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
            cell.source = "".join(lines[start : node.end_lineno]).strip("\n")
        if first and extra:
            cell.source = "\n".join([*extra, cell.source])
        first = False
    return notebook


def submit_py(course: Path, student: str, folder: Path) -> list[str]:
    """Turn a student's `.py` lab files into `submitted/<student>/<lab>/<lab>.ipynb`; return the labs."""
    submitted = []
    for release in sorted((course / "release").glob("*/*.ipynb")):
        module = release.stem
        path = folder / f"{module}.py"
        if not path.is_file():
            continue
        target = course / "submitted" / student / module
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(submission_notebook(nbformat.read(release, as_version=4), path.read_text()),
                       target / f"{module}.ipynb")  # fmt: skip
        submitted.append(module)
    return submitted


def stale_labs(course: Path) -> list[str]:
    """Labs whose built notebook's test points no longer match the grader's (rebuild them)."""
    points = lab_points()
    stale = []
    for path in sorted((course / "source").glob("*/*.ipynb")):
        cells = [c.metadata.get("nbgrader", {}) for c in nbformat.read(path, as_version=4).cells]
        built = {
            m["grade_id"][len("test_") :]: m["points"]
            for m in cells
            if m.get("grade") and not m.get("solution")
        }
        if built != points.get(path.stem):
            stale.append(path.stem)
    return stale


def autograde(course: Path = COURSE, timeout: int | None = None) -> list[str]:
    """`nbgrader autograde` every submitted lab; return the failures (`<student>/<lab>: why`).

    A changed timeout rewrites the config first. A submission nbgrader cannot grade is reported
    and skipped; the others are graded.
    """
    stale = stale_labs(course)
    if stale:
        raise RuntimeError(
            f"the notebooks of {', '.join(stale)} are older than the grader: rebuild them first"
        )
    if timeout is not None:
        write_config(course, timeout)
    api = nbgrader_api(course)
    failures = []
    for module in sorted(p.name for p in (course / "source").iterdir() if p.is_dir()):
        for student in sorted(api.get_submitted_students(module)):
            result = api.autograde(module, student, force=True, create=True)
            if not result.get("success"):
                log = (result.get("log") or result.get("error") or "").strip().splitlines()
                failures.append(f"{student}/{module}: {log[-1] if log else 'nbgrader failed'}")
    return failures


def gradebook_rows(course: Path = COURSE) -> list[dict[str, object]]:
    """One row per student: autograded total, its maximum, each lab's autograded score, manual points."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        labs = sorted(a.name for a in gradebook.assignments)
        for student in sorted(s.id for s in gradebook.students):
            row: dict[str, object] = {"student": student}
            total = maximum = manual = 0.0
            for lab in labs:
                assignment = gradebook.find_assignment(lab)
                maximum += assignment.max_code_score
                try:
                    submission = gradebook.find_submission(lab, student)
                except MissingEntry:
                    row[lab] = 0
                    continue
                row[lab] = _number(submission.code_score)
                total += submission.code_score
                manual += submission.written_score
            row.update(total=_number(total), max=_number(maximum), manual=_number(manual))
            rows.append(row)
    return rows


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 3)


def write_csv(rows: list[dict[str, object]], path: Path, labs: list[str]) -> None:
    """Rows as CSV with every field quoted as needed (csv module)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["student", "total", "max", *labs, "manual"],
                                extrasaction="ignore", restval=0)  # fmt: skip
        writer.writeheader()
        writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Build the course or autograde its submissions."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.notebooks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["build", "autograde"])
    parser.add_argument(
        "--course", type=Path, default=COURSE, help="course directory (default build/nbgrader)"
    )
    parser.add_argument("--timeout", type=int, default=None, metavar="SECONDS",
                        help=f"time limit of one notebook cell (default {DEFAULT_CELL_TIMEOUT})")  # fmt: skip
    parser.add_argument("--csv", type=Path, help="autograde: write the gradebook here as CSV")
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if args.command == "build":
        for module in build(course, args.timeout or DEFAULT_CELL_TIMEOUT):
            print(f"released {course / 'release' / module / (module + '.ipynb')}")
        return 0
    failures = autograde(course, args.timeout)
    for failure in failures:
        print(f"not graded: {failure}", file=sys.stderr)
    if args.csv:
        write_csv(gradebook_rows(course), args.csv, [LAB_MODULES[n] for n in available_labs()])
        print(f"wrote {args.csv}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
