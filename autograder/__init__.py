"""The post-training labs' autograder.

Command line: `python -m autograder --help` (see `autograder.cli`). From Python:

- `catalog()` lists every graded function with its points and properties (the docs and the
  notebook track use it).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FunctionInfo", "catalog"]


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
