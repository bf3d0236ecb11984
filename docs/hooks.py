"""MkDocs hooks of the course site (registered under `hooks:` in mkdocs.yml).

- KaTeX, installed from the npm registry by `npm ci` (see `docs/build_site.py`), is served from
  the site itself under `assets/katex/`: nothing is loaded from a CDN.
- A marker `<!-- points: lab1_sft -->` in a page becomes the table of that lab's graded
  functions and their points, read from `autograder.catalog()` (the grader is the single source
  of the points, so the docs cannot drift from what is graded). `<!-- points: summary -->`
  becomes one row a lab.
"""

from __future__ import annotations

import html
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
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
MARKER = re.compile(r"<!--\s*points:\s*([\w-]+)\s*-->")
LAB_TITLES = {
    "lab1_sft": "Lab 1",
    "lab2_reward": "Lab 2",
    "lab3_rlhf": "Lab 3",
    "lab4_dpo": "Lab 4",
    "lab5_grpo": "Lab 5",
}


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
    if version != katex_version():
        raise PluginError(f"node_modules holds KaTeX {version}, package-lock.json pins {katex_version()}")
    for pattern in KATEX_FILES:
        for path in sorted(KATEX_DIST.glob(pattern)):
            uri = "assets/katex/" + path.relative_to(KATEX_DIST).as_posix()
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files


def load_catalog() -> list[Any]:
    """Return `autograder.catalog()`, importing the grader from the repo root."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from autograder import catalog
    except ImportError as error:
        raise PluginError(f"the points tables need `autograder.catalog()`: {error}") from error
    return list(catalog())


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
        f"| **{LAB_TITLES.get(lab, lab)} total** | **{total}** | |",
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
        lines.append(f"| {LAB_TITLES.get(lab, lab)} | `{lab}.py` | {len(entries)} | {points} |")
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
