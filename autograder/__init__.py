"""The post-training labs' autograder.

Command line: `python -m autograder --help` (see `autograder.cli`). From Python:

- `catalog()` lists every graded function with its points and properties (the docs use it);
- `check("lab2_reward.fit_reward_model", namespace)` grades one function found in a namespace
  (a notebook's `globals()`), prints the feedback and returns the points earned (the notebook
  track's test cells end with it: nbgrader takes the number as the cell's partial credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["FunctionInfo", "catalog", "check"]


@dataclass(frozen=True)
class FunctionInfo:
    """A graded function: its lab module, name, points and `(description, points)` properties."""

    lab: str
    name: str
    points: int
    properties: tuple[tuple[str, int], ...]


def catalog() -> list[FunctionInfo]:
    """Every graded function of every lab, in lab order."""
    from autograder.labs import available_labs, load_lab

    return [
        FunctionInfo(lab.module, g.name, g.points, tuple((p.description, p.points) for p in g.properties))
        for lab in map(load_lab, available_labs())
        for g in lab.functions
    ]


def check(function_id: str, namespace: dict[str, Any]) -> int:
    """Grade one function defined in `namespace`, in this process; print the feedback, return the points.

    The notebook track's test cells end with this call, so the points are the cell's result:
    nbgrader reads a number shown by a test cell as its partial credit. Anything written to
    stderr while grading goes to stdout instead (nbgrader gives 0 to a cell that writes to stderr).

    Args:
        function_id: `"<lab module>.<function>"`, e.g. `"lab1_sft.log_softmax"`.
        namespace: Where the learner's functions live, e.g. a notebook's `globals()`.

    Returns:
        The points earned, from 0 to the function's points in `catalog()`.
    """
    import contextlib
    import sys

    from autograder.engine import grade_function
    from autograder.labs import lab_named
    from autograder.report import function_feedback
    from autograder.sandbox import InProcessModule

    module_name, name = function_id.split(".", 1)
    graded = next(g for g in lab_named(module_name).functions if g.name == name)
    with contextlib.redirect_stderr(sys.stdout):
        result = grade_function(graded, InProcessModule(namespace))
    print(f"{function_id}: {result.earned}/{result.points}")
    if result.earned < result.points:
        print("\n".join(function_feedback(result)))
    return result.earned
