"""The bench's report: its targets read the figures they name (the measuring itself is `nox -s bench`)."""

from __future__ import annotations

from typing import Any

from autograder.tools.bench import bytecode_words, markdown, summary, targets


def figures(floor: list[float], warm: list[float], cached: dict[str, bool]) -> dict[str, Any]:
    """A results dict shaped like `measure`'s, with the given floor and warm grades."""
    grader = {
        "grading": summary([3.0]),
        "startup": summary([0.4]),
        "labs": {"3": summary([2.0])},
        "jobs": 2,
        "score": "205/205",
    }
    return {
        "machine": {
            "nproc": 2,
            "cpu": "test",
            "python": "3.11",
            "platform": "Linux",
            "load_average": None,
            "package_cache": "warm",
        },
        "runs": len(floor),
        "cold_runs": 1,
        "floor_command": "python -c 'import numpy, hypothesis, pytest'",
        "grader": {"isolated": grader, "in_process": grader, "parallel": grader},
        "bytecode": {
            "written": False,
            "floor_environment": cached["floor"],
            "grade_environment": cached["grade"],
        },
        "floor": summary(floor),
        "floor_cached": summary([0.4]),
        "ratio": summary([w / f for w, f in zip(warm, floor, strict=True)]),
        "cold": summary([4.0]),
        "warm_reference": summary(warm),
        "warm_exercises": summary([3.0]),
    }


def test_the_floor_target_is_the_median_of_the_paired_ratios() -> None:
    # A slow spell during run 2 slows its floor and its grade alike: the paired ratio stays 4x,
    # where the ratio of the medians (5.0 / 1.0) would say 5x.
    r = figures(floor=[1.0, 2.0, 1.0], warm=[4.0, 8.0, 5.0], cached={"floor": False, "grade": False})
    (row,) = [t for t in targets(r) if "import floor" in t["target"]]
    assert row["value"] == "4.0x" and row["met"]


def test_the_report_says_where_bytecode_is_cached_and_what_the_floor_is_with_it() -> None:
    r = figures(floor=[1.0], warm=[4.0], cached={"floor": False, "grade": True})
    words = bytecode_words(r)
    assert "grade's environment has it" in words and "floor's has none" in words
    assert "the floor is 0.40 s, and the warm grade 10.0x it" in words
    assert f"Bytecode: {words}." in markdown({**r, "targets": targets(r)})
    assert "floor's has it too" in bytecode_words(figures([1.0], [4.0], {"floor": True, "grade": True}))
