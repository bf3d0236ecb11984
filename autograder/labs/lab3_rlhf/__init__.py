"""Graded properties of Lab 3: RLHF, the KL-penalised policy (`exercises/lab3_rlhf.py`).

One module per topic; `lab` declares the graded functions in the order of the lab file, and
importing a topic module registers its properties:

- `seed_table`: the seed's toy loop (`rlhf_capability_step`);
- `kl`: `kl_divergence` and the per-sample estimators `kl_estimators`;
- `objective`: the exact route (`kl_regularized_objective`, `kl_regularized_gradient`,
  `rlhf_update`, `optimal_policy`);
- `policy_gradient`: the sampled route (`reinforce_kl_gradient`, `ppo_clip_objective`);
- `kl_in_the_loss`: `kl_loss_gradient`, a KL estimator differentiated in the loss;
- `best_of_n`: `best_of_n_policy`;
- `strategies`: the Hypothesis strategies they share.

`catalogue` holds the lab's known mistakes (`autograder.catalogue`).
"""

from __future__ import annotations

from autograder.labs.lab3_rlhf import (
    best_of_n,
    catalogue,
    kl,
    kl_in_the_loss,
    objective,
    policy_gradient,
    seed_table,
)
from autograder.labs.lab3_rlhf.lab import LAB

__all__ = [
    "LAB",
    "best_of_n",
    "catalogue",
    "kl",
    "kl_in_the_loss",
    "objective",
    "policy_gradient",
    "seed_table",
]
