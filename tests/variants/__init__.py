"""Wrong variants and correct alternatives of the lab functions, from the labs' catalogues.

Both are declared in `autograder/labs/<lab>/catalogue.py`. Each mistake (`from_catalogue`), written
once there, is graded on its own and must be shown its own hint; the correct alternatives of one
approach (`from_alternatives`, e.g. every `"loops"` entry of a lab) are graded together and must
keep full marks.

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

from autograder.catalogue import Alternative, Mistake

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


def _source(function: Callable) -> str:
    """The function's source from its `def` line on (decorators, even on several lines, dropped)."""
    source = textwrap.dedent(inspect.getsource(function))
    (definition,) = ast.parse(source).body
    return "\n".join(source.splitlines()[definition.lineno - 1 :]) + "\n"


def _in_place_of(entry: Mistake | Alternative, validation: bool) -> str:
    """The entry's source, then the lab function that returns what the entry returns (after the
    reference's own call when `validation`, so that it keeps the contract's errors).

    The catalogue's bodies use `np`, `math` and `ref`; the submission's header provides the first
    two, and `ref` is bound here to the reference module.
    """
    signature = inspect.signature(entry.implementation)
    call = ", ".join(
        f"*{name}" if p.kind is p.VAR_POSITIONAL else f"**{name}" if p.kind is p.VAR_KEYWORD else name
        for name, p in signature.parameters.items()
    )
    check = f"    ref.{entry.function}({call})\n" if validation else ""
    return (
        f"ref = _reference\n\n\n{_source(entry.implementation)}\n\ndef {entry.function}{signature}:\n"
        f"{check}    return {entry.name}({call})\n"
    )


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
    """A catalogue mistake as a wrong variant, in place of the reference's function (after the
    reference's own call unless the mistake is a missing validation: `keeps_validation` off)."""
    return Variant(
        mistake.lab,
        mistake.function,
        mistake.description,
        (_in_place_of(mistake, mistake.keeps_validation),),
        False,
        mistake.hint or None,
    )


def from_alternatives(alternatives: list[Alternative]) -> list[Variant]:
    """The catalogue's correct alternatives as one variant per approach, each replacing every
    function written in that approach."""
    approaches = dict.fromkeys(a.approach for a in alternatives)
    return [
        Variant(
            alternatives[0].lab,
            "*",
            approach,
            tuple(_in_place_of(a, False) for a in alternatives if a.approach == approach),
            True,
        )
        for approach in approaches
    ]


def load_all() -> list[Variant]:
    """Every lab's catalogue as variants: its correct alternatives, then its mistakes."""
    import importlib

    variants = []
    for path in sorted((SOLUTIONS.parent / "autograder" / "labs").glob("lab*/catalogue.py")):
        catalogue = importlib.import_module(f"autograder.labs.{path.parent.name}.catalogue").CATALOGUE
        if catalogue.alternatives:
            variants += from_alternatives(catalogue.alternatives)
        variants += [from_catalogue(m) for m in catalogue.mistakes]
    return variants
