"""exercises/ is generated from solutions/: it must match what the generator writes."""

from __future__ import annotations

import ast

from autograder.labs import available_labs, load_lab
from autograder.tools.stubs import EXERCISES, expected_exercises


def test_exercises_match_the_generator():
    expected = expected_exercises()
    actual = {path.name: path.read_text() for path in EXERCISES.glob("*.py")}
    stale = sorted(name for name in expected.keys() | actual.keys() if expected.get(name) != actual.get(name))
    assert not stale, f"exercises/ is out of date for {stale}: run `nox -s stubs`"


def test_every_graded_function_is_a_stub_with_its_docstring():
    exercises = expected_exercises()
    for number in available_labs():
        lab = load_lab(number)
        source = exercises[f"{lab.module}.py"]
        functions = {node.name: node for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
        for graded in lab.functions:
            node = functions[graded.name]
            stub = f'raise NotImplementedError("Lab {number}: {graded.name}")'
            assert stub in ast.get_source_segment(source, node), graded.id
            assert ast.get_docstring(node), f"{graded.id} lost its docstring"
