"""Lab 3's graded functions, declared in the order of the lab file (the scoreboard's order), and
what every topic module of the grader shares: the reference, the example budgets, the seed."""

from __future__ import annotations

from autograder.engine import Lab, reference

ref = reference("lab3_rlhf")
LAB = Lab(3, "lab3_rlhf", "RLHF: the KL-penalised policy")

rlhf_capability_step = LAB.function("rlhf_capability_step")
kl_divergence = LAB.function("kl_divergence")
kl_regularized_objective = LAB.function("kl_regularized_objective")
kl_regularized_gradient = LAB.function("kl_regularized_gradient")
rlhf_update = LAB.function("rlhf_update")
optimal_policy = LAB.function("optimal_policy")
reinforce_kl_gradient = LAB.function("reinforce_kl_gradient")
ppo_clip_objective = LAB.function("ppo_clip_objective")
kl_estimators = LAB.function("kl_estimators")
kl_loss_gradient = LAB.function("kl_loss_gradient")
best_of_n_policy = LAB.function("best_of_n_policy")

SECONDARY = 8
"""Examples for invariants and metamorphic relations (the agreement properties get the default 15)."""
STAT_SEED = 20240611
"""The seed of every sampled check: the same samples for every submission, on every run."""
