"""The code's architecture rules: `autograder/` imports go from higher layers to lower ones only
(CONTRIBUTING.md, "Architecture"), and the formatter is never switched off."""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORMATTER_OFF = ("# fmt: " + "skip", "# fmt: " + "off")


# The layers of `autograder/`, lowest first (CONTRIBUTING.md, "Architecture"): a module imports only
# from its own package or from lower layers, so the learner's runtime never needs the tools.
LAYERS = [
    {
        "formatting",
        "numerics",
        "strategies",
        "codec",
        "jail",
        "text",
        "public",
        "catalogue",
        "course",
        "results",
        "confine",
    },
    {"outcome"},
    {"_worker"},
    {"sandbox"},
    {"checks"},
    {"engine"},
    {"labs"},
    {"report", "supervisor"},
    {"watch"},
    {"cli"},
    {"__init__", "__main__"},
    {"tools"},
]
PACKAGE = Path(__file__).resolve().parent.parent / "autograder"


def layer(part: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if part in names)


def imported_parts(tree: ast.AST) -> set[str]:
    """The top-level parts of `autograder` that a module imports (`checks` for `autograder.checks`)."""
    parts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = (
                [node.module] if node.module != "autograder" else [f"autograder.{a.name}" for a in node.names]
            )
        else:
            continue
        parts |= {name.split(".")[1] for name in names if name.startswith("autograder.")}
    return {
        part if (PACKAGE / part).is_dir() or (PACKAGE / f"{part}.py").exists() else "__init__"
        for part in parts
    }


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.relative_to(PACKAGE).as_posix()
)
def test_imports_go_from_higher_layers_to_lower_ones(path):
    part = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    upward = [
        imported
        for imported in imported_parts(ast.parse(path.read_text(encoding="utf-8")))
        if imported != part and layer(imported) >= layer(part)
    ]
    assert not upward, f"autograder/{path.relative_to(PACKAGE)} imports from its own layer or above: {upward}"


def test_the_formatter_is_never_switched_off():
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("needs a git checkout to list the tracked files")
    offending = [
        f"{name}:{number}"
        for name in tracked.stdout.split()
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1)
        if line.rstrip().endswith(FORMATTER_OFF)
    ]
    assert not offending, f"the formatter is switched off at {offending}"
