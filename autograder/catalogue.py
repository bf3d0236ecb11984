"""A lab's mistake catalogue: the known wrong implementations of its functions, declared once.

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

Rules for an entry's body, so that it runs both in the grader and as a submission in the jail:
it may use only `np` (numpy), `math` and `ref` (the lab's reference solution module, e.g.
`ref.log_softmax`), all three imported at the top of the catalogue module under exactly those
names, and no other global. It validates nothing: unless `keeps_validation=False`, the variant
tests run the reference first on the same arguments (so a mistake costs only the points of its
own values, not the contract's errors). An entry with `keeps_validation=False` *is* a missing
validation; its `hint` may be empty, since the `rejects` property already names the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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


@dataclass
class Catalogue:
    """The mistakes of one lab, in declaration order."""

    lab: str
    mistakes: list[Mistake] = field(default_factory=list)

    def mistake(
        self, function: str, description: str, *, hint: str, keeps_validation: bool = True
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare the decorated function as a mistake in the lab function `function`."""

        def register(implementation: Callable[..., Any]) -> Callable[..., Any]:
            name = implementation.__name__
            if name == function or any(m.name == name for m in self.mistakes):
                raise ValueError(
                    f"{self.lab}: name the mistake {name} apart from its function and the others"
                )
            self.mistakes.append(
                Mistake(self.lab, function, description, hint, implementation, keeps_validation)
            )
            return implementation

        return register

    def of(self, function: str) -> list[Mistake]:
        """The mistakes declared for the lab function `function`."""
        return [m for m in self.mistakes if m.function == function]

    def values(self, function: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """`{hint: value}` of every mistake of `function` that returns on these arguments.

        Grader-side: it runs the catalogue's own code, never the learner's. A mistake that raises
        on these arguments (or has no hint) is left out: it cannot be what the learner returned.
        """
        produced = {}
        for mistake in self.of(function):
            if not mistake.hint:
                continue
            try:
                produced[mistake.hint] = mistake.implementation(*args, **kwargs)
            except Exception:  # a mistake that fails on these arguments matches nothing
                continue
        return produced
