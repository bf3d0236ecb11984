"""The graded properties of each lab, one module per lab file (`labs/lab1_sft.py` grades
`exercises/lab1_sft.py`)."""

from __future__ import annotations

import importlib
import importlib.util

from autograder.engine import Lab

LAB_MODULES = {
    1: "lab1_sft",
    2: "lab2_reward",
    3: "lab3_rlhf",
    4: "lab4_dpo",
    5: "lab5_grpo",
    6: "lab6_reasoning",
}


def load_lab(number: int) -> Lab:
    """The graded properties of lab `number`."""
    return importlib.import_module(f"autograder.labs.{LAB_MODULES[number]}").LAB


def available_labs() -> list[int]:
    """The numbers of the labs that have a grader."""
    return [n for n, name in LAB_MODULES.items() if importlib.util.find_spec(f"autograder.labs.{name}")]
