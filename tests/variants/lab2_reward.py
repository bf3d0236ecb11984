"""Correct alternative implementations of Lab 2's functions: each group must keep full marks.

The known mistakes are in `autograder/labs/lab2_reward/catalogue.py`. Each group replaces reference
functions; the submission's header imports `math`, `numpy as np` and the reference module as
`_reference` (and star-imports it).
"""

import math

import numpy as np

from tests.variants import correct

# --- correct alternatives -------------------------------------------------------------------


@correct("loops")
def preference_probability(r_chosen, r_rejected):
    chosen, rejected = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    try:
        chosen, rejected = np.broadcast_arrays(chosen, rejected)
    except ValueError:
        raise ValueError(
            f"r_chosen {chosen.shape} and r_rejected {rejected.shape} do not broadcast"
        ) from None
    out = np.empty(chosen.shape)
    for index in np.ndindex(chosen.shape):
        gap = float(chosen[index]) - float(rejected[index])
        if gap >= 0:
            out[index] = 1.0 / (1.0 + math.exp(-gap))
        else:
            out[index] = math.exp(gap) / (1.0 + math.exp(gap))
    return out


@correct("loops")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    chosen, rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    if chosen.ndim != 2:
        raise ValueError("x_chosen must be 2-D")
    if rejected.shape != chosen.shape:
        raise ValueError("x_rejected must have the shape of x_chosen")
    w = np.asarray(w, dtype=float).tolist()
    if not isinstance(w, list) or len(w) != chosen.shape[1] or any(isinstance(v, list) for v in w):
        raise ValueError("w must be a vector with one weight per feature")
    if chosen.shape[0] == 0:
        raise ValueError("x_chosen holds no comparison")
    if l2 < 0:
        raise ValueError("l2 must be >= 0")
    total = 0.0
    for row_c, row_r in zip(chosen.tolist(), rejected.tolist()):
        margin = sum(wj * (c - r) for wj, c, r in zip(w, row_c, row_r))
        total += max(-margin, 0.0) + math.log1p(math.exp(-abs(margin)))
    return total / len(chosen) + 0.5 * l2 * sum(wj * wj for wj in w)


@correct("loops")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    preference_loss(w, x_chosen, x_rejected, l2)  # the same checks
    w = np.asarray(w, dtype=float).tolist()
    chosen, rejected = (
        np.asarray(x_chosen, dtype=float).tolist(),
        np.asarray(x_rejected, dtype=float).tolist(),
    )
    grad = [l2 * wj for wj in w]
    for row_c, row_r in zip(chosen, rejected):
        diff = [c - r for c, r in zip(row_c, row_r)]
        margin = sum(wj * dj for wj, dj in zip(w, diff))
        wrong_way = float(preference_probability(-margin, 0.0))
        for j, dj in enumerate(diff):
            grad[j] -= wrong_way * dj / len(chosen)
    return np.array(grad)


@correct("loops")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    chosen = np.asarray(x_chosen, dtype=float)
    if chosen.ndim != 2:
        raise ValueError("x_chosen must be 2-D")
    d = chosen.shape[1]
    w = np.zeros(d)
    loss = preference_loss(w, x_chosen, x_rejected, l2)
    diffs = (chosen - np.asarray(x_rejected, dtype=float)).tolist()
    for _ in range(max_iter):
        grad = preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        hessian = np.eye(d) * l2
        for diff in diffs:
            p = float(preference_probability(float(np.dot(w, diff)), 0.0))
            for a in range(d):
                for b in range(d):
                    hessian[a, b] += p * (1 - p) * diff[a] * diff[b] / len(diffs)
        step = np.linalg.solve(hessian, -grad)
        t = 1.0
        while True:  # halve the step until the loss does not increase (always true near the optimum)
            trial = preference_loss(w + t * step, x_chosen, x_rejected, l2)
            if trial <= loss or t < 1e-10:
                break
            t /= 2
        w, loss = w + t * step, trial
    return w


@correct("loops")
def pairwise_accuracy(w, x_chosen, x_rejected):
    preference_loss(w, x_chosen, x_rejected)  # the same checks
    w = np.asarray(w, dtype=float).tolist()
    points = 0.0
    for row_c, row_r in zip(np.asarray(x_chosen, float).tolist(), np.asarray(x_rejected, float).tolist()):
        chosen = sum(wj * c for wj, c in zip(w, row_c))
        rejected = sum(wj * r for wj, r in zip(w, row_r))
        points += 1.0 if chosen > rejected else 0.5 if chosen == rejected else 0.0
    return points / len(np.asarray(x_chosen))


@correct("gradient descent")
def preference_probability(r_chosen, r_rejected):
    chosen, rejected = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    try:
        gap = np.subtract(*np.broadcast_arrays(chosen, rejected))
    except ValueError as error:
        raise ValueError(f"r_chosen and r_rejected: {error}") from None
    return 0.5 * (1.0 + np.tanh(0.5 * gap))


@correct("gradient descent")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    w, chosen, rejected = (np.asarray(a, dtype=float) for a in (w, x_chosen, x_rejected))
    if chosen.ndim != 2 or rejected.shape != chosen.shape or len(chosen) == 0:
        raise ValueError(
            f"x_chosen and x_rejected must both be (n, d) with n > 0: {chosen.shape}, {rejected.shape}"
        )
    if w.shape != chosen.shape[1:]:
        raise ValueError(f"w has shape {w.shape}, expected {chosen.shape[1:]}")
    if l2 < 0:
        raise ValueError(f"l2 = {l2} < 0")
    margins = (chosen - rejected) @ w
    return float(np.mean(np.maximum(-margins, 0.0) + np.log1p(np.exp(-np.abs(margins)))) + l2 / 2 * w @ w)


@correct("gradient descent")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    right = preference_probability(diffs @ w, 0.0)
    return -np.mean((1.0 - right)[:, None] * diffs, axis=0) + l2 * w


@correct("gradient descent")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError(f"l2 must be positive, got {l2}")
    chosen = np.asarray(x_chosen, dtype=float)
    if chosen.ndim != 2:
        raise ValueError("x_chosen must be (n, d)")
    w = np.zeros(chosen.shape[1])
    preference_loss(w, x_chosen, x_rejected, l2)  # the remaining checks
    diffs = chosen - np.asarray(x_rejected, dtype=float)
    # The Hessian is at most 0.25 * D^T D / n + l2 I: 1 / that bound is a safe step size.
    step = 1.0 / (0.25 * np.linalg.norm(diffs, 2) ** 2 / len(diffs) + l2)
    for _ in range(1_000_000):  # first-order: its own, much larger budget than max_iter
        grad = -(diffs.T @ preference_probability(-(diffs @ w), 0.0)) / len(diffs) + l2 * w
        if np.linalg.norm(grad) <= tol:
            break
        w = w - step * grad
    return w


@correct("gradient descent")
def pairwise_accuracy(w, x_chosen, x_rejected):
    preference_loss(w, x_chosen, x_rejected)
    w = np.asarray(w, dtype=float)
    chosen, rejected = np.asarray(x_chosen, dtype=float) @ w, np.asarray(x_rejected, dtype=float) @ w
    return float(np.mean((np.sign(chosen - rejected) + 1.0) / 2.0))
