"""Wrong variants (the labs' mistake catalogues) and correct alternatives of the lab functions.

The wrong variants are generated from `autograder/labs/<lab>/catalogue.py` (`from_catalogue`): each
mistake, written once there, is graded on its own and must be shown its own hint. Each
`tests/variants/labN_*.py` holds only correct alternatives, functions named like the lab functions
they replace:

    @correct("loops")
    def log_softmax(logits, axis=-1): ...

`submission()` writes a lab file that takes the reference (`from _reference_<lab> import *`) and
overrides just those functions, so a wrong variant can only cost points on its own function.
"""

from __future__ import annotations

import ast
import inspect
import shutil
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.catalogue import Mistake

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


@dataclass(frozen=True)
class Variant:
    """Replacement source for lab functions; `function` is the one a wrong variant breaks, `hint`
    the catalogue's hint for its mistake (the whole text the report must show)."""

    lab: str
    function: str
    description: str
    sources: tuple[str, ...]
    correct: bool
    hint: str | None = None

    @property
    def id(self) -> str:
        """A short test id."""
        return f"{self.function}: {self.description}"


REGISTRY: list[Variant] = []


def _source(function: Callable) -> str:
    """The function's source from its `def` line on (decorators, even on several lines, dropped)."""
    source = textwrap.dedent(inspect.getsource(function))
    (definition,) = ast.parse(source).body
    return "\n".join(source.splitlines()[definition.lineno - 1 :]) + "\n"


def correct(group: str) -> Callable[[Callable], Callable]:
    """Register the decorated function in a correct alternative implementation named `group`."""

    def register(function: Callable) -> Callable:
        lab = function.__module__.rsplit(".", 1)[-1]
        for i, variant in enumerate(REGISTRY):
            if variant.correct and variant.lab == lab and variant.description == group:
                REGISTRY[i] = Variant(lab, "*", group, (*variant.sources, _source(function)), True)
                return function
        REGISTRY.append(Variant(lab, "*", group, (_source(function),), True))
        return function

    return register


def submission(variant: Variant, folder: Path) -> Path:
    """Write (or add to) a submission folder: the reference with the variant's functions swapped in.

    The reference is copied as `_reference_<lab>.py` and imported as `_reference`, so a folder can
    hold a variant of each lab.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for helper in SOLUTIONS.glob("*.py"):
        if not (folder / helper.name).exists():
            shutil.copy(helper, folder / helper.name)
    shutil.copy(SOLUTIONS / f"{variant.lab}.py", folder / f"_reference_{variant.lab}.py")
    header = (
        f"import math\n\nimport _reference_{variant.lab} as _reference\nimport numpy as np\n"
        f"from _reference_{variant.lab} import *  # noqa: F403\n\n\n"
    )
    (folder / f"{variant.lab}.py").write_text(header + "\n\n".join(variant.sources))
    return folder


def from_catalogue(mistake: Mistake) -> Variant:
    """A catalogue mistake as a wrong variant: its body under the lab function's name, after the
    reference's own call (so that it keeps the contract's errors) unless `keeps_validation` is off.

    The catalogue's bodies use `np`, `math` and `ref`; the submission's header provides the first
    two, and `ref` is bound here to the reference module.
    """
    source = _source(mistake.implementation)
    signature = inspect.signature(mistake.implementation)
    call = ", ".join(
        f"*{name}" if p.kind is p.VAR_POSITIONAL else f"**{name}" if p.kind is p.VAR_KEYWORD else name
        for name, p in signature.parameters.items()
    )
    validation = f"    ref.{mistake.function}({call})\n" if mistake.keeps_validation else ""
    wrapper = (
        f"ref = _reference\n\n\n{source}\n\ndef {mistake.function}{signature}:\n"
        f"{validation}    return {mistake.name}({call})\n"
    )
    return Variant(
        mistake.lab, mistake.function, mistake.description, (wrapper,), False, mistake.hint or None
    )


def load_all() -> list[Variant]:
    """Import every variants module and every lab's catalogue; return the variants."""
    import importlib

    for path in sorted(Path(__file__).parent.glob("lab*.py")):
        importlib.import_module(f"tests.variants.{path.stem}")
    catalogued = []
    for path in sorted((SOLUTIONS.parent / "autograder" / "labs").glob("lab*/catalogue.py")):
        catalogue = importlib.import_module(f"autograder.labs.{path.parent.name}.catalogue").CATALOGUE
        catalogued += [from_catalogue(m) for m in catalogue.mistakes]
    return REGISTRY + catalogued
