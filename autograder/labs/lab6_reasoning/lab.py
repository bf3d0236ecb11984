"""Lab 6's graded functions, declared in the order of the lab file (the scoreboard's order), and
what every topic module of the grader shares: the reference and the example budget."""

from __future__ import annotations

from autograder.engine import Lab, reference

ref = reference("lab6_reasoning")
LAB = Lab(6, "lab6_reasoning", "Reasoning: rejection sampling, test-time compute, distillation")

rejection_sampling_gradient = LAB.function("rejection_sampling_gradient")
majority_vote_accuracy = LAB.function(
    "majority_vote_accuracy",
    faster="condition on the correct answer's count m and run a dynamic programme over the other answers",
)
distillation_loss = LAB.function("distillation_loss")
distillation_loss_grad = LAB.function("distillation_loss_grad")

SECONDARY = 8
"""Examples for invariants and metamorphic relations (the agreement properties get the default 15)."""
DIRECTIONS = ("forward", "reverse")
