"""Graded properties of Lab 2: reward modeling (`exercises/lab2_reward.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, importing
a topic module registers its properties, and `catalogue` holds the known mistakes.
"""

from __future__ import annotations

from autograder.labs.lab2_reward import accuracy, catalogue, fit, loss, probability
from autograder.labs.lab2_reward.lab import LAB

__all__ = ["LAB", "accuracy", "catalogue", "fit", "loss", "probability"]
