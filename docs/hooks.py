"""MkDocs hooks of the course site (registered under `hooks:` in mkdocs.yml).

- KaTeX, installed from the npm registry by `npm ci` (see `docs/build_site.py`), is served from
  the site itself under `assets/katex/`: nothing is loaded from a CDN.
- A marker `<!-- points: lab1_sft -->` in a page becomes the table of that lab's graded
  functions and their points, read from `autograder.catalog()` (the grader is the single source
  of the points, so the docs cannot drift from what is graded). `<!-- points: summary -->`
  becomes one row a lab.
- The labs are the pages `docs/labs/labN-topic.md` (`autograder.course`): the navigation lists
  them under "Labs" in lab order, titled by their first heading, and the markers
  `<!-- labs: index -->` and `<!-- labs: key -->` become the table of labs of the labs index and
  of the instructors' key. So a new lab's page is on the site with no other edit.
"""

from __future__ import annotations

import html
import importlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
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
LABS_MARKER = re.compile(r"<!--\s*labs:\s*(index|key)\s*-->")
LABS_SECTION = "Labs"
"""The navigation section that lists the lab pages (after what mkdocs.yml puts there, the index)."""


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


def course() -> ModuleType:
    """`autograder.course`, which finds the labs' files, imported from the repo root."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("autograder.course")


def lab_pages() -> list[Path]:
    """The labs' pages, `docs/labs/labN-topic.md`, in lab order."""
    pages: list[Path] = course().lab_pages()
    return pages


def page_module(page: Path) -> str:
    """`lab1_sft` for `docs/labs/lab1-sft.md`."""
    module: str = course().page_module(page)
    return module


def load_catalog() -> list[Any]:
    """Return `autograder.catalog()`, importing the grader from the repo root.

    A student repository (`nox -s release`) has no graders: there the catalog was written to
    `docs/points.json` when the repository was built.
    """
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    try:
        from autograder import FunctionInfo, catalog
    except ImportError as error:
        raise PluginError(f"the points tables need `autograder.catalog()`: {error}") from error
    if POINTS.exists() and not (ROOT / "autograder" / "labs").is_dir():
        return [
            FunctionInfo(**{**item, "properties": tuple(map(tuple, item["properties"]))})
            for item in json.loads(POINTS.read_text(encoding="utf-8"))["functions"]
        ]
    return list(catalog())


def lab_title(module: str) -> str:
    """`Lab 2` for `lab2_reward`: the number in the lab's name (`autograder.course`)."""
    number = course().lab_number(module)
    return module if number is None else f"Lab {number}"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """List every lab's page in the navigation's "Labs" section, in lab order."""
    config.nav = with_lab_pages(config.nav or [])
    return config


def with_lab_pages(nav: list[Any]) -> list[Any]:
    """The navigation with the lab pages appended to its "Labs" section (and any listed by hand dropped)."""
    pages = [f"labs/{page.name}" for page in lab_pages()]
    sections = [item for item in nav if isinstance(item, dict) and LABS_SECTION in item]
    if len(sections) != 1:
        raise PluginError(f'mkdocs.yml: the navigation needs one "{LABS_SECTION}" section for the lab pages')
    entries = sections[0][LABS_SECTION]
    kept = [e for e in entries if not (e in pages or (isinstance(e, dict) and set(e.values()) <= set(pages)))]
    sections[0][LABS_SECTION] = kept + pages
    return nav


def page_title(page: Path) -> str:
    """The first heading of a page (`Lab 1: Supervised fine-tuning`)."""
    text = page.read_text(encoding="utf-8")
    heading = re.search(r"^# (.+)$", text, re.MULTILINE)
    if not heading:
        raise PluginError(f"{page} has no first heading")
    return heading[1].strip()


def page_goal(page: Path) -> str:
    """The first sentence of a lab page's `!!! abstract "Goal"` box."""
    box = re.search(
        r'^!!! abstract "Goal"\n\n((?:    .*\n?)+)', page.read_text(encoding="utf-8"), re.MULTILINE
    )
    if not box:
        raise PluginError(f'{page} has no `!!! abstract "Goal"` box')
    prose = " ".join(box[1].split())
    return re.split(r"(?<=[.!?])\s", prose, maxsplit=1)[0]


def labs_table(kind: str, catalog: Sequence[Any]) -> str:
    """The table of labs: their goals (`index`, on the labs index) or their files (`key`, the instructors').

    Both are read from the lab pages and the catalog, so a new lab is in them with no edit.
    """
    functions: dict[str, list[Any]] = {}
    for entry in catalog:
        functions.setdefault(entry.lab, []).append(entry)
    if kind == "index":
        lines = ["| Lab | Goal | You implement |", "| :-- | :-- | :-- |"]
        for page in lab_pages():
            names = ", ".join(f"`{e.name}`" for e in functions.get(page_module(page), []))
            goal = page_goal(page).replace("|", "\\|")  # Markdown, as the page writes it
            lines.append(f"| [{cell(page_title(page))}]({page.name}) | {goal} | {names} |")
    else:
        lines = ["| Lab | File | Functions | Points |", "| :-- | :-- | --: | --: |"]
        for page in lab_pages():
            module, entries = page_module(page), functions.get(page_module(page), [])
            title = f"[{cell(page_title(page))}](../labs/{page.name})"
            lines.append(
                f"| {title} | `{module}.py` | {len(entries)} | {sum(int(e.points) for e in entries)} |"
            )
    return "\n".join(lines) + "\n"


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
    """Replace every points and labs marker of the page with its table."""
    if not (MARKER.search(markdown) or LABS_MARKER.search(markdown)):
        return markdown
    catalog = load_catalog()
    markdown = LABS_MARKER.sub(lambda match: labs_table(match.group(1), catalog), markdown)
    return MARKER.sub(lambda match: points_markdown(match.group(1), catalog), markdown)
