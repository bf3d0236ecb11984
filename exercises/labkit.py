"""Provided helpers for the lab demos: tables, plots and a friendly stub report.

Nothing here is graded and nothing here is a lab exercise. The demos of several labs share
this module so that no lab file has to import another lab.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def run_demo(main: Callable[[list[str] | None], None], argv: list[str] | None = None) -> None:
    """Run a lab demo, reporting unimplemented functions by name instead of a traceback.

    Args:
        main: The demo's entry point.
        argv: Command-line arguments (default: `sys.argv[1:]`).
    """
    try:
        main(argv)
    except NotImplementedError as error:
        name = str(error) or "a function"
        print(f"\n{name} is not implemented yet: implement it to see the rest of this demo.")
        sys.exit(1)


def demo_arguments(description: str, argv: list[str] | None) -> argparse.Namespace:
    """Parse the options every demo accepts (`--plots DIR`).

    Args:
        description: One line shown by `--help`.
        argv: Command-line arguments, or `None` for `sys.argv[1:]`.

    Returns:
        The parsed arguments; `plots` is a `Path`, or `None` when no figures are to be drawn
        (not asked for, or asked for without matplotlib: then a line says so).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--plots", type=Path, default=None, help="write PNG figures to this folder (needs matplotlib)"
    )
    args = parser.parse_args(argv)
    if args.plots is not None and plotting() is None:
        print(
            f"--plots {args.plots}: matplotlib is not installed, so no figure is written "
            "(`python -m nox -s lab -- N --plots DIR` installs it).",
            file=sys.stderr,
        )
        args.plots = None
    return args


def plotting() -> Any | None:
    """Return `matplotlib.pyplot` with a file-only backend, or `None` without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, folder: Path, name: str) -> Path:
    """Save a matplotlib figure as `folder/name.png` and close it.

    Args:
        fig: The figure.
        folder: Where to write (created when missing).
        name: File name without extension.

    Returns:
        The path written.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=120, bbox_inches="tight")
    fig.clf()
    return path


def heading(title: str) -> None:
    """Print a section title between two rules."""
    print("\n" + "=" * 78)
    print(title)
    print("=" * 78)


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[str] | None = None
) -> None:
    """Print a plain-text table with right-aligned numeric columns.

    Args:
        headers: Column titles.
        rows: One sequence of cells per row.
        formats: One format spec per column (e.g. `".1f"`, `"+.0f"`, `""` for `str`).
    """
    formats = formats or [""] * len(headers)
    cells = [[format(cell, spec) for cell, spec in zip(row, formats, strict=True)] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        )

    print(line(headers))
    print("-+-".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
