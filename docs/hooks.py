"""MkDocs hooks of the course site (registered under `hooks:` in mkdocs.yml).

- KaTeX, installed from the npm registry by `npm ci` (see `docs/build_site.py`), is served from
  the site itself under `assets/katex/`: nothing is loaded from a CDN.
- A marker `<!-- points: lab1_sft -->` in a page becomes the table of that lab's graded
  functions and their points, read from `autograder.catalog()` (the grader is the single source
  of the points, so the docs cannot drift from what is graded). `<!-- points: summary -->`
  becomes one row a lab. A student repository (`nox -s release`) has no graders: there the
  points and the labs' numbers are read from `docs/points.json`, written when it was built.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parents[1]
KATEX_DIST = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = (
    "katex.min.js",
    "contrib/auto-render.min.js",
    "katex.min.css",
    "fonts/*.woff2",
    "fonts/*.woff",
    "fonts/*.ttf",
)
POINTS = ROOT / "docs" / "points.json"
"""A student repository's `{"labs": {module: number}, "functions": [catalog entries]}`: it has no graders."""
MARKER = re.compile(r"<!--\s*points:\s*([\w-]+)\s*-->")


def katex_version() -> str:
    """The KaTeX version that `package-lock.json` pins."""
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/katex"]["version"]


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add KaTeX's script, stylesheet and fonts to the site under `assets/katex/`."""
    installed = KATEX_DIST.parent / "package.json"
    if not installed.exists():
        raise PluginError(
            "KaTeX is not installed: run `npm ci` in the repo root (`nox -s docs` does it for you)."
        )
    version = json.loads(installed.read_text(encoding="utf-8"))["version"]
    pinned = katex_version()
    if version != pinned:
        raise PluginError(f"node_modules holds KaTeX {version}, package-lock.json pins {pinned}")
    for pattern in KATEX_FILES:
        for path in sorted(KATEX_DIST.glob(pattern)):
            uri = "assets/katex/" + path.relative_to(KATEX_DIST).as_posix()
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def released_points() -> dict[str, Any] | None:
    """`docs/points.json` in a student repository, None in the course repository (it has the graders)."""
    if (ROOT / "autograder" / "labs").is_dir():
        return None
    if not POINTS.exists():
        raise PluginError(
            "no graders and no docs/points.json: build the student repository with `nox -s release`"
        )
    points: dict[str, Any] = json.loads(POINTS.read_text(encoding="utf-8"))
    return points


def _grader() -> None:
    """Make the course repository's grader importable (the hooks run from the repo root)."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def load_catalog() -> list[Any]:
    """Every graded function with its lab, points and properties: `autograder.catalog()`."""
    released = released_points()
    if released is not None:
        return [SimpleNamespace(**item) for item in released["functions"]]
    _grader()
    try:
        from autograder import catalog
    except ImportError as error:
        raise PluginError(f"the points tables need `autograder.catalog()`: {error}") from error
    return list(catalog())


def lab_numbers() -> dict[str, int]:
    """Each lab module's number, as the grader numbers its labs (`autograder.labs.LAB_MODULES`)."""
    released = released_points()
    if released is not None:
        return dict(released["labs"])
    _grader()
    from autograder.labs import LAB_MODULES

    return {module: number for number, module in LAB_MODULES.items()}


def lab_title(module: str) -> str:
    """`Lab 2` for `lab2_reward`."""
    number = lab_numbers().get(module)
    return module if number is None else f"Lab {number}"


def plural(points: int) -> str:
    """`1 point`, `3 points`."""
    return f"{points} point" if points == 1 else f"{points} points"


def cell(text: str) -> str:
    """Show text literally inside a Markdown table cell (`pi* ∝ pi_ref * exp(r)` has no emphasis)."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def lab_table(lab: str, entries: Sequence[Any]) -> str:
    """The points of one lab: a summary table, then each function's properties in a foldout."""
    if not entries:
        raise PluginError(f"autograder.catalog() lists no function of {lab}")
    total = sum(int(e.points) for e in entries)
    lines = [
        "| Function | Points | Graded properties |",
        "| :-- | --: | --: |",
        *(f"| [`{e.name}`][{lab}.{e.name}] | {e.points} | {len(e.properties)} |" for e in entries),
        f"| **{lab_title(lab)} total** | **{total}** | |",
        "",
    ]
    for entry in entries:
        lines += [f'??? abstract "`{entry.name}`: {plural(int(entry.points))}"', ""]
        lines += ["    | Property | Points |", "    | :-- | --: |"]
        lines += [f"    | {cell(text)} | {points} |" for text, points in entry.properties]
        lines.append("")
    return "\n".join(lines)


def summary_table(catalog: Sequence[Any]) -> str:
    """One row a lab: how many functions and how many points."""
    labs: dict[str, list[Any]] = {}
    for entry in catalog:
        labs.setdefault(entry.lab, []).append(entry)
    lines = ["| Lab | Module | Functions | Points |", "| :-- | :-- | --: | --: |"]
    for lab, entries in labs.items():
        points = sum(int(e.points) for e in entries)
        lines.append(f"| {lab_title(lab)} | `{lab}.py` | {len(entries)} | {points} |")
    total = sum(int(e.points) for e in catalog)
    lines.append(f"| **All labs** | | **{len(catalog)}** | **{total}** |")
    return "\n".join(lines) + "\n"


def points_markdown(key: str, catalog: Sequence[Any]) -> str:
    """The Markdown that replaces the marker `<!-- points: key -->`."""
    if key == "summary":
        return summary_table(catalog)
    return lab_table(key, [e for e in catalog if e.lab == key])


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace every points marker of the page with its table."""
    if not MARKER.search(markdown):
        return markdown
    catalog = load_catalog()
    return MARKER.sub(lambda match: points_markdown(match.group(1), catalog), markdown)
