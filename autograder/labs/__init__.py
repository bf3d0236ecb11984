"""The graded properties of each lab, one package per lab file (`labs/lab1_sft/` grades
`exercises/lab1_sft.py`).

The labs are discovered, not listed: every package here named like a lab (`labN_topic`, see
`autograder.course`) is lab N's grader, and its `LAB` declares the lab. (A single module
`labN_topic.py` counts too.)
"""

from __future__ import annotations

import importlib
from pathlib import Path

from autograder.course import lab_number
from autograder.engine import Lab


def _graders(folder: Path) -> dict[int, str]:
    """Lab number -> grader module name, for every package (or module) of `folder` named like a lab."""
    found: dict[int, str] = {}
    for entry in folder.iterdir():
        name = entry.stem if entry.suffix == ".py" else entry.name
        number = lab_number(name)
        if number is None or not (entry.suffix == ".py" or (entry / "__init__.py").is_file()):
            continue
        if number in found:
            raise RuntimeError(f"two graders of lab {number} in {folder}: {found[number]} and {name}")
        found[number] = name
    return dict(sorted(found.items()))


LAB_MODULES = _graders(Path(__file__).resolve().parent)
"""Lab number -> its module name (`1: "lab1_sft"`), in lab order: the one list of the labs."""


def load_lab(number: int) -> Lab:
    """The graded properties of lab `number`.

    Raises:
        ValueError: When the grader's `LAB` is declared with another number or module name
            than the grader's own name gives.
    """
    module = LAB_MODULES[number]
    lab: Lab = importlib.import_module(f"autograder.labs.{module}").LAB
    if (lab.number, lab.module) != (number, module):
        declared, named = f"Lab({lab.number}, {lab.module!r})", f"Lab({number}, {module!r})"
        raise ValueError(f"autograder/labs/{module} declares {declared}, but its name says {named}")
    return lab


def lab_named(module: str) -> Lab:
    """The graded properties of the lab whose module is `module` (`"lab1_sft"`)."""
    number = lab_number(module)
    if number is None or LAB_MODULES.get(number) != module:
        raise ValueError(f"no lab is named {module!r}: the labs are {', '.join(LAB_MODULES.values())}")
    return load_lab(number)


def available_labs() -> list[int]:
    """The numbers of the labs, in order (every lab has a grader: that is how it is found)."""
    return list(LAB_MODULES)
