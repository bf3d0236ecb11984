"""Shared fixtures: grading a submission folder with the real, isolated grader."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import settings

# The repo's own property tests run the same examples on every run and machine, like grading:
# a failure on CI is then a failure here too.
settings.register_profile("repo", derandomize=True, database=None, deadline=None)
settings.load_profile("repo")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
