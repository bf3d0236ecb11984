"""The notebook track: an nbgrader course built from `solutions/`, autograded out of the kernel.

    python -m autograder.tools.notebooks build [--course DIR]          # source/ + release/ notebooks
    python -m autograder.tools.notebooks autograde [--course DIR] [--timeout S] [--csv PATH]

`build` writes one source notebook per graded lab into `DIR/source/<lab>/` (default
`build/nbgrader/`): the lab's module docstring as introduction, its imports as a read-only
cell, one solution cell per learner function (the function with its solution region; nbgrader
metadata), right after it a locked test cell worth that function's points in `catalog()`, the
demo as read-only cells, and manually graded answer cells for the lab's reflection prompts. The
provided helper modules are copied beside the notebook, and so is `autograder/public.py` as
`self_check.py`: a test cell runs `check_examples(<function>)`, the function's docstring
examples, which a student can run with nothing of the instructor's grader installed. Then
`nbgrader generate_assignment` writes the student notebooks into `release/`.

`autograde` runs `nbgrader autograde` on `submitted/<student>/<lab>/<lab>.ipynb` with the
gradebook in SQLite (`DIR/gradebook.db`), and writes the gradebook to `DIR/grades.csv` (or
`--csv PATH`) with Python's `csv` module (nbgrader's exporter does not quote a student name that
holds a comma). No cell of a submitted notebook runs in a kernel: the generated
`nbgrader_config.py` replaces nbgrader's `Execute` step by `GradeOutOfKernel`, which exports the
notebook's code cells to the lab file they stand for, grades that file with `python -m
autograder` (the learner's code in the grader's worker, jailed where bubblewrap runs, `--timeout`
seconds a call), and writes each test cell's outputs: the function's feedback, then its points as
the cell's result, which nbgrader's `SaveAutoGrades` reads as the cell's partial credit. So
nothing a solution cell does (patching a module, printing a number, `os._exit`) can change a test
cell's result: a function earns the points `nox -s grade` gives the same code, and a lab that
could not be graded (its code does not import, ends its process) is reported by name, on stderr
and in the CSV's `problem` column, never as a silent 0. The same configuration applies when
nbgrader is run directly (`nbgrader autograde`, formgrader's button) from the course folder.

Nothing is committed: the notebooks are generated at build time into a git-ignored folder. A
solution, a docstring or a property's points exist once, in `solutions/` or `autograder/labs/`,
and every build reads them afresh, so the notebooks cannot go stale and no drift test is needed
(the same choice as the site's figures). Only the labs that have a grader (`available_labs()`)
get a notebook.
"""

from __future__ import annotations

import argparse
import ast
import csv
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Unicode

from autograder import catalog, public
from autograder.course import helper_files, lab_page
from autograder.labs import LAB_MODULES, available_labs
from autograder.text import csv_cell
from autograder.tools.stubs import ROOT, SOLUTIONS, _functions_with_regions

COURSE = ROOT / "build" / "nbgrader"
REFLECTION_POINTS = 1
SELF_CHECK = "self_check.py"
"""`autograder/public.py` as it is copied beside each notebook (stdlib only: students need nothing else)."""
DEMO_RUN = "demo_run"
"""The grade id of the cell that runs the demo (never part of the graded lab file)."""
KERNELSPEC = {"name": "python3", "language": "python", "display_name": "Python 3"}

QUESTION = re.compile(r"[0-9]+\.\s+(?P<text>.+)", re.DOTALL)
"""A question of a lab page's Reflection section: a paragraph that starts with its number, bold or not."""


def reflection_questions(module: str) -> list[str]:
    """The questions of the Reflection section of a lab's page, in order, their maths as `$...$`.

    The page is where they are written (`autograder.course.lab_page`): every paragraph of the
    section (up to the next `## ` heading) that starts with a number at the margin is one
    question; the folded answers below them are indented, so they are left out.
    """
    text = lab_page(module).read_text(encoding="utf-8")
    section = text.partition("\n## Reflection\n")[2].partition("\n## ")[0]
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", section)]
    matches = [
        QUESTION.fullmatch(p.rstrip().strip("*")) for p in paragraphs if p[:1].isdigit() or p[:2] == "**"
    ]
    return [re.sub(r"\\[()]", "$", " ".join(m["text"].split())) for m in matches if m]


DEMO_CALL = """import os

# Run the demo (skipped while nbgrader autogrades: nothing is scored from printed output).
if os.environ.get("NBGRADER_EXECUTION") != "autograde":
    labkit.run_demo(main, [])
"""


def _meta(grade_id: str, *, solution: bool = False, grade: bool = False, points: int = 0) -> dict:
    """nbgrader cell metadata (schema 3): locked unless it is a solution cell."""
    meta = {
        "grade_id": grade_id,
        "solution": solution,
        "grade": grade,
        "locked": not solution,
        "schema_version": 3,
    }
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
            check = f"# Self-check: the docstring's examples.\nfrom self_check import check_examples\n\ncheck_examples({node.name})"
            cells.append(_code(check, **_meta(f"test_{node.name}", grade=True, points=points[node.name])))
        position = last
    tail = "".join(lines[position:]).split('if __name__ == "__main__":')[0]
    tail_lines = tail.splitlines(keepends=True)
    cells.append(nbformat.v4.new_markdown_cell("## Demo\n\nThe lab's demo, with your functions."))
    cells += [_code(c, **_meta(f"demo_{i}")) for i, c in enumerate(_chunks(tail_lines, 0, len(tail_lines)))]
    cells.append(_code(DEMO_CALL, **_meta(DEMO_RUN)))
    cells.append(nbformat.v4.new_markdown_cell("## Reflection\n\nAnswer each question in a few sentences."))
    for number, prompt in enumerate(reflection_questions(module), 1):
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


def autograde_steps() -> list[str]:
    """nbgrader's autograde preprocessors, with `GradeOutOfKernel` in the place of `Execute`."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute

    steps = Autograde.class_traits()["autograde_preprocessors"].default()
    if Execute not in steps:
        raise RuntimeError(f"nbgrader's autograde has no Execute step to replace: {steps}")
    return [
        f"{GradeOutOfKernel.__module__}.{GradeOutOfKernel.__name__}"
        if step is Execute
        else f"{step.__module__}.{step.__name__}"
        for step in steps
    ]


def write_config(course: Path, timeout: float | None = None) -> None:
    """nbgrader_config.py: course root, SQLite gradebook, autograding out of the kernel, the stub text.

    It puts the course repository on `sys.path`, so that nbgrader run by hand from the course
    folder (or formgrader) finds `GradeOutOfKernel` too; `timeout` is the grader's `--timeout`.
    """
    course.mkdir(parents=True, exist_ok=True)
    (course / ".gitignore").write_text("# generated by `nox -s notebooks`\n*\n")
    stub = f'raise NotImplementedError("{public.NOTEBOOK_STUB}")'
    lines = [
        "import sys",
        "",
        "c = get_config()  # noqa: F821",
        f"sys.path.insert(0, {str(ROOT)!r})  # the course repository: its grader grades the notebooks",
        f"c.CourseDirectory.root = {str(course)!r}",
        'c.CourseDirectory.course_id = "post-training"',
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}",
        "# No submitted cell runs in a kernel: the notebook is graded as the lab file it stands for.",
        f"c.Autograde.autograde_preprocessors = {autograde_steps()!r}",
        f"c.ClearSolutions.code_stub = {{'python': {stub!r}}}",
    ]
    if timeout is not None:
        lines.append(f"c.GradeOutOfKernel.timeout = {float(timeout)!r}")
    (course / "nbgrader_config.py").write_text("\n".join(lines) + "\n")


def nbgrader_api(course: Path):  # -> nbgrader.apps.NbGraderAPI
    """nbgrader's Python API on the course, configured by its nbgrader_config.py.

    This interpreter's scripts go first on PATH: nbgrader runs `alembic` from PATH, and the venv
    may not be activated.
    """
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    os.environ["PATH"] = os.pathsep.join(
        filter(None, [str(Path(sys.executable).parent), os.environ.get("PATH")])
    )
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return NbGraderAPI(config=config)


def _succeeded(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(f"nbgrader {what} failed:\n{result.get('error') or result.get('log')}")


def build(course: Path = COURSE, timeout: float | None = None, labs: list[int] | None = None) -> list[str]:
    """Write source/ and release/ for the labs (default: every lab with a grader); return their modules.

    `timeout` is the grader's time limit of one call of the learner's code when autograding.
    """
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
        for helper in helper_files(SOLUTIONS):
            shutil.copy(helper, folder / helper.name)
        shutil.copy(public.__file__, folder / SELF_CHECK)
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
        extra = [
            segment
            for node in tree.body
            if not _provided(node) and (segment := ast.get_source_segment(source, node) or "") not in released
        ]
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
        nbformat.write(
            submission_notebook(nbformat.read(release, as_version=4), path.read_text()),
            target / f"{module}.ipynb",
        )
        submitted.append(module)
    return submitted


def lab_source(notebook: nbformat.NotebookNode) -> str:
    """The lab file a notebook stands for: its provided and solution code cells, in order.

    Left out: the test cells, the cell that runs the demo, and cells the student added (their
    scratch space, which may hold IPython syntax that is not Python).
    """
    cells = []
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta and not meta.get("grade") and meta.get("grade_id") != DEMO_RUN:
            cells.append(cell.source.strip("\n"))
    return "\n\n\n".join(cells) + "\n"


def grade_lab_source(
    source: str, module: str, timeout: float | None = None, isolation: str = "auto"
) -> dict[str, Any]:
    """Grade `source` as `<module>.py` with `python -m autograder`; return its results.json.

    The file goes into a folder of its own with the course's provided helpers, the grader runs in
    a process of its own (this interpreter, from the course repository) and grades it as it grades
    any lab file: the learner's code in the grader's worker, jailed where bubblewrap runs. When the
    grader cannot run at all, the results still say why (`extra_data.problems`).
    """
    number = next(n for n, name in LAB_MODULES.items() if name == module)
    with tempfile.TemporaryDirectory(prefix="notebook-") as temporary:
        folder = Path(temporary, "submission")
        folder.mkdir()
        (folder / f"{module}.py").write_text(source, encoding="utf-8")
        for helper in helper_files(SOLUTIONS):
            shutil.copy(helper, folder / helper.name)
        results = Path(temporary, "results.json")
        command = [
            sys.executable,
            "-m",
            "autograder",
            "--submission",
            str(folder),
            "--lab",
            str(number),
            "--json",
            str(results),
            "--isolation",
            isolation,
            "--jobs",
            "1",
        ]
        if timeout is not None:
            command += ["--timeout", str(timeout)]
        run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        try:
            document = json.loads(results.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = {"score": 0, "tests": [], "output": ""}
        if run.returncode == 2 or not document.get("tests"):
            error = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
            document.setdefault("extra_data", {}).setdefault("problems", {})[module] = (
                f"the grader could not run: {error}"
            )
    return document


def function_scores(results: dict[str, Any]) -> dict[str, tuple[int, list[str]]]:
    """Function name -> (points earned, feedback lines), from a lab's results.json."""
    scores: dict[str, tuple[int, list[str]]] = {}
    for test in results.get("tests", []):
        function_id, description = str(test["name"]).split(": ", 1)
        name = function_id.split(".", 1)[1]
        earned, lines = scores.get(name, (0, []))
        passed = test["status"] == "passed"
        lines = [*lines, f"  {'✓' if passed else '✗'} {description} ({test['score']}/{test['max_score']})"]
        if not passed:
            lines += [f"      {line}" for line in str(test["output"]).splitlines()]
        scores[name] = (earned + int(test["score"]), lines)
    return scores


def lab_problem(results: dict[str, Any]) -> str:
    """Why the lab of a results.json was not graded ("" when it was)."""
    return "; ".join(results.get("extra_data", {}).get("problems", {}).values())


def grade_cell_outputs(
    module: str, name: str, points: int, results: dict[str, Any]
) -> list[nbformat.NotebookNode]:
    """A test cell's outputs: the grader's feedback on the function, then its points as the result."""
    earned, lines = function_scores(results).get(name, (0, []))
    problem = lab_problem(results)
    header = [
        f"{module}.{name}: {earned}/{points}",
        f"(graded out of the notebook: its code cells, exported as {module}.py, graded by the course's grader)",
    ]
    if problem:
        header.append(f"Not graded: {problem}")
    text = "\n".join([*header, *([] if problem else lines)]) + "\n"
    return [
        nbformat.v4.new_output("stream", name="stdout", text=text),
        nbformat.v4.new_output("execute_result", data={"text/plain": str(earned)}, execution_count=None),
    ]


def results_name(module: str) -> str:
    """The results file `GradeOutOfKernel` writes beside the autograded notebook."""
    return f"{module}.results.json"


class GradeOutOfKernel(NbGraderPreprocessor):
    """nbgrader's autograde step that runs no cell: the notebook graded as the lab file it stands for.

    It takes the place of nbgrader's `Execute` (see `write_config`): the sanitized notebook
    (locked cells already restored from the source) is exported by `lab_source`, graded by
    `grade_lab_source`, and each test cell gets `grade_cell_outputs`; the results file goes
    beside the autograded notebook.
    """

    timeout = Float(None, allow_none=True, help="the grader's time limit of one call (--timeout)").tag(
        config=True
    )
    isolation = Unicode("auto", help="the grader's --isolation: auto, jail or process").tag(config=True)

    def preprocess(self, nb: nbformat.NotebookNode, resources: dict) -> tuple[nbformat.NotebookNode, dict]:
        """Grade the notebook and write its test cells' outputs."""
        module = resources["nbgrader"]["notebook"]
        results = grade_lab_source(lab_source(nb), module, self.timeout, self.isolation)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                name = meta["grade_id"].removeprefix("test_")
                cell.outputs = grade_cell_outputs(module, name, meta["points"], results)
                cell.execution_count = None
        outputs = resources.setdefault("outputs", {})
        outputs[results_name(module)] = json.dumps(results, indent=1, ensure_ascii=False).encode("utf-8")
        return nb, resources


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


def autograded_problem(course: Path, student: str, module: str) -> str:
    """Why a student's lab was not graded in full ("" when it was graded), from its results file."""
    path = course / "autograded" / student / module / results_name(module)
    try:
        return lab_problem(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return "no results: nbgrader did not autograde it"


def autograde(course: Path = COURSE, timeout: float | None = None) -> list[str]:
    """`nbgrader autograde` every submitted lab; return each lab not graded in full (`<student>/<lab>: why`).

    A changed timeout rewrites the config first. A lab nbgrader cannot autograde, or whose code
    could not be graded (does not import, ends its process), is reported; the others are graded.
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
                failures.append(f"{student}/{module}: nbgrader failed: {log[-1] if log else 'no message'}")
            elif problem := autograded_problem(course, student, module):
                failures.append(f"{student}/{module}: {problem}")
    return failures


def gradebook_rows(course: Path = COURSE) -> list[dict[str, object]]:
    """One row per student: autograded total, its maximum, each lab's score, manual points, problems."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        labs = sorted(a.name for a in gradebook.assignments)
        for student in sorted(s.id for s in gradebook.students):
            row: dict[str, object] = {"student": student}
            total = maximum = manual = 0.0
            problems = []
            for lab in labs:
                assignment = gradebook.find_assignment(lab)
                maximum += assignment.max_code_score
                try:
                    submission = gradebook.find_submission(lab, student)
                except MissingEntry:
                    row[lab] = 0
                    problems.append(f"{lab}: not submitted")
                    continue
                row[lab] = _number(submission.code_score)
                total += submission.code_score
                manual += submission.written_score
                if problem := autograded_problem(course, student, lab):
                    problems.append(f"{lab}: {problem}")
            row.update(
                total=_number(total),
                max=_number(maximum),
                manual=_number(manual),
                problem="; ".join(problems),
            )
            rows.append(row)
    return rows


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 3)


def write_csv(rows: list[dict[str, object]], path: Path, labs: list[str]) -> None:
    """Rows as CSV with every field quoted as needed (csv module)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle,
            fieldnames=["student", "total", "max", *labs, "manual", "problem"],
            extrasaction="ignore",
            restval=0,
        )
        writer.writeheader()
        writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)


def main(argv: list[str] | None = None) -> int:
    """Build the course or autograde its submissions; exit 1 when a lab was not graded in full."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.tools.notebooks", description=__doc__.splitlines()[0]
    )
    parser.add_argument("command", choices=["build", "autograde"])
    parser.add_argument(
        "--course", type=Path, default=COURSE, help="course directory (default build/nbgrader)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="the grader's --timeout: its time limit of one call of the learner's code",
    )
    parser.add_argument(
        "--csv", type=Path, help="autograde: where to write the gradebook (default COURSE/grades.csv)"
    )
    args = parser.parse_args(argv)
    course = args.course.resolve()
    if args.command == "build":
        for module in build(course, args.timeout):
            print(f"released {course / 'release' / module / (module + '.ipynb')}")
        return 0
    failures = autograde(course, args.timeout)
    for failure in failures:
        print(f"not graded in full: {failure}", file=sys.stderr)
    csv_path = args.csv or course / "grades.csv"
    write_csv(gradebook_rows(course), csv_path, [LAB_MODULES[n] for n in available_labs()])
    print(f"wrote {csv_path}")
    if failures:
        print(f"{len(failures)} lab(s) not graded in full (see above)", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
