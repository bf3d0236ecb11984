"""Graded properties: how they are declared, and how they are run against a learner's module.

A lab's grader (`autograder/labs/labN_*.py`) declares its functions and their properties:

    LAB = Lab(1, "lab1_sft", "Supervised fine-tuning")
    log_softmax = LAB.function("log_softmax")

    @log_softmax.holds("matches the reference on random logits", points=2)
    @given(logits=float_arrays())
    def matches_reference(f, logits):
        checks.close(f(logits), ref.log_softmax(logits))

    log_softmax.rejects([Invalid("axis is 3 for a 2-D array", "axis", (np.zeros((2, 2)),), {"axis": 3})])

`f` calls the learner's function wherever it runs (see `autograder.sandbox`) and records each
call, so that the report can print the smallest failing input as pasteable code.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky

from autograder import checks
from autograder.checks import PropertyFailed
from autograder.formatting import call_literal
from autograder.sandbox import Aborted, LabImportFailed, LearnerModule, Outcome

REPO_ROOT = Path(__file__).resolve().parent.parent

GRADING = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=15,
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
    print_blob=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
)
"""The grading profile: same inputs on every machine, no example database, no deadline."""


class NotImplementedYet(Aborted):
    """The learner's function (or one it calls) still raises `NotImplementedError`."""


def reference(module_name: str) -> ModuleType:
    """Import the reference solution `solutions/<module_name>.py` under a private name."""
    private = f"_reference_{module_name}"
    if private not in sys.modules:
        folder = REPO_ROOT / "solutions"
        spec = importlib.util.spec_from_file_location(private, folder / f"{module_name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(folder))  # for the provided helpers the lab file imports
        try:
            spec.loader.exec_module(module)
        finally:
            sys.path.remove(str(folder))
        sys.modules[private] = module
    return sys.modules[private]


@dataclass(frozen=True)
class Call:
    """One call made to the learner's function during an example."""

    name: str
    args: tuple
    kwargs: dict

    def __str__(self) -> str:
        return call_literal(self.name, self.args, self.kwargs)


class LearnerFunction:
    """Calls one learner function through a `LearnerModule`, recording the calls of an example."""

    def __init__(self, module: LearnerModule, name: str, parameters: list[str]) -> None:
        self.module = module
        self.name = name
        self.parameters = parameters
        self.calls: list[Call] = []

    def attempt(self, *args: Any, **kwargs: Any) -> Outcome:
        """Call the function and return its `Outcome`, whether it returned or raised."""
        self.calls.append(Call(self.name, args, kwargs))
        outcome = self.module.call(self.name, args, kwargs)
        if outcome.kind == "missing":
            raise Aborted(f"there is no function `{self.name}` in your file: keep the name and signature")
        if outcome.raised("NotImplementedError"):
            own = outcome.message.endswith(f": {self.name}") or not outcome.message
            needs = "" if own else f" (it raised NotImplementedError({outcome.message!r}))"
            raise NotImplementedYet(f"not implemented yet{needs}")
        return outcome

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function and return its value; an exception or an in-place change fails."""
        return self.result(self.attempt(*args, **kwargs))

    def result(self, outcome: Outcome) -> Any:
        """The value of an outcome; an exception, an unreadable value or an in-place change fails."""
        if outcome.kind == "raised":
            raise PropertyFailed(f"raised {outcome.exception_type}: {outcome.message}",
                                 hint="this input is valid: the function should return a result")  # fmt: skip
        if outcome.kind == "unsendable":
            raise PropertyFailed(f"returned {outcome.message}, which the grader cannot read",
                                 hint="return numpy arrays, floats, tuples or dicts as the docstring says")  # fmt: skip
        if outcome.mutated:
            changed = ", ".join(self._parameter(m) for m in outcome.mutated)
            raise PropertyFailed(f"modified its input ({changed}) in place",
                                 hint="work on a copy (`x = np.array(x, dtype=float)`) or build new arrays")  # fmt: skip
        return outcome.value

    def _parameter(self, label: str) -> str:
        if label.startswith("argument "):
            index = int(label.split()[1]) - 1
            return self.parameters[index] if index < len(self.parameters) else label
        return label


@dataclass
class Property:
    """One graded property of a function, worth `points`."""

    description: str
    points: int
    test: Callable[..., None]


@dataclass
class GradedFunction:
    """A learner function and its graded properties."""

    lab: Lab
    name: str
    properties: list[Property] = field(default_factory=list)

    @property
    def id(self) -> str:
        """`lab1_sft.log_softmax`."""
        return f"{self.lab.module}.{self.name}"

    @property
    def points(self) -> int:
        """The function's points: the sum over its properties."""
        return sum(p.points for p in self.properties)

    def holds(self, description: str, points: int, max_examples: int | None = None) -> Callable:
        """Register the decorated test (a Hypothesis test or a plain function of `f`) as a property.

        The test is named for what it checks (`def kl_is_nonnegative(f, pair)`), so that
        tracebacks, profiles and `pytest -k` say something.
        """

        def register(test: Callable[..., None]) -> Callable[..., None]:
            if hasattr(test, "hypothesis"):
                inner = test.hypothesis.inner_test

                def fresh_log(f: LearnerFunction, *args: Any, **kwargs: Any) -> None:
                    f.calls.clear()
                    inner(f, *args, **kwargs)

                test.hypothesis.inner_test = fresh_log
                profile = settings(GRADING, max_examples=max_examples) if max_examples else GRADING
                test = profile(test)
            self.properties.append(Property(description, points, test))
            return test

        return register

    def rejects(
        self,
        cases: Sequence[Invalid],
        points: int = 1,
        description: str = "raises ValueError for each invalid input listed in the docstring",
    ) -> None:
        """Register the property that every call in `cases` raises a `ValueError` naming its argument."""

        def raises_value_errors(f: LearnerFunction) -> None:
            for case in cases:
                checks.value_error(f.attempt(*case.args, **case.kwargs), case.arguments, why=case.why)

        self.properties.append(Property(description, points, raises_value_errors))


@dataclass(frozen=True)
class Invalid:
    """An invalid call of a learner function, for `GradedFunction.rejects`.

    `why` says what is wrong in the learner's words ("beta = 0"); `arguments` is the argument
    name (or names, any of which will do) that the `ValueError`'s message should contain.
    """

    why: str
    arguments: str | tuple[str, ...]
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Lab:
    """A lab's graded functions, in the order of the lab file."""

    number: int
    module: str
    title: str
    functions: list[GradedFunction] = field(default_factory=list)

    def function(self, name: str) -> GradedFunction:
        """Declare a graded function (its properties follow)."""
        graded = GradedFunction(self, name)
        self.functions.append(graded)
        return graded

    @property
    def points(self) -> int:
        """The lab's points."""
        return sum(f.points for f in self.functions)


@dataclass
class PropertyResult:
    """The verdict on one property."""

    function_id: str
    description: str
    points: int
    passed: bool
    feedback: list[str] = field(default_factory=list)

    @property
    def earned(self) -> int:
        """Points earned."""
        return self.points if self.passed else 0


@dataclass
class FunctionResult:
    """The verdicts on one function's properties; `problem` says why grading stopped early."""

    function_id: str
    properties: list[PropertyResult]
    problem: str = ""

    @property
    def points(self) -> int:
        """Points possible."""
        return sum(p.points for p in self.properties)

    @property
    def earned(self) -> int:
        """Points earned."""
        return sum(p.earned for p in self.properties)


@dataclass
class LabResult:
    """The verdicts on one lab; `problem` is set when the lab could not be graded at all."""

    lab: Lab
    functions: list[FunctionResult]
    problem: str = ""

    @property
    def points(self) -> int:
        """Points possible."""
        return sum(f.points for f in self.functions)

    @property
    def earned(self) -> int:
        """Points earned."""
        return sum(f.earned for f in self.functions)


def run_property(prop: Property, f: LearnerFunction) -> list[str]:
    """Run one property; return the feedback lines of its failure, or `[]` when it holds.

    Raises `Aborted` when grading of the function must stop (timeout, crash, stub).
    """
    f.calls.clear()
    try:
        prop.test(f)
    except PropertyFailed as failure:
        return _failure_report(failure, f.calls)
    except Flaky:
        return ["Your function gave different results for the same input: make it deterministic."]
    return []


def _failure_report(failure: PropertyFailed, calls: list[Call]) -> list[str]:
    lines = []
    shown = list(dict.fromkeys(str(call) for call in calls[-4:]))  # a repeated call is listed once
    if shown:
        lines.append(
            "Smallest failing input:" if len(shown) == 1 else "Smallest failing example, the calls made:"
        )
        lines += [f"    {text}" for text in shown]
    lines.append(f"Problem: {failure.summary}.")
    lines += failure.details
    if failure.hint:
        lines.append(f"Hint: {failure.hint}.")
    return lines


def grade_function(graded: GradedFunction, module: LearnerModule) -> FunctionResult:
    """Grade every property of one function; stop at the first abort (stub, timeout, crash)."""
    ref = reference(graded.lab.module)
    parameters = list(inspect.signature(getattr(ref, graded.name)).parameters)
    f = LearnerFunction(module, graded.name, parameters)
    results: list[PropertyResult] = []
    problem = ""
    for prop in graded.properties:
        if problem:
            results.append(PropertyResult(graded.id, prop.description, prop.points, False, [problem]))
            continue
        try:
            feedback = run_property(prop, f)
        except Aborted as abort:
            problem = str(abort)
            if f.calls and not isinstance(abort, NotImplementedYet):
                problem += f", on the call {f.calls[-1]}"
            results.append(PropertyResult(graded.id, prop.description, prop.points, False, [problem]))
            continue
        results.append(PropertyResult(graded.id, prop.description, prop.points, not feedback, feedback))
    return FunctionResult(graded.id, results, problem)


def grade_lab(lab: Lab, module: LearnerModule) -> LabResult:
    """Grade a lab: every function, each on its own; a module that does not import scores 0."""
    try:
        module.open()
    except LabImportFailed as failure:
        return lab_not_graded(lab, f"your {lab.module}.py does not import:\n{failure}")
    return LabResult(lab, [grade_function(graded, module) for graded in lab.functions])


def lab_not_graded(lab: Lab, problem: str) -> LabResult:
    """A lab scored 0 because it could not be graded (missing file, import error)."""
    functions = [
        FunctionResult(
            g.id, [PropertyResult(g.id, p.description, p.points, False, []) for p in g.properties], problem
        )
        for g in lab.functions
    ]
    return LabResult(lab, functions, problem)
