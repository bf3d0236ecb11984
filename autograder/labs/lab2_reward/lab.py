"""Lab 2's graded functions, declared in the order of the lab file (the scoreboard's order), and
what the topic modules of its grader share."""

from __future__ import annotations

from autograder.engine import Lab, reference

ref = reference("lab2_reward")
LAB = Lab(2, "lab2_reward", "Reward modeling")

preference_probability = LAB.function("preference_probability")
preference_loss = LAB.function("preference_loss")
preference_loss_grad = LAB.function("preference_loss_grad")
fit_reward_model = LAB.function("fit_reward_model", time_limit=30.0, faster="Newton's method (a few steps)")
pairwise_accuracy = LAB.function("pairwise_accuracy")
FIT_L2 = 1e-3  # the default l2 of fit_reward_model: the grader calls it with the defaults
STATIONARY = 1e-6  # what the fit's gradient norm may be (Newton reaches ~1e-12; room for first-order methods)
