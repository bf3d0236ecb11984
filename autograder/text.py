"""Learner text made safe for a results file: cut to a size, only characters the format holds,
Markdown that renders as plain text. Standard library only: the pull-request workflow's report
job (`.github/scripts/report_grade.py`) uses it without installing the grader's packages."""

from __future__ import annotations

import re

_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#!|~])")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cap(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note saying how many were cut."""
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit} more characters cut)"


def printable(text: str) -> str:
    """`text` with only characters XML 1.0 and UTF-8 can hold (a lone surrogate becomes U+FFFD)."""
    return _NOT_XML.sub("\ufffd", text)


def escape_markdown(text: str) -> str:
    """`text` on one line, as Markdown that renders as that text: no emphasis, link, image,
    mention or HTML."""
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text)).replace("\r", " ").replace("\n", " ")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;")


def fenced(text: str) -> str:
    """`text` safe inside a ``` code block, where nothing is rendered: no line can close the fence."""
    return printable(text).replace("```", "'''")


def csv_cell(value: object) -> object:
    """`value` as a CSV cell that no spreadsheet reads as a formula: a text starting with `=`,
    `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (numbers are left as they are)."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value
