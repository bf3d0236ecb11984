"""Graded properties: how they are declared, and how they are run against a learner's module.

A lab's grader (`autograder/labs/labN_*/`) declares its functions and their properties. The
common shape, agreement with the reference, is a declaration; what is specific to a function (a
closed form, an invariance, an enumeration) is a plain function of `f`:

    LAB = Lab(1, "lab1_sft", "Supervised fine-tuning")
    log_softmax = LAB.function("log_softmax")

    log_softmax.matches_reference(
        "matches the reference on random logits", 2, st.tuples(gen.arrays(gen.shapes())), rtol=1e-9, atol=1e-12
    )

    @log_softmax.holds("exponentiates to rows that sum to 1", points=1)
    @given(logits=gen.arrays(gen.shapes()))
    def rows_sum_to_one(f, logits):
        checks.close(np.exp(f(logits)).sum(axis=-1), np.ones(logits.shape[:-1]))

    log_softmax.rejects([Invalid("axis is 3 for a 2-D array", "axis", (np.zeros((2, 2)),), {"axis": 3})])

`f` calls the learner's function wherever it runs (see `autograder.sandbox`) and records each
call, so that the report can print the smallest failing input as pasteable code.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis.errors import Flaky
from hypothesis.strategies import SearchStrategy

from autograder import checks
from autograder.catalogue import CATALOGUES, Mistake, Result, matching, run, same, structural
from autograder.checks import PropertyFailed
from autograder.formatting import call_literal, describe, short, with_article
from autograder.outcome import Outcome
from autograder.sandbox import WALL_FACTOR, Aborted, CallAborted, CallTimedOut, LabImportFailed, LearnerModule

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


FUNCTION_BUDGET = 15
"""A function's calls may take this many times its per-call limit in all (it bounds the run)."""
MAX_FEEDBACK = 6000
"""Characters kept of one property's feedback."""
DIAGNOSED_CALLS = 8
"""The last calls of a failing example whose values are matched against the known mistakes."""
HISTORY = 20
"""The first calls of each property kept to confirm a diagnosis: a mistake is named only if it
agrees with what the learner's function did on the calls of all its properties so far (an
example it passed rules out a mistake that would have failed it)."""
FunctionState = Literal["graded", "not implemented", "stopped"]
"""How a function's grading ended: every property ran, it is a stub, or an abort stopped it."""


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
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __str__(self) -> str:
        return call_literal(self.name, self.args, self.kwargs)


class LearnerFunction:
    """Calls one learner function through a `LearnerModule`, recording the calls of an example.

    `time_limit` is the function's own limit of one call (None: the module's), `faster` names a
    faster method for the time-out message, and `lab_functions` are the lab's other functions,
    whose use by this one the outcomes record (for the report's attribution).
    """

    def __init__(
        self,
        module: LearnerModule,
        name: str,
        parameters: list[str],
        time_limit: float | None = None,
        faster: str = "",
        lab_functions: tuple[str, ...] = (),
    ) -> None:
        self.module = module
        self.name = name
        self.parameters = parameters
        self.time_limit = time_limit
        self.faster = faster
        self.lab_functions = lab_functions
        self.reference: Callable[..., Any] | None = None
        """The reference function, to describe what was expected of an unusable value."""
        self.mistakes: list[Mistake] = []
        """The catalogue's known mistakes of this function, matched against a failing example."""
        self.calls: list[Call] = []
        self.outcomes: list[Outcome] = []
        self.history: list[tuple[Call, Outcome]] = []
        """The first `HISTORY` calls of each property so far, with their outcomes."""
        self.property_calls = 0
        """Calls made by the current property."""
        self.seconds = 0.0

    def reset(self) -> None:
        """Forget the calls of the last example."""
        self.calls.clear()
        self.outcomes.clear()

    def attempt(self, *args: Any, **kwargs: Any) -> Outcome:
        """Call the function and return its `Outcome`, whether it returned or raised."""
        self.calls.append(Call(self.name, args, kwargs))
        self.module.open()
        started = time.monotonic()
        try:
            outcome = self.module.call(self.name, args, kwargs, self.time_limit, self.lab_functions)
        except CallTimedOut as timeout:
            raise CallAborted(self._timeout_message(timeout.limit, timeout.blocked)) from None
        # CPU time, with waiting counted at 1/WALL_FACTOR: a function that sleeps is bounded too.
        self.seconds += max(outcome.seconds, (time.monotonic() - started) / WALL_FACTOR)
        self.outcomes.append(outcome)
        self.property_calls += 1
        if self.property_calls <= HISTORY:
            self.history.append((self.calls[-1], outcome))
        if outcome.kind == "missing":
            raise Aborted(f"there is no function `{self.name}` in your file: keep the name and signature")
        if outcome.raised("NotImplementedError"):
            stubs = [h.name for h in outcome.helpers if h.exception_type == "NotImplementedError"]
            own = outcome.message.endswith(f": {self.name}") or not outcome.message
            needs = (
                f" (it calls your {stubs[0]}, which is not implemented yet)"
                if stubs
                else ("" if own else f" (it raised NotImplementedError({outcome.message!r}))")
            )
            raise NotImplementedYet(f"not implemented yet{needs}")
        limit = self.time_limit or getattr(self.module, "time_limit", 0.0)
        if limit and self.seconds > FUNCTION_BUDGET * limit:
            raise CallAborted(
                f"stopped: its calls used {self.seconds:.0f} s of CPU time in all, more than "
                f"{FUNCTION_BUDGET} times the limit of one call ({limit:g} s)"
            )
        return outcome

    def _timeout_message(self, limit: float, blocked: float = 0.0) -> str:
        if blocked:
            return (
                f"stopped: it blocked or slept for {blocked:.0f} s of wall-clock time (a call may wait "
                f"{WALL_FACTOR:g} times its limit of {limit:g} s of CPU time), e.g. time.sleep, input() or a lock"
            )
        message = (
            f"timed out after {limit:g} s of CPU time (the limit of one call of {self.name}; "
            "`--timeout SECONDS` raises it)"
        )
        return message + (f"; a faster method: {self.faster}" if self.faster else "")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function and return its value; an exception or an in-place change fails."""
        return self.result(self.attempt(*args, **kwargs))

    def result(self, outcome: Outcome) -> Any:
        """The value of an outcome; an exception, an unreadable value or an in-place change fails."""
        if outcome.kind == "raised":
            raise PropertyFailed(
                f"raised {outcome.exception_type}: {outcome.message}",
                hint="this input is valid: the function should return a result",
                proven=True,
            )
        if outcome.kind == "unsendable":
            raise PropertyFailed(
                f"returned {outcome.message}, which the grader cannot read",
                hint="return numpy arrays, floats, tuples or dicts as the docstring says",
                proven=True,
            )
        if outcome.mutated:
            changed = ", ".join(self._parameter(m) for m in outcome.mutated)
            raise PropertyFailed(
                f"modified its input ({changed}) in place",
                hint="work on a copy (`x = np.array(x, dtype=float)`) or build new arrays",
                proven=True,
            )
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
    time_limit: float | None = None
    faster: str = ""

    @property
    def id(self) -> str:
        """`lab1_sft.log_softmax`."""
        return f"{self.lab.module}.{self.name}"

    @property
    def points(self) -> int:
        """The function's points: the sum over its properties."""
        return sum(p.points for p in self.properties)

    def holds(
        self, description: str, points: int, max_examples: int | None = None
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Register the decorated test (a Hypothesis test or a plain function of `f`) as a property.

        The test is named for what it checks (`def kl_is_nonnegative(f, pair)`), so that
        tracebacks, profiles and `pytest -k` say something.
        """

        def register(test: Callable[..., None]) -> Callable[..., None]:
            if hasattr(test, "hypothesis"):
                inner = test.hypothesis.inner_test

                def fresh_log(f: LearnerFunction, *args: Any, **kwargs: Any) -> None:
                    f.reset()
                    inner(f, *args, **kwargs)

                test.hypothesis.inner_test = fresh_log
                profile = settings(GRADING, max_examples=max_examples) if max_examples else GRADING
                test = profile(test)
            self.properties.append(Property(description, points, test))
            return test

        return register

    def matches_reference(
        self,
        description: str,
        points: int,
        cases: SearchStrategy[tuple[Any, ...]],
        *,
        examples: Sequence[tuple[Any, ...]] = (),
        rtol: float = 1e-7,
        atol: float = 1e-9,
        what: str = "the result",
        hint: str = "",
        max_examples: int | None = None,
    ) -> None:
        """Register the property that the function returns the reference's value (`checks.close`)
        on the argument tuples `examples` (first, in order), then on tuples drawn from `cases`.

        `hint` says what the value should be, shown when no catalogued mistake matches the
        learner's."""

        def matches_the_reference(f: LearnerFunction, case: tuple[Any, ...]) -> None:
            expected = getattr(reference(self.lab.module), self.name)(*case)
            checks.close(f(*case), expected, rtol=rtol, atol=atol, what=what, hint=hint)

        test = given(case=cases)(matches_the_reference)
        for case in reversed(examples):
            test = example(case=case)(test)
        self.holds(description, points, max_examples)(test)

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
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass
class Lab:
    """A lab's graded functions, in the order of the lab file."""

    number: int
    module: str
    title: str
    functions: list[GradedFunction] = field(default_factory=list)

    def function(self, name: str, time_limit: float | None = None, faster: str = "") -> GradedFunction:
        """Declare a graded function (its properties follow).

        `time_limit` is the limit of one call in seconds when the function's contract admits a
        correct method slower than the default limit (`--timeout` can only raise it); `faster`
        names the faster method for the time-out message.
        """
        graded = GradedFunction(self, name, time_limit=time_limit, faster=faster)
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
    hints: list[str] = field(default_factory=list)
    """The hints of the known mistakes the learner's value matched (empty: none matched)."""

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
    state: FunctionState = "graded"

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


def run_property(
    prop: Property, f: LearnerFunction, failing: frozenset[str] = frozenset()
) -> tuple[list[str], list[str]]:
    """Run one property; return the feedback lines of its failure (`[]` when it holds) and the
    hints of the known mistakes that the learner's values on the failing example match.

    Any exception the grader's own code raises while judging the learner's values (unpacking a
    `None`, arithmetic on a string, a float too large) is the property's failure, never a crash.
    `failing` are the lab's functions that already lost points, for the attribution.
    Raises `Aborted` when grading of the function must stop (timeout, crash, stub).
    """
    f.reset()
    f.property_calls = 0
    try:
        prop.test(f)
    except PropertyFailed as failure:
        return _report(failure, f, failing, prop.description)
    except Flaky:
        return ["Your function gave different results for the same input: make it deterministic."], []
    except Exception as error:  # the grader could not judge a value it did not make
        return _report(_unusable(error, f), f, failing, prop.description)
    return [], []


def _report(
    failure: PropertyFailed, f: LearnerFunction, failing: frozenset[str], description: str
) -> tuple[list[str], list[str]]:
    try:
        hints = list(dict.fromkeys(failure.matched)) or diagnose(f, failure.rtol, failure.atol)
    except Exception:  # a learner value the diagnosis cannot compare: no hint rather than a crash
        hints = []
    return _cut(_failure_report(failure, f, failing, hints, description)), hints


def diagnose(f: LearnerFunction, rtol: float, atol: float) -> list[str]:
    """The known mistakes that the learner's values on the last example match.

    For each of the example's last calls that did not do what the reference does, the
    catalogue's mistakes of the function are run on the same arguments (grader-side: the
    catalogue's code, never the learner's); a mistake is named when it does what the learner's
    call did (the same value within the property's tolerances, or the same exception) and also
    explains the property's earlier calls. When none is, the structural diagnoses the two values
    prove (sign, transpose, constant offset or factor) are tried, unless the function returned a
    right non-zero value earlier (no such slip spares one input).
    """
    if f.reference is None:
        return []
    past = [
        (call, _result(outcome), run(f.reference, call.args, call.kwargs))
        for call, outcome in f.history
        if _judged(outcome)
    ]
    hints: list[str] = []
    for call, outcome in list(zip(f.calls, f.outcomes, strict=False))[-DIAGNOSED_CALLS:]:
        if not _judged(outcome):
            continue
        got, expected = _result(outcome), run(f.reference, call.args, call.kwargs)
        if expected.raised or same(got, expected, rtol, atol):
            continue
        found = [
            m.hint
            for m in f.mistakes
            if m.hint in matching([m], call.args, call.kwargs, got, expected, rtol, atol)
            and _explains(m, past, rtol, atol)
        ]
        ever_right = any(not e.raised and same(g, e, rtol, atol) and _nonzero(e.value) for _, g, e in past)
        if not found and not got.raised and not ever_right:
            found = structural(got.value, expected.value, rtol, atol)
        hints += found
    return list(dict.fromkeys(hints))


def _judged(outcome: Outcome) -> bool:
    """Whether a call's outcome can be compared with the reference's (returned or raised)."""
    return outcome.kind in ("ok", "raised") and not outcome.mutated


def _result(outcome: Outcome) -> Result:
    return Result(outcome.value, outcome.exception_type, bool(outcome.warnings))


def _explains(mistake: Mistake, past: list[tuple[Call, Result, Result]], rtol: float, atol: float) -> bool:
    """Whether the mistake does what the learner's function did on every earlier call where the
    mistake and the reference differ."""
    for call, got, expected in past:
        if expected.raised:
            continue
        done = mistake.run(call.args, call.kwargs)
        if not same(done, expected, rtol, atol) and not same(got, done, rtol, atol):
            return False
    return True


def _nonzero(value: Any) -> bool:
    try:
        return bool(np.any(np.abs(np.asarray(value, dtype=np.float64)) > 0))
    except (TypeError, ValueError):
        return True


def _unusable(error: Exception, f: LearnerFunction) -> PropertyFailed:
    """The failure for a value the grader's checks could not use."""
    reason = f"{type(error).__name__}: {clip(str(error), 300)}"
    if not f.outcomes or f.outcomes[-1].kind != "ok":
        return PropertyFailed(f"the grader could not judge this property ({reason})")
    value = f.outcomes[-1].value
    expected = _expected_kind(f.reference, f.calls[-1]) if f.calls and f.reference else ""
    details = [f"Expected: {expected}"] if expected else []
    hint = (
        "check that every path of your function ends with `return`"
        if value is None
        else ("return the types, shapes and lengths the docstring states")
    )
    return PropertyFailed(
        f"returned {_kind(value)}, which the grader could not use ({reason})",
        [*details, f"Got:      {short(value, 300)}"],
        hint=hint,
        proven=True,
    )


def _kind(value: Any) -> str:
    """`None`, `a float`, `a tuple (float64 array of shape (3, 3), float)`."""
    if value is None:
        return "None"
    if isinstance(value, tuple) and 0 < len(value) <= 4:
        return f"a tuple ({', '.join(describe(v) for v in value)})"
    return with_article(describe(value))


def _expected_kind(reference_function: Callable[..., Any], call: Call) -> str:
    """What the reference returns for the same call, described like `_kind` (or "" if it raises)."""
    try:
        return _kind(reference_function(*call.args, **call.kwargs))
    except Exception:
        return ""


def clip(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a mark saying so."""
    return text if len(text) <= limit else text[:limit] + " ... (cut)"


def _cut(lines: list[str]) -> list[str]:
    """At most `MAX_FEEDBACK` characters of feedback, whatever the learner's messages hold."""
    out, size = [], 0
    for line in lines:
        line = clip(line, 1000)
        size += len(line) + 1
        if size > MAX_FEEDBACK:
            out.append("... (the rest of this report is cut)")
            break
        out.append(line)
    return out


def _failure_report(
    failure: PropertyFailed, f: LearnerFunction, failing: frozenset[str], hints: list[str], description: str
) -> list[str]:
    calls = f.calls
    lines = []
    shown = list(dict.fromkeys(str(call) for call in calls[-4:]))  # a repeated call is listed once
    if shown:
        lines.append(
            "Smallest failing input:" if len(shown) == 1 else "Smallest failing example, the calls made:"
        )
        lines += [f"    {clip(text, 1000)}" for text in shown]
    lines.append(f"Problem: {failure.summary}.")
    lines += failure.details
    lines += attribution(f, failing)
    return lines + explanation(failure, hints, description)


def explanation(failure: PropertyFailed, hints: list[str], description: str) -> list[str]:
    """The hint lines: the known mistakes the value matches, else a fact the grader checked,
    else what the property checks (never a guess at the mistake)."""
    if len(hints) == 1:
        return [f"Hint: {hints[0]}."]
    if hints:
        return ["Hint: your values match each of these known mistakes:", *(f"  - {h}" for h in hints)]
    if failure.proven and failure.hint:
        return [f"Hint: {failure.hint}."]
    lines = [f"No known mistake gives your values here. This property checks: {description}."]
    return lines + ([f"About it: {failure.hint}."] if failure.hint else [])


def attribution(f: LearnerFunction, failing: frozenset[str]) -> list[str]:
    """Which of the learner's own functions, called by this one, caused the failure (if any)."""
    if not f.outcomes:
        return []
    outcome = f.outcomes[-1]
    for helper in outcome.helpers:
        if outcome.kind == "raised" and helper.exception_type == outcome.exception_type:
            return [
                f"The {helper.exception_type} came from your {helper.name}, called by {f.name}: "
                f"{helper.exception_type}: {helper.message}",
                f"Fix {helper.name} first.",
            ]
    for helper in outcome.helpers:
        if helper.name in failing:
            return [f"{f.name} calls your {helper.name}, which fails its own properties: fix that first."]
    return []


def grade_function(
    graded: GradedFunction, module: LearnerModule, failing: frozenset[str] = frozenset()
) -> FunctionResult:
    """Grade every property of one function; stop at the first abort (stub, timeout, crash).

    `failing` are the lab's functions that already lost points (named when this one calls them).
    """
    ref = reference(graded.lab.module)
    parameters = list(inspect.signature(getattr(ref, graded.name)).parameters)
    others = tuple(g.name for g in graded.lab.functions if g.name != graded.name)
    f = LearnerFunction(module, graded.name, parameters, graded.time_limit, graded.faster, others)
    f.reference = getattr(ref, graded.name)
    catalogue = CATALOGUES.get(graded.lab.module)
    f.mistakes = catalogue.of(graded.name) if catalogue else []
    results: list[PropertyResult] = []
    problem = ""
    state: FunctionState = "graded"
    for prop in graded.properties:
        if problem:
            results.append(PropertyResult(graded.id, prop.description, prop.points, False, [problem]))
            continue
        try:
            feedback, hints = run_property(prop, f, failing)
        except Aborted as abort:
            problem = clip(str(abort), 2000)
            state = "not implemented" if isinstance(abort, NotImplementedYet) else "stopped"
            if f.calls and not isinstance(abort, NotImplementedYet):
                problem += f", on the call {clip(str(f.calls[-1]), 1000)}"
            results.append(PropertyResult(graded.id, prop.description, prop.points, False, [problem]))
            continue
        results.append(
            PropertyResult(graded.id, prop.description, prop.points, not feedback, feedback, hints)
        )
    return FunctionResult(graded.id, results, problem, state)


def grade_lab(lab: Lab, module: LearnerModule) -> LabResult:
    """Grade a lab: every function, each on its own; a module that does not import scores 0."""
    try:
        module.open()
    except LabImportFailed as failure:
        text = str(failure)
        return lab_not_graded(
            lab, f"your {lab.module}.py does not import:{chr(10) if chr(10) in text else ' '}{text}"
        )
    results: list[FunctionResult] = []
    for graded in lab.functions:
        failing = frozenset(r.function_id.split(".", 1)[1] for r in results if r.earned < r.points)
        results.append(grade_function(graded, module, failing))
    return LabResult(lab, results)


def lab_not_graded(lab: Lab, problem: str) -> LabResult:
    """A lab scored 0 because it could not be graded (missing file, import error)."""
    functions = [
        FunctionResult(
            g.id,
            [PropertyResult(g.id, p.description, p.points, False, []) for p in g.properties],
            problem,
            "stopped",
        )
        for g in lab.functions
    ]
    return LabResult(lab, functions, problem)
