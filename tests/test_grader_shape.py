"""Every lab grader has the one shape: properties are functions named for what they check, and no
grader writes again a helper that `autograder/` already has."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path
from types import ModuleType

import pytest

from autograder import checks, formatting, numerics, strategies
from autograder.labs import LAB_MODULES, available_labs, load_lab

SHARED_MODULES = (checks, formatting, numerics, strategies)
SHARED = {
    name
    for module in SHARED_MODULES
    for name, value in vars(module).items()
    if callable(value)
    and not inspect.isclass(value)
    and getattr(value, "__module__", None) == module.__name__
    if not name.startswith("_")
}
RETIRED = {"float_array", "real", "_as_vector", "_central_differences"}  # older names of shared helpers
FORBIDDEN = SHARED | {f"_{name}" for name in SHARED} | RETIRED


def grader_files(number: int) -> list[Path]:
    """The source files of a lab's grader: one module, or every module of its package."""
    module: ModuleType = importlib.import_module(f"autograder.labs.{LAB_MODULES[number]}")
    path = Path(inspect.getfile(module))
    return sorted(path.parent.glob("*.py")) if path.name == "__init__.py" else [path]


@pytest.mark.parametrize("number", available_labs())
def test_every_property_is_a_function_named_for_what_it_checks(number):
    lab = load_lab(number)
    written = [
        p.test for g in lab.functions for p in g.properties if p.test.__module__ != "autograder.engine"
    ]
    names = [test.__name__ for test in written]
    assert names, f"lab {number} declares no property of its own"
    unnamed = [name for name in names if name.startswith("_")]
    assert not unnamed, f"lab {number}: {len(unnamed)} properties are named {sorted(set(unnamed))}"
    repeated = sorted({name for name in names if names.count(name) > 1})
    assert not repeated, f"lab {number}: property names used twice: {repeated}"


@pytest.mark.parametrize("number", available_labs())
def test_every_function_has_at_most_one_value_error_property(number):
    for graded in load_lab(number).functions:
        from_engine = [p for p in graded.properties if p.test.__name__ == "raises_value_errors"]
        assert len(from_engine) <= 1, f"{graded.id} calls rejects() more than once"


@pytest.mark.parametrize("number", available_labs())
def test_no_grader_rewrites_a_shared_helper(number):
    """The catalogue is left out: its entries are written as a learner writes the lab's functions,
    helpers (`log_softmax`, `sigmoid`) included."""
    defined = {
        (path.name, node.name)
        for path in grader_files(number)
        if path.name != "catalogue.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in FORBIDDEN
    }
    assert not defined, f"lab {number} defines helpers that autograder/ already has: {sorted(defined)}"


def test_the_shared_helpers_are_found():
    assert {"as_float", "as_array", "close", "log_softmax", "numerical_gradient", "arrays"} <= SHARED
