"""A Griffe extension for the API sections: read a Google-style `Example:` like `Examples:`.

The lab docstrings follow Google style, where `Example:` (singular) is the usual heading of a
doctest. Griffe parses only `Examples:` as an examples section and renders `Example:` as a plain
admonition, where each `>>>` would become a nested Markdown quote. Renaming the heading before
the docstring is parsed gives the singular form the same code rendering.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

SINGULAR = re.compile(r"^(\s*)Example:(\s*)$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename `Example:` section headings to `Examples:` in every function's docstring."""

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        if func.docstring is not None:
            func.docstring.value = SINGULAR.sub(r"\1Examples:\2", func.docstring.value)
