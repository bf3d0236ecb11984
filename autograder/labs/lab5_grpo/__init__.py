"""Graded properties of Lab 5: GRPO with verifiable rewards (`exercises/lab5_grpo.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, and
importing a topic module registers its properties:

- `advantages`: `group_advantages`, GRPO's and Dr. GRPO's group-relative advantages;
- `pass_at_k`: the unbiased pass@k estimator;
- `objective`: `grpo_objective`, the clipped surrogate and its three aggregations;
- `gradient`: `grpo_objective_grad`;
- `ratios`: `ratio_objective` and `ratio_objective_grad`, clip-higher, GSPO and CISPO;
- `entropy`: `token_entropy` and `entropy_change`;
- `catalogue`: the known mistakes, with their hints;
- `strategies`: the Hypothesis strategies they share.
"""

from __future__ import annotations

from autograder.labs.lab5_grpo import advantages, catalogue, entropy, gradient, objective, pass_at_k, ratios
from autograder.labs.lab5_grpo.lab import LAB

__all__ = ["LAB", "advantages", "catalogue", "entropy", "gradient", "objective", "pass_at_k", "ratios"]
