"""Graded properties of Lab 6: rejection sampling, test-time compute and distillation
(`exercises/lab6_reasoning.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, and
importing a topic module registers its properties:

- `rejection`: `rejection_sampling_gradient`, RFT's gradient and its expectation;
- `majority`: `majority_vote_accuracy`, checked against every n-tuple of votes;
- `distillation`: `distillation_loss` and `distillation_loss_grad`;
- `catalogue`: the known mistakes, whose values name them in the hints;
- `strategies`: the Hypothesis strategies they share.
"""

from __future__ import annotations

from autograder.labs.lab6_reasoning import distillation, majority, rejection
from autograder.labs.lab6_reasoning.lab import LAB

TOPICS = (rejection, majority, distillation)
"""The modules whose import registers the properties (named here so that the import is used)."""

__all__ = ["LAB", "TOPICS"]
