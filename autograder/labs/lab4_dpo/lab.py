"""Lab 4's graded functions, declared in the order of the lab file (the scoreboard's order), and
what every topic module of the grader shares: the reference, the values of beta, the margin."""

from __future__ import annotations

import numpy as np

from autograder.engine import Lab, reference

ref = reference("lab4_dpo")
LAB = Lab(4, "lab4_dpo", "Direct preference optimisation")

dpo_loss = LAB.function("dpo_loss")
implicit_reward = LAB.function("implicit_reward")
dpo_gradient = LAB.function("dpo_gradient")
dpo_family_loss = LAB.function("dpo_family_loss")
dpo_family_loss_grad = LAB.function("dpo_family_loss_grad")
simpo_loss = LAB.function("simpo_loss")
kto_loss = LAB.function("kto_loss")

BETAS = (0.7, 2.0, 0.3, 3.0)
"""Values of beta the properties draw from: not 1, so that a missing beta shows (0.7 comes first
because Hypothesis shrinks towards the first value), and no n * beta = 1 for n pairs, so that a
missing beta and a sum instead of a mean give different values and the hint can tell them apart.
For each of them `1 - beta * (1 / beta)` is exactly 0 in float64, so the hinge's kink can be hit."""

MARGIN = "m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)"


def margins(pc: np.ndarray, pr: np.ndarray, rc: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """The log-ratio margins of `dpo_loss`'s four arrays."""
    return (pc - rc) - (pr - rr)
