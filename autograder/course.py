"""Where a lab's files are, found by the one rule that names a lab.

A lab is named `lab<N>_<topic>`, e.g. `lab1_sft`, and is four files (CONTRIBUTING.md, "Adding a
lab"), all found by that name, so nothing else lists the labs:

- the reference, `solutions/lab1_sft.py` (the learner's stub is generated from it);
- the grader, the package `autograder/labs/lab1_sft/` (`autograder.labs` discovers it);
- the known mistakes, `autograder/labs/lab1_sft/catalogue.py`;
- the page, `docs/labs/lab1-sft.md` (the site's navigation, the labs index and the notebooks'
  reflection questions are read from it).

Every other `.py` file of `solutions/` is a provided helper (`labkit`, ...) that lab files may
import: it is copied beside them wherever they are graded.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
"""The course repository (or the folder a grader was copied into with its `solutions/`)."""
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
LAB_PAGES = ROOT / "docs" / "labs"
LAB_NAME = re.compile(r"lab(?P<number>[1-9][0-9]*)_[a-z][a-z0-9_]*")


def lab_number(name: str) -> int | None:
    """The number `N` of a lab named `labN_topic` (a module or a file name such as `lab1_sft.py`), else None."""
    match = LAB_NAME.fullmatch(name.removesuffix(".py"))
    return int(match["number"]) if match else None


def lab_files(folder: Path) -> list[Path]:
    """The lab files of `folder` (`lab1_sft.py`, ...), in lab order."""
    found = [path for path in folder.glob("*.py") if lab_number(path.name) is not None]
    return sorted(found, key=lambda path: (lab_number(path.name), path.name))


def helper_files(folder: Path) -> list[Path]:
    """The provided helpers of `folder`: every `.py` file that is not a lab file, by name."""
    return sorted(path for path in folder.glob("*.py") if lab_number(path.name) is None)


@functools.cache
def provided_helpers() -> tuple[str, ...]:
    """The module names of the provided helpers (from `solutions/`, or `exercises/` without it)."""
    folder = SOLUTIONS if SOLUTIONS.is_dir() else EXERCISES
    return tuple(path.stem for path in helper_files(folder))


def lab_page(module: str) -> Path:
    """The site's page of a lab: `docs/labs/lab1-sft.md` for `lab1_sft`."""
    return LAB_PAGES / f"{module.replace('_', '-')}.md"


def page_module(page: Path) -> str:
    """The lab module a page is about: `lab1_sft` for `docs/labs/lab1-sft.md`."""
    return page.stem.replace("-", "_")


def lab_pages() -> list[Path]:
    """The labs' pages (`docs/labs/lab1-sft.md`, ...), in lab order."""
    found = [page for page in LAB_PAGES.glob("*.md") if lab_number(page_module(page)) is not None]
    return sorted(found, key=lambda page: (lab_number(page_module(page)), page.name))
