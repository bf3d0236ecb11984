"""The learner's function is called once per input: no property calls it twice with the same
argument objects in one example (which would judge one call's warnings and another's value, and
count both against the time budget). Counted on the reference, every property of every lab.

Two calls on equal values made separately are allowed: a relation property may draw a shift of 0
or a factor of 1, and then calls `f(x)` and `f(x + 0)`."""

from __future__ import annotations

from collections import Counter

import pytest

from autograder.engine import Call, LearnerFunction, grade_function
from autograder.labs import LAB_MODULES, available_labs, load_lab
from autograder.sandbox import InProcessModule
from tests.variants import SOLUTIONS


def repeated_calls(number: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Per graded property, the calls made more than once within one example."""
    examples: list[tuple[str, list[Call]]] = []
    current = {"property": ""}
    forget = LearnerFunction.reset

    def reset_recording(self: LearnerFunction) -> None:
        examples.append((current["property"], list(self.calls)))  # the example that just ended
        forget(self)

    monkeypatch.setattr(LearnerFunction, "reset", reset_recording)
    lab = load_lab(number)
    module = InProcessModule.from_file(SOLUTIONS / f"{LAB_MODULES[number]}.py")
    for graded in lab.functions:
        for prop in graded.properties:
            current["property"] = f"{graded.name}: {prop.description}"
            one = type(graded)(lab, graded.name, [prop], graded.time_limit, graded.faster)
            result = grade_function(one, module)
            assert result.earned == result.points, f"the reference fails {current['property']}"
            examples.append((current["property"], []))  # closes the property's last example
    repeated: dict[str, list[str]] = {}
    for name, calls in examples:
        counts = Counter(same_objects(c) for c in calls)
        twice = [str(c) for c in calls if counts[same_objects(c)] > 1]
        if twice:
            repeated.setdefault(name, twice[:2])
    return repeated


def same_objects(call: Call) -> tuple[int, ...]:
    """A key equal for two calls exactly when they were passed the very same argument objects."""
    return (*map(id, call.args), *(id(v) for v in call.kwargs.values()), hash(tuple(call.kwargs)))


@pytest.mark.parametrize("number", available_labs(), ids=LAB_MODULES.get)
def test_no_property_calls_the_function_twice_on_the_same_input(number, monkeypatch):
    repeated = repeated_calls(number, monkeypatch)
    assert not repeated, "\n".join(f"{name}: {calls}" for name, calls in repeated.items())
