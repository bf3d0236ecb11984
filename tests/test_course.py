"""The one rule that names a lab (`autograder.course`) and the registry that discovers the graders by it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder import catalog, course, labs

NAMES = {
    "lab1_sft": 1,
    "lab1_sft.py": 1,
    "lab10_tools": 10,
    "lab0_x": None,
    "lab_x": None,
    "lab2": None,
    "lab2_": None,
    "labkit": None,
    "lab2_Reward": None,
    "xlab2_reward": None,
}


@pytest.mark.parametrize("name", NAMES)
def test_a_lab_is_named_labN_topic(name: str) -> None:
    assert course.lab_number(name) == NAMES[name]


def test_lab_files_are_in_lab_order_and_the_rest_are_helpers(tmp_path: Path) -> None:
    for name in ("lab10_tools.py", "lab2_reward.py", "lab1_sft.py", "labkit.py", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in course.lab_files(tmp_path)] == ["lab1_sft.py", "lab2_reward.py", "lab10_tools.py"]
    assert [p.name for p in course.helper_files(tmp_path)] == ["labkit.py"]


def test_the_registry_is_the_graders_found_by_name() -> None:
    graders = Path(labs.__file__).parent
    assert labs.LAB_MODULES == labs._graders(graders)
    assert list(labs.LAB_MODULES) == sorted(labs.LAB_MODULES)
    assert [info.lab for info in catalog()] == sorted(
        (info.lab for info in catalog()), key=lambda lab: course.lab_number(lab) or 0
    )
    for number, module in labs.LAB_MODULES.items():
        assert labs.lab_named(module).number == number
        assert course.lab_page(module).is_file(), f"{module} has no page"
        assert (course.SOLUTIONS / f"{module}.py").is_file(), f"{module} has no reference"


def test_two_graders_of_one_lab_are_refused(tmp_path: Path) -> None:
    (tmp_path / "lab1_sft").mkdir()
    (tmp_path / "lab1_sft" / "__init__.py").write_text("")
    (tmp_path / "lab1_other.py").write_text("")
    (tmp_path / "lab2_notes").mkdir()  # not a package: not a grader
    with pytest.raises(RuntimeError, match="two graders of lab 1"):
        labs._graders(tmp_path)
    (tmp_path / "lab1_other.py").unlink()
    assert labs._graders(tmp_path) == {1: "lab1_sft"}


def test_an_unknown_lab_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no lab is named 'lab1_sf'"):
        labs.lab_named("lab1_sf")


def test_the_provided_helpers_are_the_other_files_of_solutions() -> None:
    helpers = course.provided_helpers()
    assert "labkit" in helpers and not any(course.lab_number(name) for name in helpers)
