"""Lab 5's graded functions, declared in the order of the lab file (the scoreboard's order), and
what every topic module of the grader shares: the reference, the example budget, the values of
clip_eps and the aggregations, the ratio methods and their clip ranges."""

from __future__ import annotations

from autograder.engine import Lab, reference

ref = reference("lab5_grpo")
LAB = Lab(5, "lab5_grpo", "GRPO: RL from verifiable rewards")

group_advantages = LAB.function("group_advantages")
pass_at_k = LAB.function("pass_at_k")
grpo_objective = LAB.function("grpo_objective")
grpo_objective_grad = LAB.function("grpo_objective_grad")
ratio_objective = LAB.function("ratio_objective")
ratio_objective_grad = LAB.function("ratio_objective_grad")
token_entropy = LAB.function("token_entropy")
entropy_change = LAB.function("entropy_change")

SECONDARY = 8
"""Examples for invariants and metamorphic relations (the agreement properties get the default 15)."""
CLIP_EPSILONS = (0.2, 0.1, 0.3)
AGGREGATIONS = ("token", "sequence", "constant")
METHODS = ("ppo", "gspo", "cispo")
CLIP_RANGES = ((0.2, 0.28), (0.2, 0.2), (0.1, 0.5), (3e-4, 4e-4))
"""`(clip_low, clip_high)` pairs: DAPO's clip-higher, the symmetric clip, a wide upper bound and
GSPO's small ranges."""
