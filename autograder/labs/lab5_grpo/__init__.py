"""Graded properties of Lab 5: GRPO with verifiable rewards (`exercises/lab5_grpo.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, and
importing a topic module registers its properties:

- `advantages`: `group_advantages`, GRPO's and Dr. GRPO's group-relative advantages;
- `pass_at_k`: the unbiased pass@k estimator;
- `objective`: `grpo_objective`, the clipped surrogate and its three aggregations;
- `gradient`: `grpo_objective_grad`;
- `strategies`: the Hypothesis strategies they share.

`catalogue` holds the lab's known mistakes (`autograder.catalogue`).
"""

from __future__ import annotations

from autograder.labs.lab5_grpo import advantages, catalogue, gradient, objective, pass_at_k
from autograder.labs.lab5_grpo.lab import LAB

__all__ = ["LAB", "advantages", "catalogue", "gradient", "objective", "pass_at_k"]
