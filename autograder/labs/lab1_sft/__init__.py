"""Graded properties of Lab 1: supervised fine-tuning (`exercises/lab1_sft.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, importing
a topic module registers its properties, and `catalogue` holds the known mistakes.
"""

from __future__ import annotations

from autograder.labs.lab1_sft import catalogue, gain, nll, softmax, step, targets
from autograder.labs.lab1_sft.lab import LAB

__all__ = ["LAB", "catalogue", "gain", "nll", "softmax", "step", "targets"]
