"""Plausible mistakes in Lab 2 (each must lose points) and two correct alternatives."""

import math

import numpy as np

from tests.variants import correct, wrong

# --- wrong: preference_probability ----------------------------------------------------------


@wrong("swapped arguments: sigmoid(r_rejected - r_chosen)", hint="the first argument is the chosen one")
def preference_probability(r_chosen, r_rejected):
    return _reference.preference_probability(r_rejected, r_chosen)


@wrong("naive 1 / (1 + exp(-x)): overflow warning at -1e6", hint="exponentiate -|gap| only")
def preference_probability(r_chosen, r_rejected):
    _reference.preference_probability(r_chosen, r_rejected)  # the reference's validation
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    return 1.0 / (1.0 + np.exp(-gap))


@wrong("np.where whose two branches are both evaluated: overflow warnings", hint="both branches")
def preference_probability(r_chosen, r_rejected):
    _reference.preference_probability(r_chosen, r_rejected)
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    return np.where(gap >= 0, 1.0 / (1.0 + np.exp(-gap)), np.exp(gap) / (1.0 + np.exp(gap)))


@wrong("exp(x) / (1 + exp(x)): nan at +1e6", hint="inf / inf = nan")
def preference_probability(r_chosen, r_rejected):
    _reference.preference_probability(r_chosen, r_rejected)
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(gap) / (1.0 + np.exp(gap))


@wrong("softmax of the two rewards without a shift: exp(r_c) / (exp(r_c) + exp(r_r))", hint="only the gap")
def preference_probability(r_chosen, r_rejected):
    _reference.preference_probability(r_chosen, r_rejected)
    chosen, rejected = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(chosen) / (np.exp(chosen) + np.exp(rejected))


@wrong("a hard decision (gap > 0) instead of a probability", hint="not the decision gap > 0")
def preference_probability(r_chosen, r_rejected):
    _reference.preference_probability(r_chosen, r_rejected)
    return (np.asarray(r_chosen, dtype=float) > np.asarray(r_rejected, dtype=float)).astype(float)


@wrong("no validation: numpy's own broadcasting error does not name the arguments", hint="which argument")
def preference_probability(r_chosen, r_rejected):
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    small = np.exp(-np.abs(gap))
    return np.where(gap >= 0, 1.0 / (1.0 + small), small / (1.0 + small))


# --- wrong: preference_loss -----------------------------------------------------------------


@wrong("naive -log(sigmoid(m)): inf at m = -1e6", hint="np.logaddexp(0, -m)")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    _reference.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    margins = (np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)) @ w
    with np.errstate(divide="ignore"):
        return float(np.mean(-np.log(_reference.preference_probability(margins, 0.0))) + 0.5 * l2 * (w @ w))


@wrong("log1p(exp(-m)): overflow warning at m = -1e6", hint="np.logaddexp(0, -m)")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    _reference.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    margins = (np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)) @ w
    return float(np.mean(np.log1p(np.exp(-margins))) + 0.5 * l2 * (w @ w))


@wrong("sum over comparisons instead of the mean", hint="not the sum")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    n = len(np.asarray(x_chosen))
    w = np.asarray(w, dtype=float)
    penalty = 0.5 * l2 * (w @ w)
    return n * (_reference.preference_loss(w, x_chosen, x_rejected, l2) - penalty) + penalty


@wrong("missing 1/2 in the penalty: l2 * ||w||^2", hint="left out the factor 1/2")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    return _reference.preference_loss(w, x_chosen, x_rejected, l2) + 0.5 * l2 * (w @ w)


@wrong("rejected minus chosen in the margin (right at w = 0)", hint="the margin is chosen minus rejected")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    return _reference.preference_loss(-np.asarray(w, dtype=float), x_chosen, x_rejected, l2)


@wrong("modifies x_chosen in place (x_chosen -= x_rejected)", hint="work on a copy")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    _reference.preference_loss(w, x_chosen, x_rejected, l2)
    w, x_chosen = np.asarray(w, dtype=float), np.asarray(x_chosen, dtype=float)
    x_chosen -= np.asarray(x_rejected, dtype=float)
    return float(np.mean(np.logaddexp(0.0, -(x_chosen @ w))) + 0.5 * l2 * (w @ w))


@wrong("no validation of shapes, n and l2", hint="naming 'x_chosen'")
def preference_loss(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    margins = np.asarray(x_chosen, dtype=float) @ w - np.asarray(x_rejected, dtype=float) @ w
    return float(np.mean(np.logaddexp(0.0, -margins)) + 0.5 * l2 * (w @ w))


# --- wrong: preference_loss_grad ------------------------------------------------------------


@wrong("sigmoid(m) instead of sigmoid(-m) (right at w = 0)", hint="not sigmoid(m_i)")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    _reference.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    p = _reference.preference_probability(diffs @ w, 0.0)
    return -(diffs.T @ p) / len(diffs) + l2 * w


@wrong("sign of the data term flipped (gradient of the log-likelihood)", hint="the loss is its negative")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    return -_reference.preference_loss_grad(w, x_chosen, x_rejected, l2) + 2 * l2 * w


@wrong("missing the penalty's gradient l2 * w", hint="add the gradient of the penalty")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    return _reference.preference_loss_grad(w, x_chosen, x_rejected, l2) - l2 * np.asarray(w, dtype=float)


@wrong("penalty gradient 2 * l2 * w (missing 1/2)", hint="not 2 * l2 * w")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    return _reference.preference_loss_grad(w, x_chosen, x_rejected, l2) + l2 * np.asarray(w, dtype=float)


@wrong("mean over the wrong axis (features instead of comparisons)")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    _reference.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    wrong_way = _reference.preference_probability(-(diffs @ w), 0.0)
    return -np.mean(wrong_way[:, None] * diffs, axis=1) + l2 * w.mean()


@wrong("no validation of shapes, n and l2", hint="say which argument is wrong")
def preference_loss_grad(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    with np.errstate(all="ignore"):
        wrong_way = _reference.preference_probability(-(diffs @ w), 0.0)
        return -(diffs.T @ wrong_way) / max(len(diffs), 1) + l2 * w


# --- wrong: fit_reward_model ----------------------------------------------------------------


@wrong("100 gradient-descent steps: not converged", hint="keep iterating until ||grad|| <= tol")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    x_chosen, x_rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    w = np.zeros(x_chosen.shape[-1])
    for _ in range(max_iter):
        grad = _reference.preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        w = w - 1.0 * grad
    return w


@wrong("Newton without l2 * I in the Hessian", hint="only the l2 * I term keeps the Hessian invertible")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    x_chosen, x_rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    w = np.zeros(x_chosen.shape[-1])
    for _ in range(max_iter):
        grad = _reference.preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        diffs = x_chosen - x_rejected
        p = _reference.preference_probability(diffs @ w, 0.0)
        w = w - np.linalg.solve((diffs.T * (p * (1 - p))) @ diffs / len(diffs), grad)
    return w


@wrong("l2 = 0 accepted (no validation of l2)", hint="naming 'l2'")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if l2 == 0:
        return _reference.fit_reward_model(x_chosen, x_rejected, 1e-12, tol, max_iter)
    return _reference.fit_reward_model(x_chosen, x_rejected, abs(l2), tol, max_iter)


@wrong("weights normalised to sum 1, as in the demo's table", hint="normalising the weights")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    w = _reference.fit_reward_model(x_chosen, x_rejected, l2, tol, max_iter)
    return w / w.sum()


@wrong("penalty l2 * ||w||^2 in the fit: gradient 2 * l2 * w, Hessian 2 * l2 * I", hint="another loss")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    return _reference.fit_reward_model(x_chosen, x_rejected, 2 * l2, tol, max_iter)


@wrong("labels reversed: minimises the loss of (x_rejected, x_chosen)", hint="you fitted the reversed labels")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    return _reference.fit_reward_model(x_rejected, x_chosen, l2, tol, max_iter)


@wrong("modifies x_chosen in place while computing the differences", hint="work on a copy")
def fit_reward_model(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    w = _reference.fit_reward_model(x_chosen, x_rejected, l2, tol, max_iter)
    diffs = np.asarray(x_chosen, dtype=float)
    diffs -= np.asarray(x_rejected, dtype=float)
    return w


# --- wrong: pairwise_accuracy ---------------------------------------------------------------


@wrong("ties counted 0", hint="you counted it 0")
def pairwise_accuracy(w, x_chosen, x_rejected):
    _reference.pairwise_accuracy(w, x_chosen, x_rejected)
    w = np.asarray(w, dtype=float)
    return float(np.mean(np.asarray(x_chosen, dtype=float) @ w > np.asarray(x_rejected, dtype=float) @ w))


@wrong("ties counted 1 (>=)", hint="you counted it 1")
def pairwise_accuracy(w, x_chosen, x_rejected):
    _reference.pairwise_accuracy(w, x_chosen, x_rejected)
    w = np.asarray(w, dtype=float)
    return float(np.mean(np.asarray(x_chosen, dtype=float) @ w >= np.asarray(x_rejected, dtype=float) @ w))


@wrong("preference_probability(...) > 0.5, ties 1/2 when it is exactly 0.5", hint="rounds a tiny gap")
def pairwise_accuracy(w, x_chosen, x_rejected):
    _reference.pairwise_accuracy(w, x_chosen, x_rejected)
    w = np.asarray(w, dtype=float)
    p = _reference.preference_probability(np.asarray(x_chosen) @ w, np.asarray(x_rejected) @ w)
    return float(np.mean((p > 0.5) + 0.5 * (p == 0.5)))


@wrong("count instead of the fraction", hint="not the count")
def pairwise_accuracy(w, x_chosen, x_rejected):
    return _reference.pairwise_accuracy(w, x_chosen, x_rejected) * len(np.asarray(x_chosen))


@wrong("no validation of shapes and n", hint="naming 'x_chosen'")
def pairwise_accuracy(w, x_chosen, x_rejected):
    w = np.asarray(w, dtype=float)
    chosen, rejected = np.asarray(x_chosen, dtype=float) @ w, np.asarray(x_rejected, dtype=float) @ w
    with np.errstate(all="ignore"):
        return float(np.mean((chosen > rejected) + 0.5 * (chosen == rejected)))


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
