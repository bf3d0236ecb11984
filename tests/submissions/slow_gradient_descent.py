"""Lab 2, correct, whose fit_reward_model is plain gradient descent with a fixed small step.

A correct method that is slow (seconds on the seed's consistent labels, where only l2 = 1e-3
curves the loss): it must keep full marks (grading.md: at least 30 s for this function).
"""

import numpy as np
from _reference import *

STEP = 0.5


def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError(f"l2 must be > 0, got {l2}")
    chosen, rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    if chosen.ndim != 2:
        raise ValueError(f"x_chosen must be 2-D, got shape {chosen.shape}")
    w = np.zeros(chosen.shape[1])
    grad = preference_loss_grad(w, chosen, rejected, l2)  # checks x_rejected and n
    while np.linalg.norm(grad) > max(tol, 1e-7):
        w = w - STEP * grad
        grad = preference_loss_grad(w, chosen, rejected, l2)
    return w
