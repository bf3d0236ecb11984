"""The known mistakes of lab2_reward's functions (see `autograder.catalogue`): each entry computes what
that mistake returns; the grader shows its hint when a learner's value matches it."""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab2_reward.lab import ref

CATALOGUE = Catalogue("lab2_reward")


@CATALOGUE.mistake(
    "preference_probability",
    "swapped arguments: sigmoid(r_rejected - r_chosen)",
    hint="the first argument is the chosen one: sigmoid(r_chosen - r_rejected), not the reverse",
)
def preference_probability_swapped_arguments_sigmoid_r(r_chosen, r_rejected):
    return ref.preference_probability(r_rejected, r_chosen)


@CATALOGUE.mistake(
    "preference_probability",
    "naive 1 / (1 + exp(-x)): overflow warning at -1e6",
    hint="np.exp of a large number overflows; np.where evaluates both branches, so each branch must be safe: exponentiate -|gap| only",
)
def preference_probability_naive_1_1_exp(r_chosen, r_rejected):
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    return 1.0 / (1.0 + np.exp(-gap))


@CATALOGUE.mistake(
    "preference_probability",
    "np.where whose two branches are both evaluated: overflow warnings",
    hint="np.exp of a large number overflows; np.where evaluates both branches, so each branch must be safe: exponentiate -|gap| only",
)
def preference_probability_np_where_whose_two(r_chosen, r_rejected):
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    return np.where(gap >= 0, 1.0 / (1.0 + np.exp(-gap)), np.exp(gap) / (1.0 + np.exp(gap)))


@CATALOGUE.mistake(
    "preference_probability",
    "exp(x) / (1 + exp(x)): nan at +1e6",
    hint="exp(gap) / (1 + exp(gap)) is inf / inf = nan for a large gap: only ever exponentiate -|gap|",
)
def preference_probability_exp_x_1_exp(r_chosen, r_rejected):
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(gap) / (1.0 + np.exp(gap))


@CATALOGUE.mistake(
    "preference_probability",
    "softmax of the two rewards without a shift: exp(r_c) / (exp(r_c) + exp(r_r))",
    hint="exponentiate only the gap r_chosen - r_rejected, never a reward itself: exp(1000.0) is inf, and inf / inf is nan",
)
def preference_probability_softmax_two_rewards_without(r_chosen, r_rejected):
    chosen, rejected = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.exp(chosen) / (np.exp(chosen) + np.exp(rejected))


@CATALOGUE.mistake(
    "preference_probability",
    "a hard decision (gap > 0) instead of a probability",
    hint="return the probability sigmoid(gap), not the decision gap > 0",
)
def preference_probability_hard_decision_gap_0(r_chosen, r_rejected):
    return (np.asarray(r_chosen, dtype=float) > np.asarray(r_rejected, dtype=float)).astype(float)


@CATALOGUE.mistake(
    "preference_probability",
    "no validation: numpy's own broadcasting error does not name the arguments",
    hint="",
    keeps_validation=False,
)
def preference_probability_no_validation_numpy_s(r_chosen, r_rejected):
    gap = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    small = np.exp(-np.abs(gap))
    return np.where(gap >= 0, 1.0 / (1.0 + small), small / (1.0 + small))


@CATALOGUE.mistake(
    "preference_loss",
    "naive -log(sigmoid(m)): inf at m = -1e6",
    hint="at m = -1e6, np.exp(-m) overflows to inf and sigmoid(m) rounds to 0 (log 0 = -inf): compute -log sigmoid(m) = log(1 + exp(-m)) as np.logaddexp(0, -m)",
)
def preference_loss_naive_log_sigmoid_m(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    margins = (np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)) @ w
    with np.errstate(divide="ignore"):
        return float(np.mean(-np.log(ref.preference_probability(margins, 0.0))) + 0.5 * l2 * (w @ w))


@CATALOGUE.mistake(
    "preference_loss",
    "log1p(exp(-m)): overflow warning at m = -1e6",
    hint="at m = -1e6, np.exp(-m) overflows to inf and sigmoid(m) rounds to 0 (log 0 = -inf): compute -log sigmoid(m) = log(1 + exp(-m)) as np.logaddexp(0, -m)",
)
def preference_loss_log1p_exp_m_overflow(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    margins = (np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)) @ w
    return float(np.mean(np.log1p(np.exp(-margins))) + 0.5 * l2 * (w @ w))


@CATALOGUE.mistake(
    "preference_loss",
    "sum over comparisons instead of the mean",
    hint="take the mean over the comparisons, not the sum",
)
def preference_loss_sum_over_comparisons_mean(w, x_chosen, x_rejected, l2=0.0):
    n = len(np.asarray(x_chosen))
    w = np.asarray(w, dtype=float)
    penalty = 0.5 * l2 * (w @ w)
    return n * (ref.preference_loss(w, x_chosen, x_rejected, l2) - penalty) + penalty


@CATALOGUE.mistake(
    "preference_loss",
    "missing 1/2 in the penalty: l2 * ||w||^2",
    hint="the penalty is (l2 / 2) * ||w||^2: you left out the factor 1/2",
)
def preference_loss_missing_1_2_penalty(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    return ref.preference_loss(w, x_chosen, x_rejected, l2) + 0.5 * l2 * (w @ w)


@CATALOGUE.mistake(
    "preference_loss",
    "rejected minus chosen in the margin (right at w = 0)",
    hint="the margin is chosen minus rejected: m_i = w @ (x_chosen[i] - x_rejected[i])",
)
def preference_loss_rejected_minus_chosen_margin(w, x_chosen, x_rejected, l2=0.0):
    return ref.preference_loss(-np.asarray(w, dtype=float), x_chosen, x_rejected, l2)


@CATALOGUE.mistake("preference_loss", "modifies x_chosen in place (x_chosen -= x_rejected)", hint="")
def preference_loss_modifies_x_chosen_place(w, x_chosen, x_rejected, l2=0.0):
    w, x_chosen = np.asarray(w, dtype=float), np.asarray(x_chosen, dtype=float)
    x_chosen -= np.asarray(x_rejected, dtype=float)
    return float(np.mean(np.logaddexp(0.0, -(x_chosen @ w))) + 0.5 * l2 * (w @ w))


@CATALOGUE.mistake("preference_loss", "no validation of shapes, n and l2", hint="", keeps_validation=False)
def preference_loss_no_validation_shapes_n(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    margins = np.asarray(x_chosen, dtype=float) @ w - np.asarray(x_rejected, dtype=float) @ w
    return float(np.mean(np.logaddexp(0.0, -margins)) + 0.5 * l2 * (w @ w))


@CATALOGUE.mistake(
    "preference_loss_grad",
    "sigmoid(m) instead of sigmoid(-m) (right at w = 0)",
    hint="d/dm -log sigmoid(m) = -sigmoid(-m): weight comparison i by sigmoid(-m_i), not sigmoid(m_i)",
)
def preference_loss_grad_sigmoid_m_sigmoid_m(w, x_chosen, x_rejected, l2=0.0):
    ref.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    p = ref.preference_probability(diffs @ w, 0.0)
    return -(diffs.T @ p) / len(diffs) + l2 * w


@CATALOGUE.mistake(
    "preference_loss_grad",
    "sign of the data term flipped (gradient of the log-likelihood)",
    hint="this is the gradient of the log-likelihood: the loss is its negative, check the sign",
)
def preference_loss_grad_sign_data_term_flipped(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    return -ref.preference_loss_grad(w, x_chosen, x_rejected, l2) + 2 * l2 * w


@CATALOGUE.mistake(
    "preference_loss_grad",
    "missing the penalty's gradient l2 * w",
    hint="add the gradient of the penalty, l2 * w",
)
def preference_loss_grad_missing_penalty_s_gradient(w, x_chosen, x_rejected, l2=0.0):
    return ref.preference_loss_grad(w, x_chosen, x_rejected, l2) - l2 * np.asarray(w, dtype=float)


@CATALOGUE.mistake(
    "preference_loss_grad",
    "penalty gradient 2 * l2 * w (missing 1/2)",
    hint="the penalty (l2 / 2) * ||w||^2 has gradient l2 * w, not 2 * l2 * w",
)
def preference_loss_grad_penalty_gradient_2_l2(w, x_chosen, x_rejected, l2=0.0):
    return ref.preference_loss_grad(w, x_chosen, x_rejected, l2) + l2 * np.asarray(w, dtype=float)


@CATALOGUE.mistake(
    "preference_loss_grad", "mean over the wrong axis (features instead of comparisons)", hint=""
)
def preference_loss_grad_mean_over_wrong_axis(w, x_chosen, x_rejected, l2=0.0):
    ref.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    wrong_way = ref.preference_probability(-(diffs @ w), 0.0)
    return -np.mean(wrong_way[:, None] * diffs, axis=1) + l2 * w.mean()


@CATALOGUE.mistake(
    "preference_loss_grad", "no validation of shapes, n and l2", hint="", keeps_validation=False
)
def preference_loss_grad_no_validation_shapes_n(w, x_chosen, x_rejected, l2=0.0):
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    with np.errstate(all="ignore"):
        wrong_way = ref.preference_probability(-(diffs @ w), 0.0)
        return -(diffs.T @ wrong_way) / max(len(diffs), 1) + l2 * w


@CATALOGUE.mistake(
    "fit_reward_model",
    "100 gradient-descent steps: not converged",
    hint="keep iterating until ||grad|| <= tol: Newton's method converges in a handful of steps, gradient descent needs thousands (and its step size must be below 2 / the largest curvature)",
)
def fit_reward_model_100_gradient_descent_steps(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    x_chosen, x_rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    w = np.zeros(x_chosen.shape[-1])
    for _ in range(max_iter):
        grad = ref.preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        w = w - 1.0 * grad
    return w


@CATALOGUE.mistake(
    "fit_reward_model",
    "Newton without l2 * I in the Hessian",
    hint="these labels are perfectly consistent: as w grows every p_i (1 - p_i) tends to 0, so only the l2 * I term keeps the Hessian invertible",
)
def fit_reward_model_newton_without_l2_i(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    x_chosen, x_rejected = np.asarray(x_chosen, dtype=float), np.asarray(x_rejected, dtype=float)
    w = np.zeros(x_chosen.shape[-1])
    for _ in range(max_iter):
        grad = ref.preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        diffs = x_chosen - x_rejected
        p = ref.preference_probability(diffs @ w, 0.0)
        w = w - np.linalg.solve((diffs.T * (p * (1 - p))) @ diffs / len(diffs), grad)
    return w


@CATALOGUE.mistake(
    "fit_reward_model", "l2 = 0 accepted (no validation of l2)", hint="", keeps_validation=False
)
def fit_reward_model_l2_0_accepted_no(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    if l2 == 0:
        return ref.fit_reward_model(x_chosen, x_rejected, 1e-12, tol, max_iter)
    return ref.fit_reward_model(x_chosen, x_rejected, abs(l2), tol, max_iter)


@CATALOGUE.mistake(
    "fit_reward_model",
    "weights normalised to sum 1, as in the demo's table",
    hint="return w itself: normalising the weights (to sum 1) changes every margin and the loss",
)
def fit_reward_model_weights_normalised_sum_1(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    w = ref.fit_reward_model(x_chosen, x_rejected, l2, tol, max_iter)
    return w / w.sum()


@CATALOGUE.mistake(
    "fit_reward_model",
    "penalty l2 * ||w||^2 in the fit: gradient 2 * l2 * w, Hessian 2 * l2 * I",
    hint="the penalty is (l2 / 2) * ||w||^2, whose gradient is l2 * w: with 2 * l2 * w you minimise another loss",
)
def fit_reward_model_penalty_l2_w_2(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError("l2 must be > 0")
    return ref.fit_reward_model(x_chosen, x_rejected, 2 * l2, tol, max_iter)


@CATALOGUE.mistake(
    "fit_reward_model",
    "labels reversed: minimises the loss of (x_rejected, x_chosen)",
    hint="the margin is chosen minus rejected: you fitted the reversed labels",
)
def fit_reward_model_labels_reversed_minimises_loss(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    return ref.fit_reward_model(x_rejected, x_chosen, l2, tol, max_iter)


@CATALOGUE.mistake("fit_reward_model", "modifies x_chosen in place while computing the differences", hint="")
def fit_reward_model_modifies_x_chosen_place(x_chosen, x_rejected, l2=0.001, tol=1e-9, max_iter=100):
    w = ref.fit_reward_model(x_chosen, x_rejected, l2, tol, max_iter)
    diffs = np.asarray(x_chosen, dtype=float)
    diffs -= np.asarray(x_rejected, dtype=float)
    return w


@CATALOGUE.mistake("pairwise_accuracy", "ties counted 0", hint="a tie counts 1/2 (you counted it 0)")
def pairwise_accuracy_ties_counted_0(w, x_chosen, x_rejected):
    w = np.asarray(w, dtype=float)
    return float(np.mean(np.asarray(x_chosen, dtype=float) @ w > np.asarray(x_rejected, dtype=float) @ w))


@CATALOGUE.mistake(
    "pairwise_accuracy",
    "ties counted 1 (>=)",
    hint="a tie counts 1/2 (you counted it 1: the chosen response must score strictly higher)",
)
def pairwise_accuracy_ties_counted_1(w, x_chosen, x_rejected):
    w = np.asarray(w, dtype=float)
    return float(np.mean(np.asarray(x_chosen, dtype=float) @ w >= np.asarray(x_rejected, dtype=float) @ w))


@CATALOGUE.mistake(
    "pairwise_accuracy",
    "preference_probability(...) > 0.5, ties 1/2 when it is exactly 0.5",
    hint="compare the scores themselves: sigmoid(gap) rounds a tiny gap to exactly 0.5",
)
def pairwise_accuracy_preference_probability_0_5(w, x_chosen, x_rejected):
    w = np.asarray(w, dtype=float)
    p = ref.preference_probability(np.asarray(x_chosen) @ w, np.asarray(x_rejected) @ w)
    return float(np.mean((p > 0.5) + 0.5 * (p == 0.5)))


@CATALOGUE.mistake(
    "pairwise_accuracy",
    "count instead of the fraction",
    hint="return the fraction (the mean over comparisons), not the count",
)
def pairwise_accuracy_count_fraction(w, x_chosen, x_rejected):
    return ref.pairwise_accuracy(w, x_chosen, x_rejected) * len(np.asarray(x_chosen))


@CATALOGUE.mistake("pairwise_accuracy", "no validation of shapes and n", hint="", keeps_validation=False)
def pairwise_accuracy_no_validation_shapes_n(w, x_chosen, x_rejected):
    w = np.asarray(w, dtype=float)
    chosen, rejected = np.asarray(x_chosen, dtype=float) @ w, np.asarray(x_rejected, dtype=float) @ w
    with np.errstate(all="ignore"):
        return float(np.mean((chosen > rejected) + 0.5 * (chosen == rejected)))


@CATALOGUE.mistake(
    "preference_loss", "the penalty left out (l2 ignored)", hint="add the penalty (l2 / 2) * ||w||^2"
)
def preference_loss_penalty_left_out(w, x_chosen, x_rejected, l2=0.0):
    return ref.preference_loss(w, x_chosen, x_rejected, 0.0)


@CATALOGUE.mistake(
    "pairwise_accuracy",
    "counts the comparisons where the rejected response scores higher",
    hint="count comparisons where the *chosen* response scores higher",
)
def pairwise_accuracy_rejected_higher(w, x_chosen, x_rejected):
    return ref.pairwise_accuracy(w, x_rejected, x_chosen)


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("preference_probability", "loops")
def preference_probability_loops(r_chosen, r_rejected):
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


@CATALOGUE.correct("preference_loss", "loops")
def preference_loss_loops(w, x_chosen, x_rejected, l2=0.0):
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
    for row_c, row_r in zip(chosen.tolist(), rejected.tolist(), strict=False):
        margin = sum(wj * (c - r) for wj, c, r in zip(w, row_c, row_r, strict=False))
        total += max(-margin, 0.0) + math.log1p(math.exp(-abs(margin)))
    return total / len(chosen) + 0.5 * l2 * sum(wj * wj for wj in w)


@CATALOGUE.correct("preference_loss_grad", "loops")
def preference_loss_grad_loops(w, x_chosen, x_rejected, l2=0.0):
    ref.preference_loss(w, x_chosen, x_rejected, l2)  # the same checks
    w = np.asarray(w, dtype=float).tolist()
    chosen, rejected = (
        np.asarray(x_chosen, dtype=float).tolist(),
        np.asarray(x_rejected, dtype=float).tolist(),
    )
    grad = [l2 * wj for wj in w]
    for row_c, row_r in zip(chosen, rejected, strict=False):
        diff = [c - r for c, r in zip(row_c, row_r, strict=False)]
        margin = sum(wj * dj for wj, dj in zip(w, diff, strict=False))
        wrong_way = float(ref.preference_probability(-margin, 0.0))
        for j, dj in enumerate(diff):
            grad[j] -= wrong_way * dj / len(chosen)
    return np.array(grad)


@CATALOGUE.correct("fit_reward_model", "loops")
def fit_reward_model_loops(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if l2 <= 0:
        raise ValueError("l2 must be > 0")
    chosen = np.asarray(x_chosen, dtype=float)
    if chosen.ndim != 2:
        raise ValueError("x_chosen must be 2-D")
    d = chosen.shape[1]
    w = np.zeros(d)
    loss = ref.preference_loss(w, x_chosen, x_rejected, l2)
    diffs = (chosen - np.asarray(x_rejected, dtype=float)).tolist()
    for _ in range(max_iter):
        grad = ref.preference_loss_grad(w, x_chosen, x_rejected, l2)
        if np.linalg.norm(grad) <= tol:
            break
        hessian = np.eye(d) * l2
        for diff in diffs:
            p = float(ref.preference_probability(float(np.dot(w, diff)), 0.0))
            for a in range(d):
                for b in range(d):
                    hessian[a, b] += p * (1 - p) * diff[a] * diff[b] / len(diffs)
        step = np.linalg.solve(hessian, -grad)
        t = 1.0
        while True:  # halve the step until the loss does not increase (always true near the optimum)
            trial = ref.preference_loss(w + t * step, x_chosen, x_rejected, l2)
            if trial <= loss or t < 1e-10:
                break
            t /= 2
        w, loss = w + t * step, trial
    return w


@CATALOGUE.correct("pairwise_accuracy", "loops")
def pairwise_accuracy_loops(w, x_chosen, x_rejected):
    ref.preference_loss(w, x_chosen, x_rejected)  # the same checks
    w = np.asarray(w, dtype=float).tolist()
    points = 0.0
    for row_c, row_r in zip(
        np.asarray(x_chosen, float).tolist(), np.asarray(x_rejected, float).tolist(), strict=False
    ):
        chosen = sum(wj * c for wj, c in zip(w, row_c, strict=False))
        rejected = sum(wj * r for wj, r in zip(w, row_r, strict=False))
        points += 1.0 if chosen > rejected else 0.5 if chosen == rejected else 0.0
    return points / len(np.asarray(x_chosen))


@CATALOGUE.correct("preference_probability", "gradient descent")
def preference_probability_gradient_descent(r_chosen, r_rejected):
    chosen, rejected = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    try:
        gap = np.subtract(*np.broadcast_arrays(chosen, rejected))
    except ValueError as error:
        raise ValueError(f"r_chosen and r_rejected: {error}") from None
    return 0.5 * (1.0 + np.tanh(0.5 * gap))


@CATALOGUE.correct("preference_loss", "gradient descent")
def preference_loss_gradient_descent(w, x_chosen, x_rejected, l2=0.0):
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


@CATALOGUE.correct("preference_loss_grad", "gradient descent")
def preference_loss_grad_gradient_descent(w, x_chosen, x_rejected, l2=0.0):
    ref.preference_loss(w, x_chosen, x_rejected, l2)
    w = np.asarray(w, dtype=float)
    diffs = np.asarray(x_chosen, dtype=float) - np.asarray(x_rejected, dtype=float)
    right = ref.preference_probability(diffs @ w, 0.0)
    return -np.mean((1.0 - right)[:, None] * diffs, axis=0) + l2 * w


@CATALOGUE.correct("fit_reward_model", "gradient descent")
def fit_reward_model_gradient_descent(x_chosen, x_rejected, l2=1e-3, tol=1e-9, max_iter=100):
    if not l2 > 0:
        raise ValueError(f"l2 must be positive, got {l2}")
    chosen = np.asarray(x_chosen, dtype=float)
    if chosen.ndim != 2:
        raise ValueError("x_chosen must be (n, d)")
    w = np.zeros(chosen.shape[1])
    ref.preference_loss(w, x_chosen, x_rejected, l2)  # the remaining checks
    diffs = chosen - np.asarray(x_rejected, dtype=float)
    # The Hessian is at most 0.25 * D^T D / n + l2 I: 1 / that bound is a safe step size.
    step = 1.0 / (0.25 * np.linalg.norm(diffs, 2) ** 2 / len(diffs) + l2)
    for _ in range(1_000_000):  # first-order: its own, much larger budget than max_iter
        grad = -(diffs.T @ ref.preference_probability(-(diffs @ w), 0.0)) / len(diffs) + l2 * w
        if np.linalg.norm(grad) <= tol:
            break
        w = w - step * grad
    return w


@CATALOGUE.correct("pairwise_accuracy", "gradient descent")
def pairwise_accuracy_gradient_descent(w, x_chosen, x_rejected):
    ref.preference_loss(w, x_chosen, x_rejected)
    w = np.asarray(w, dtype=float)
    chosen, rejected = np.asarray(x_chosen, dtype=float) @ w, np.asarray(x_rejected, dtype=float) @ w
    return float(np.mean((np.sign(chosen - rejected) + 1.0) / 2.0))
