"""Generate `exercises/` from `solutions/` with nbgrader's own `ClearSolutions` preprocessor.

Each top-level function of a lab file becomes one notebook cell; `ClearSolutions` replaces its
solution region with `raise NotImplementedError("Lab N: <name>")` (a stub per function, so every
function is graded on its own). Everything outside the regions (signatures, docstrings, the
demo) is copied unchanged, and files without regions (provided helpers) are copied as they are.

    python -m autograder.tools.stubs --write   # regenerate exercises/
    python -m autograder.tools.stubs --check   # exit 1 when exercises/ is out of date
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS, EXERCISES = ROOT / "solutions", ROOT / "exercises"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
MARKER_WORDS = ("BEGIN SOLUTION", "END SOLUTION")


def _stub_function(source: str, lab: int, name: str) -> str:
    """Clear the solution region of one function's source with ClearSolutions."""
    import nbformat  # nbgrader's packages only where stubs are made (`nox -s stubs`)
    from nbgrader.preprocessors import ClearSolutions

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    clear = ClearSolutions(
        code_stub={"python": f'raise NotImplementedError("Lab {lab}: {name}")'}, enforce_metadata=False
    )
    cleared, _ = clear.preprocess(notebook, {})
    return cleared.cells[0].source


def _last_line(node: ast.FunctionDef, lines: list[str]) -> int:
    """The function's last line, counting an end marker that follows its last statement."""
    last = node.end_lineno or node.lineno
    for number in range(last + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() == END:
            return number
        if text.strip() and not (text[0].isspace() and text.strip().startswith("#")):
            break
    return last


def _functions_with_regions(source: str, path: Path) -> list[tuple[ast.FunctionDef, int]]:
    """Top-level functions with a solution region, with their last lines; stray markers fail."""
    lines = source.splitlines()
    marker_lines = [i for i, line in enumerate(lines, 1) if any(w in line for w in MARKER_WORDS)]
    found = []
    for node in (n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)):
        last = _last_line(node, lines)
        inside = [i for i in marker_lines if node.lineno <= i <= last]
        if inside:
            if [lines[i - 1].strip() for i in inside] != [BEGIN, END]:
                raise ValueError(
                    f"{path}:{inside[0]}: {node.name} needs exactly one '{BEGIN}' ... '{END}' pair"
                )
            found.append((node, last))
    covered = {i for node, last in found for i in range(node.lineno, last + 1)}
    stray = set(marker_lines) - covered
    if stray:
        raise ValueError(f"{path}:{min(stray)}: marker text outside a function's solution region")
    return found


def stub_source(source: str, path: Path) -> str:
    """The exercise version of a solution file."""
    functions = _functions_with_regions(source, path)
    if not functions:
        return source
    match = re.match(r"lab(\d+)_", path.name)
    if match is None:
        raise ValueError(f"{path}: solution regions are only for lab files named labN_*.py")
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    position = 0
    for node, last in functions:
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        out += lines[position:start]
        function_source = "".join(lines[start:last])
        cleared = _stub_function(function_source.rstrip("\n"), int(match.group(1)), node.name)
        out.append(cleared + "\n")
        position = last
    out += lines[position:]
    return "".join(out)


def expected_exercises() -> dict[str, str]:
    """File name -> the content `exercises/` should have."""
    return {path.name: stub_source(path.read_text(), path) for path in sorted(SOLUTIONS.glob("*.py"))}


def main(argv: list[str] | None = None) -> int:
    """Write or check `exercises/`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="regenerate exercises/")
    group.add_argument("--check", action="store_true", help="exit 1 when exercises/ is out of date")
    args = parser.parse_args(argv)
    expected = expected_exercises()
    present = {path.name for path in EXERCISES.glob("*.py")}
    stale = sorted(
        name
        for name, text in expected.items()
        if not (EXERCISES / name).is_file() or (EXERCISES / name).read_text() != text
    )
    extra = sorted(present - set(expected))
    if args.check:
        for name in stale + extra:
            print(f"exercises/{name} is out of date: run `nox -s stubs`")
        return 1 if stale or extra else 0
    EXERCISES.mkdir(exist_ok=True)
    for name in stale:
        (EXERCISES / name).write_text(expected[name])
        print(f"wrote exercises/{name}")
    for name in extra:
        (EXERCISES / name).unlink()
        print(f"removed exercises/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
