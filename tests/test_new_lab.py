"""Adding a lab is four files (CONTRIBUTING.md, "Adding a lab"): proved on a throwaway lab.

In a temporary copy of the repository's tracked files, a tiny Lab 9 is added as the recipe says
(its solutions file with one function, its grader package with two declared properties, its
catalogue with two mistakes and two correct alternatives, its page) and nothing else is edited.
Then the grader grades it (the reference full marks, the stub 0, the catalogued mistake loses the
property's points with its hint), the variant tests grade its catalogue, the stub
generator writes its stub, the demo tests and the site test's lab-page checks run on it, and the
notebook build makes its notebook. The site itself is not built (a minute): the checks are those
of `tests/test_site.py` that read the page and what `docs/hooks.py` makes of it (navigation,
labs index, instructors' key), which the browser test then sees on the built site.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULE = "lab9_scale"

SOLUTION = '''"""Lab 9: Scaling, a throwaway lab that proves the four-file recipe.

The learner doubles an array. Every invalid input raises `ValueError` with a message that names
the offending argument.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import labkit


def double(x: ArrayLike) -> np.ndarray:
    """Twice the input.

    Args:
        x: A 1-D array of floats.

    Returns:
        `2 * x` as a float64 array.

    Raises:
        ValueError: If `x` is not 1-D. The message names the argument.

    Example:
        >>> double([1.0, 2.5]).tolist()
        [2.0, 5.0]
    """
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    return 2.0 * x
    ### END SOLUTION


DEMO_SHOWS = ("doubled",)
"""What the demo prints, checked by tests/test_demos.py."""


def main(argv: list[str] | None = None) -> None:
    """Print a small table of doubled numbers."""
    labkit.print_table(["x", "doubled"], [[x, y] for x, y in zip([1.0, 2.5], double([1.0, 2.5]))], [".1f", ".1f"])


if __name__ == "__main__":
    labkit.run_demo(main)
'''

GRADER = '''"""Graded properties of Lab 9 (`exercises/lab9_scale.py`)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder import strategies as gen
from autograder.engine import Invalid, Lab
from autograder.labs.lab9_scale import catalogue

LAB = Lab(9, "lab9_scale", "Scaling")
double = LAB.function("double")

double.matches_reference(
    "matches the reference on random arrays",
    2,
    st.tuples(gen.arrays(gen.shapes(min_dims=1, max_dims=1))),
    examples=[(np.array([1.0, -2.5]),)],
)
double.rejects([Invalid("x is 2-D", "x", (np.zeros((2, 2)),))])

__all__ = ["LAB", "catalogue", "double"]
'''

CATALOGUE = '''"""The known mistakes of Lab 9."""

from __future__ import annotations

import numpy as np

from autograder.catalogue import Catalogue

CATALOGUE = Catalogue("lab9_scale")


@CATALOGUE.mistake("double", "adds 2 instead of multiplying", hint="double means times 2, not plus 2")
def double_adds_two(x):
    return np.asarray(x, dtype=float) + 2.0


@CATALOGUE.mistake("double", "no check of the shape", hint="", keeps_validation=False)
def double_unchecked(x):
    return 2.0 * np.asarray(x, dtype=float)


@CATALOGUE.correct("double", "a sum")
def double_as_a_sum(x):
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError("x must be 1-D")
    return x + x


@CATALOGUE.correct("double", "loops")
def double_loops(x):
    if np.ndim(x) != 1:
        raise ValueError("x must be 1-D")
    return np.array([2.0 * float(v) for v in x])
'''

PAGE = """# Lab 9: Scaling

!!! abstract "Goal"

    Double an array, to prove that a lab is four files. Nothing else.

The demo prints:

```text
x   | doubled
----+--------
1.0 |     2.0
2.5 |     5.0
```

## Reflection

1. Why is doubling a linear map?

    ??? answer "Answer"

        Because \\(2(a + b) = 2a + 2b\\).

## Points

<!-- points: lab9_scale -->

## API

::: lab9_scale.double
"""

FILES = {
    f"solutions/{MODULE}.py": SOLUTION,
    f"autograder/labs/{MODULE}/__init__.py": GRADER,
    f"autograder/labs/{MODULE}/catalogue.py": CATALOGUE,
    "docs/labs/lab9-scale.md": PAGE,
}
"""The four files of the recipe, and nothing else."""


def run(repo: Path, *command: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a Python command in the copy, failing the test with its output when it fails."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, *command],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's tracked files (as they are now) with the four files of Lab 9."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout to list the tracked files")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    copy = tmp_path_factory.mktemp("course")
    for name in filter(None, listed.decode().split("\0")):
        source, target = ROOT / name, copy / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    for name, text in FILES.items():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_text(text, encoding="utf-8")
    run(copy, "-m", "autograder.tools.stubs", "--write")
    return copy


def test_the_stub_is_generated(repo: Path) -> None:
    stub = (repo / "exercises" / f"{MODULE}.py").read_text(encoding="utf-8")
    assert 'raise NotImplementedError("Lab 9: double")' in stub and "2.0 * x" not in stub


def test_the_grader_grades_it(repo: Path) -> None:
    listed = run(
        repo, "-c", "from autograder import catalog; print([(i.lab, i.name, i.points) for i in catalog()])"
    )
    assert "('lab9_scale', 'double', 3)" in listed.stdout
    run(repo, "-m", "autograder", "--lab", "9", "--submission", "solutions", "--json", "reference.json")
    reference = json.loads((repo / "reference.json").read_text(encoding="utf-8"))
    assert reference["score"] == reference["max_score"] == 3
    stub = subprocess.run(
        [sys.executable, "-m", "autograder", "--lab", "9", "--json", "stub.json"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert stub.returncode == 1 and json.loads((repo / "stub.json").read_text(encoding="utf-8"))["score"] == 0


def test_its_catalogued_mistake_loses_points_with_its_hint(repo: Path) -> None:
    folder = repo / "wrong"
    folder.mkdir()
    for helper in ("labkit.py",):
        shutil.copy(repo / "solutions" / helper, folder / helper)
    (folder / f"{MODULE}.py").write_text(
        "import numpy as np\n\n\ndef double(x):\n    return np.asarray(x, dtype=float) + 2.0\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "--lab", "9", "--submission", "wrong"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1 and "double means times 2, not plus 2" in result.stdout


def test_the_variant_tests_pick_up_its_catalogue(repo: Path) -> None:
    """Its mistakes lose points with their hints, every property is failed by one, and its
    correct alternatives keep full marks: `tests/test_variants.py` on Lab 9 alone."""
    result = run(repo, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_variants.py", "-k", MODULE)
    assert "9 passed" in result.stdout, result.stdout


def test_the_demo_and_site_tests_pick_it_up(repo: Path) -> None:
    result = run(
        repo,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_demos.py",
        "tests/test_site.py",
        "-k",
        f"{MODULE} and (demo or expected_output or navigation)",
    )
    assert "4 passed" in result.stdout, result.stdout


def test_the_notebook_build_picks_it_up(repo: Path) -> None:
    """What `notebooks.build` makes of each lab (its source notebook); nbgrader's own release step,
    the same for every lab and a minute long, is left to tests/test_notebooks.py."""
    code = (
        "import json; from autograder.labs import LAB_MODULES; from autograder.tools import notebooks as nb; "
        "module = LAB_MODULES[9]; source = (nb.SOLUTIONS / f'{module}.py').read_text(); "
        "notebook = nb.source_notebook(module, source, nb.lab_points()[module]); "
        "print(json.dumps([cell.source for cell in notebook.cells]))"
    )
    sources = json.loads(run(repo, "-c", code).stdout)
    assert any(source.endswith("check_examples(double)") for source in sources)
    assert any(source.startswith("def double(") for source in sources)
    assert "**Question 1.** Why is doubling a linear map?" in sources
