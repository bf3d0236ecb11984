"""A lab's catalogue: the known wrong implementations of its functions, and other right ones.

Each lab grader package has a `catalogue.py` that declares its mistakes:

    from autograder.catalogue import Catalogue

    CATALOGUE = Catalogue("lab5_grpo")


    @CATALOGUE.mistake(
        "pass_at_k",
        "samples with replacement: 1 - (1 - c / n)**k",
        hint="1 - (1 - c / n)**k draws with replacement and is biased: use 1 - C(n - c, k) / C(n, k)",
    )
    def pass_at_k_with_replacement(n, c, k):
        return 1.0 - (1.0 - c / n) ** k

An entry is a small function with the signature of the lab function it breaks, computing what
that mistake returns. The same entry serves three uses:

- the grader's diagnosis: on a failing example it evaluates the entries of the failing function
  on the inputs the learner's function was called with (grader-side, never the learner's code)
  and shows an entry's hint only when the learner's value matches the entry's value;
- the repo's variant tests: each entry, put in place of the reference on its own, must lose
  points on its function and be shown its own hint, and no other entry's;
- the instructors' list of common mistakes.

The catalogue also declares correct alternatives: other right ways to write a function (loops
instead of vectorised code, a softplus form, gradient descent instead of Newton), which the
variant tests grade and which must keep full marks:

    @CATALOGUE.correct("pass_at_k", "loops")
    def pass_at_k_loops(n, c, k):
        ...

The alternatives of one approach (`"loops"`) are graded together, each in place of the reference.

Rules for an entry's body, so that it runs both in the grader and as a submission in the jail:
it may use only `np` (numpy), `math` and `ref` (the lab's reference solution module, e.g.
`ref.log_softmax`), all three imported at the top of the catalogue module under exactly those
names, and no other global; it calls the lab's other functions through `ref`. A mistake validates nothing: unless `keeps_validation=False`, the variant
tests run the reference first on the same arguments (so a mistake costs only the points of its
own values, not the contract's errors). An entry with `keeps_validation=False` *is* a missing
validation; its `hint` may be empty, since the `rejects` property already names the case. A
correct alternative validates its arguments itself, as the contract says.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CATALOGUES: dict[str, Catalogue] = {}
"""Every lab's catalogue by lab module, filled as the catalogues are declared (a lab grader's
package imports its `catalogue`), so that the engine finds them without importing the labs."""


@dataclass(frozen=True)
class Mistake:
    """One known wrong implementation of a lab function.

    Attributes:
        lab: The lab module, e.g. `"lab5_grpo"`.
        function: The lab function it breaks, e.g. `"pass_at_k"`.
        description: What the mistake is, in a few words (variant test ids, the instructors' list).
        hint: What the learner is told when their value matches this mistake's value.
        implementation: The wrong function, with the lab function's signature.
        keeps_validation: False when the mistake is a missing `ValueError` (the variant tests
            then do not run the reference's validation first).
    """

    lab: str
    function: str
    description: str
    hint: str
    implementation: Callable[..., Any]
    keeps_validation: bool = True

    @property
    def name(self) -> str:
        """The implementation's name, unique within its catalogue."""
        return self.implementation.__name__

    def run(self, args: Sequence[Any], kwargs: dict[str, Any]) -> Result:
        """What this mistake does on a copy of these arguments (grader-side)."""
        return run(self.implementation, args, kwargs)


@dataclass(frozen=True)
class Alternative:
    """One correct way to write a lab function other than the reference's.

    Attributes:
        lab: The lab module, e.g. `"lab5_grpo"`.
        function: The lab function it implements, e.g. `"pass_at_k"`.
        approach: The approach it belongs to, e.g. `"loops"` (graded together with its kind).
        implementation: The function, with the lab function's signature.
    """

    lab: str
    function: str
    approach: str
    implementation: Callable[..., Any]

    @property
    def name(self) -> str:
        """The implementation's name, unique within its catalogue."""
        return self.implementation.__name__


@dataclass
class Catalogue:
    """The mistakes and correct alternatives of one lab, in declaration order."""

    lab: str
    mistakes: list[Mistake] = field(default_factory=list)
    alternatives: list[Alternative] = field(default_factory=list)

    def __post_init__(self) -> None:
        CATALOGUES[self.lab] = self

    def mistake(
        self, function: str, description: str, *, hint: str, keeps_validation: bool = True
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare the decorated function as a mistake in the lab function `function`."""

        def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
            self._check_name(implementation, function)
            self.mistakes.append(
                Mistake(self.lab, function, description, hint, implementation, keeps_validation)
            )
            return implementation

        return register

    def correct(self, function: str, approach: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare the decorated function as a correct alternative of the lab function `function`,
        one of the functions written in `approach`."""

        def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
            self._check_name(implementation, function)
            self.alternatives.append(Alternative(self.lab, function, approach, implementation))
            return implementation

        return register

    def _check_name(self, implementation: Callable[..., Any], function: str) -> None:
        name = implementation.__name__
        taken = {m.name for m in self.mistakes} | {a.name for a in self.alternatives}
        if name == function or name in taken:
            raise ValueError(f"{self.lab}: name the entry {name} apart from its function and the others")

    def of(self, function: str) -> list[Mistake]:
        """The mistakes declared for the lab function `function`."""
        return [m for m in self.mistakes if m.function == function]

    def values(self, function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """`{hint: value}` of every mistake of `function` that returns on these arguments.

        Grader-side: it runs the catalogue's own code, never the learner's. A mistake that raises
        on these arguments (or has no hint) is left out: it cannot be what the learner returned.
        The engine matches every failing example against the catalogue by itself (`matching`),
        so a property needs this only to name a mistake from two of the learner's values at once
        (Lab 4's `hint_of_pair`, on a failure only).
        """
        produced = {}
        for mistake in self.of(function):
            if not mistake.hint:
                continue
            try:
                with warnings.catch_warnings():  # a mistake's overflow is not the grader's to print
                    warnings.simplefilter("ignore")
                    produced[mistake.hint] = mistake.implementation(*args, **kwargs)
            except Exception:  # a mistake that fails on these arguments matches nothing
                continue
        return produced


@dataclass(frozen=True)
class Result:
    """What a call did: its value, or the name of the exception it raised; and whether it warned."""

    value: Any = None
    raised: str = ""
    warned: bool = False


def run(function: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> Result:
    """Call `function` on a copy of the arguments, recording its warnings instead of showing them."""
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn"),
    ):
        warnings.simplefilter("always")
        try:
            value = function(*copy.deepcopy(tuple(args)), **copy.deepcopy(kwargs))
        except Exception as error:  # a mistake may raise where the reference does not
            return Result(raised=type(error).__name__, warned=bool(caught))
    return Result(value, warned=bool(caught))


def agrees(got: Any, value: Any, rtol: float, atol: float) -> bool:
    """True when `got` and `value` have the same structure (tuples, lists and dicts of the same
    length and keys) and every number agrees within the tolerances, nan matching nan."""
    if isinstance(value, dict):
        return (
            isinstance(got, dict)
            and list(got) == list(value)
            and all(agrees(got[k], value[k], rtol, atol) for k in value)
        )
    if isinstance(value, tuple | list):
        return (
            isinstance(got, tuple | list)
            and len(got) == len(value)
            and all(agrees(g, v, rtol, atol) for g, v in zip(got, value, strict=True))
        )
    try:
        g = np.asarray(got, dtype=np.float64)
        v = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    if g.shape != v.shape:
        return False
    return bool(np.allclose(g, v, rtol=rtol, atol=atol, equal_nan=True))


def same(a: Result, b: Result, rtol: float, atol: float) -> bool:
    """Whether two calls did the same: raised the same exception, or returned values that agree
    and warned alike."""
    if a.raised or b.raised:
        return a.raised == b.raised
    return a.warned == b.warned and agrees(a.value, b.value, rtol, atol)


def matching(
    mistakes: Sequence[Mistake],
    args: Sequence[Any],
    kwargs: dict[str, Any],
    got: Result,
    expected: Result,
    rtol: float,
    atol: float,
) -> list[str]:
    """The hints of the mistakes that do on these arguments what the learner's call did (`got`)
    and not what the reference did (`expected`: a mistake that is right here proves nothing)."""
    hints = []
    for mistake in mistakes:
        if mistake.hint:
            done = mistake.run(args, kwargs)
            if same(got, done, rtol, atol) and not same(done, expected, rtol, atol):
                hints.append(mistake.hint)
    return hints


FLOAT32 = (
    "your values agree with the expected ones to about 6 significant digits, not to the 12 of "
    "float64: compute in float64 (`np.asarray(x, dtype=np.float64)`), float32 keeps about 7"
)


def structural(got: Any, expected: Any, rtol: float, atol: float) -> list[str]:
    """What the grader can prove from the two values alone: the sign flipped, the matrix
    transposed, float32's rounding, every entry off by one constant, or every entry scaled by one
    factor."""
    try:
        g = np.asarray(got, dtype=np.float64)
        e = np.asarray(expected, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return []
    if not (np.all(np.isfinite(g)) and np.all(np.isfinite(e))) or not np.any(np.abs(e) > atol):
        return []
    if g.shape == e.shape and agrees(g, -e, rtol, atol):
        return ["your value is exactly minus the expected one: check the sign"]
    if g.ndim == 2 and g.shape == e.T.shape and not agrees(e, e.T, rtol, atol) and agrees(g, e.T, rtol, atol):
        return ["your array is the expected one transposed: check which axis is which"]
    if g.shape == e.shape and agrees(g, e, 1e-5, 1e-5) and not agrees(g, e, 1e-12, 1e-12):
        return [FLOAT32]
    if g.shape != e.shape or e.size < 2:
        return []
    offset = g.flat[0] - e.flat[0]
    if abs(offset) > atol + rtol * abs(e.flat[0]) and agrees(g, e + offset, rtol, atol):
        return [f"every entry is off by the same constant ({offset:.6g}): a term added or left out"]
    big = int(np.argmax(np.abs(e)))
    scale = g.flat[big] / e.flat[big]
    if scale != 0 and abs(scale - 1) > rtol and agrees(g, scale * e, rtol, atol):
        return [f"every entry is scaled by the same factor ({scale:.6g}): check the normaliser or a factor"]
    return []
