"""The site's hooks take the labs' names and points from the grader, so the docs cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from autograder import catalog
from autograder.labs import LAB_MODULES

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("site_hooks", ROOT / "docs" / "hooks.py")
assert spec is not None and spec.loader is not None
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)


def test_lab_titles_follow_the_graders_numbering():
    assert [hooks.lab_title(module) for module in LAB_MODULES.values()] == [f"Lab {n}" for n in LAB_MODULES]


def test_summary_table_has_one_row_a_lab_and_the_total():
    entries = catalog()
    table = hooks.summary_table(entries)
    assert all(f"| Lab {n} | `{module}.py` |" in table for n, module in LAB_MODULES.items())
    assert f"**{sum(e.points for e in entries)}**" in table.splitlines()[-1]
