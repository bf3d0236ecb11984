"""Lab 5's mistake catalogue (see `autograder.catalogue`): the known wrong implementations of the
lab's functions, each with the hint its learner is shown.

Bodies use only `np`, `math` and `ref` (the reference module); they validate nothing (the variant
tests run the reference first, unless `keeps_validation=False`).
"""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab5_grpo.lab import ref

CATALOGUE = Catalogue("lab5_grpo")

PADDING_HINT = (
    "padding positions must not enter the computation, whatever they hold: select the response "
    "tokens (np.where(mask, ..., 0.0)) before exp or log, since nan * 0 is still nan"
)
"""The hint of the padding properties of `ratio_objective` and `ratio_objective_grad`."""
HUGE_RATIO_HINT = (
    "exp(800) overflows although the clipped term is finite: cap the log-ratio before exp "
    "(np.minimum(log_ratio, np.log1p(clip_high)) for A >= 0), or for 'cispo' clip it to "
    "[log(1 - clip_low), log(1 + clip_high)]"
)
"""The hint of the huge-ratio properties of `ratio_objective` and `ratio_objective_grad`."""
ENTROPY_HINT = (
    "a probability that underflows to 0 gives log(0) = -inf and 0 * -inf = nan: compute log pi as a "
    "log-softmax (subtract the maximum, then the log-sum-exp) and use pi * log pi with that log pi"
)
"""The hint of the large-logits properties of `token_entropy` and `entropy_change`."""


# --- ratio_objective -----------------------------------------------------------------------------


@CATALOGUE.mistake(
    "ratio_objective",
    "GSPO's ratio as the product of the token ratios",
    hint="GSPO's s_b is the geometric mean of the token ratios, exp(mean of log_ratio over the "
    "response), not their product exp(sum of log_ratio), which grows with the length",
)
def gspo_ratio_is_the_product(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    if method != "gspo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0)
    adv = np.asarray(advantages, dtype=np.float64)
    log_s = log_ratio.sum(axis=1)
    capped = np.where(
        adv >= 0, np.minimum(log_s, np.log1p(clip_high)), np.maximum(log_s, np.log1p(-clip_low))
    )
    return float(np.mean(np.exp(capped) * adv))


@CATALOGUE.mistake(
    "ratio_objective",
    "GSPO's ratio as the arithmetic mean of the token ratios",
    hint="GSPO's s_b is the geometric mean exp(mean of log_ratio), not the arithmetic mean of the ratios",
)
def gspo_arithmetic_mean(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    if method != "gspo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(np.minimum(np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0), 700.0))
    s = np.sum(np.where(m, rho, 0.0), axis=1) / m.sum(axis=1)
    adv = np.asarray(advantages, dtype=np.float64)
    return float(np.mean(np.minimum(s * adv, np.clip(s, 1 - clip_low, 1 + clip_high) * adv)))


@CATALOGUE.mistake(
    "ratio_objective",
    "GSPO's mean log-ratio over T instead of the response's length",
    hint="s_b averages the log-ratios over response b's own L_b tokens (mask.sum(axis=1)), not over T",
)
def gspo_mean_over_t(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    if method != "gspo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    log_s = np.sum(np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0), axis=1) / m.shape[1]
    adv = np.asarray(advantages, dtype=np.float64)
    capped = np.where(
        adv >= 0, np.minimum(log_s, np.log1p(clip_high)), np.maximum(log_s, np.log1p(-clip_low))
    )
    return float(np.mean(np.exp(capped) * adv))


@CATALOGUE.mistake(
    "ratio_objective",
    "clip_high ignored: the symmetric clip [1 - clip_low, 1 + clip_low]",
    hint="the upper bound is 1 + clip_high, not 1 + clip_low: clip-higher makes the range asymmetric",
)
def symmetric_clip(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_low)


@CATALOGUE.mistake(
    "ratio_objective",
    "clip-higher applied to the lower bound: [1 - clip_high, 1 + clip_low]",
    hint="clip_low sets the lower bound 1 - clip_low and clip_high the upper bound 1 + clip_high "
    "(clip-higher raises only the upper one)",
)
def clip_higher_on_the_lower_bound(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    return ref.ratio_objective(
        logp_new, logp_old, advantages, mask, method, min(clip_high, 1 - 1e-12), clip_low
    )


@CATALOGUE.mistake(
    "ratio_objective",
    "CISPO's objective without logp_new: w * A",
    hint="CISPO's objective is w * A * logp_new with w held constant, not w * A: it is REINFORCE "
    "weighted by the clipped ratio",
)
def cispo_without_log_prob(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    if method != "cispo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0)
    w = np.exp(np.clip(log_ratio, np.log1p(-clip_low), np.log1p(clip_high)))
    return float(np.sum(np.where(m, w * np.asarray(advantages)[:, None], 0.0)) / m.sum())


@CATALOGUE.mistake(
    "ratio_objective",
    "'ppo' and 'cispo' averaged per response, then over responses",
    hint="'ppo' and 'cispo' average over all response tokens of the batch (sum / N, the 'token' "
    "aggregation), not each response over its own length",
)
def per_response_average(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    if method == "gspo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    new, old = np.asarray(logp_new), np.asarray(logp_old)
    adv, m = np.asarray(advantages), np.asarray(mask, dtype=bool)
    rows = range(m.shape[0])
    return float(
        np.mean(
            [
                ref.ratio_objective(new[[b]], old[[b]], adv[[b]], m[[b]], method, clip_low, clip_high)
                for b in rows
            ]
        )
    )


@CATALOGUE.mistake(
    "ratio_objective",
    "CISPO's padding multiplied by the mask after the fact",
    hint=PADDING_HINT,
)
def padding_multiplied_by_mask(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    if method != "cispo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    new = np.asarray(logp_new, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        w = np.exp(np.clip(new - np.asarray(logp_old), np.log1p(-clip_low), np.log1p(clip_high)))
        return float(np.sum(w * np.asarray(advantages)[:, None] * new * m) / m.sum())


@CATALOGUE.mistake(
    "ratio_objective",
    "exp of the log-ratio before clipping",
    hint=HUGE_RATIO_HINT,
)
def exp_before_clipping(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    if method != "ppo":
        return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0))
    a = np.asarray(advantages, dtype=np.float64)[:, None]
    per_token = np.minimum(rho * a, np.clip(rho, 1 - clip_low, 1 + clip_high) * a)
    return float(np.sum(np.where(m, per_token, 0.0)) / m.sum())


@CATALOGUE.mistake(
    "ratio_objective",
    "no ValueError for clip_high <= 0 or an unknown method",
    hint="",
    keeps_validation=False,
)
def ratio_objective_unchecked(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    method = method if method in ("gspo", "cispo") else "ppo"
    return ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, abs(clip_high) + 1e-3)


# --- ratio_objective_grad ------------------------------------------------------------------------


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "CISPO with the gradient through the weight",
    hint="CISPO holds w constant (a stop-gradient): its gradient is w * A / N on every token, with no "
    "term from d w / d logp_new",
)
def cispo_gradient_through_the_weight(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "cispo":
        return grad
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0)
    inside = m & (log_ratio > np.log1p(-clip_low)) & (log_ratio < np.log1p(clip_high))
    a = np.asarray(advantages, dtype=np.float64)[:, None]
    extra = np.exp(np.where(inside, log_ratio, 0.0)) * a * np.where(m, logp_new, 0.0) / m.sum()
    return grad + np.where(inside, extra, 0.0)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "CISPO's gradient zeroed on clipped tokens, as PPO's",
    hint="CISPO keeps a gradient on every token, clipped ones included: w * A / N, w the clipped ratio",
)
def cispo_gradient_clipped_like_ppo(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "cispo":
        return grad
    ppo = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, "ppo", clip_low, clip_high)
    return np.where(ppo != 0.0, grad, 0.0)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "GSPO's gradient without the 1 / L_b of the geometric mean",
    hint="d s_b / d logp_new[b, t] = s_b / L_b: the geometric mean spreads the response's gradient "
    "over its L_b tokens",
)
def gspo_gradient_without_the_length(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "gspo":
        return grad
    return grad * np.asarray(mask, dtype=bool).sum(axis=1, keepdims=True)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "GSPO's gradient with each token's own ratio",
    hint="every token of response b gets s_b * A_b / (B * L_b): the response's ratio s_b, not the "
    "token's own ratio",
)
def gspo_gradient_with_token_ratios(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "gspo":
        return grad
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0)
    log_s = log_ratio.sum(axis=1, keepdims=True) / m.sum(axis=1, keepdims=True)
    return np.where(grad != 0.0, grad * np.exp(np.clip(log_ratio - log_s, -50.0, 50.0)), 0.0)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "the 'ppo' gradient without the factor rho",
    hint="d rho / d logp_new = rho: the 'ppo' gradient is rho * A / N on an unclipped token, not A / N",
)
def ppo_gradient_without_rho(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "ppo":
        return grad
    m = np.asarray(mask, dtype=bool)
    a = np.broadcast_to(np.asarray(advantages, dtype=np.float64)[:, None], m.shape)
    return np.where(grad != 0.0, a / m.sum(), 0.0)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "clip_high ignored in the gradient: the symmetric clip",
    hint="a token with A > 0 is clipped only above 1 + clip_high, not above 1 + clip_low",
)
def gradient_with_symmetric_clip(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    return ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_low)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "CISPO's gradient multiplied by the mask after the fact",
    hint=PADDING_HINT,
)
def gradient_padding_multiplied_by_mask(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    if method != "cispo":
        return ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    m = np.asarray(mask, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        w = np.exp(
            np.clip(np.asarray(logp_new) - np.asarray(logp_old), np.log1p(-clip_low), np.log1p(clip_high))
        )
        return w * np.asarray(advantages, dtype=np.float64)[:, None] * m / m.sum()


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "the gradient with exp of the log-ratio before clipping",
    hint=HUGE_RATIO_HINT,
)
def gradient_exp_before_clipping(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(np.where(m, logp_new, 0.0) - np.where(m, logp_old, 0.0))
    grad = ref.ratio_objective_grad(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    return grad + 0.0 * np.minimum(rho, 1.0)


@CATALOGUE.mistake(
    "ratio_objective_grad",
    "no ValueError for an unknown method",
    hint="",
    keeps_validation=False,
)
def ratio_objective_grad_unchecked(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    method = method if method in ("gspo", "cispo") else "ppo"
    return ref.ratio_objective_grad(
        logp_new, logp_old, advantages, mask, method, clip_low, abs(clip_high) + 1e-3
    )


# --- token_entropy -------------------------------------------------------------------------------


@CATALOGUE.mistake(
    "token_entropy",
    "entropy from probabilities that underflow: -sum p * log(p)",
    hint=ENTROPY_HINT,
)
def entropy_of_underflowing_probabilities(logits, mask):
    z = np.asarray(logits, dtype=np.float64)[np.asarray(mask, dtype=bool)]
    p = np.exp(z - z.max(axis=-1, keepdims=True))
    p = p / p.sum(axis=-1, keepdims=True)
    return float(np.mean(-np.sum(p * np.log(p), axis=-1)))


@CATALOGUE.mistake(
    "token_entropy",
    "a mean of per-response means",
    hint="the mean is over all response tokens of the batch (each token weighs the same), not a mean "
    "of per-response means",
)
def entropy_per_response(logits, mask):
    m = np.asarray(mask, dtype=bool)
    z = np.asarray(logits, dtype=np.float64)
    rows = [ref.token_entropy(z[b : b + 1], m[b : b + 1]) for b in range(m.shape[0]) if m[b].any()]
    return float(np.mean(rows))


@CATALOGUE.mistake(
    "token_entropy",
    "the mean over every position, padding included",
    hint="average over the response tokens (mask True) only: padding positions are not part of any response",
)
def entropy_with_padding(logits, mask):
    z = np.asarray(logits, dtype=np.float64)
    return ref.token_entropy(z, np.ones(z.shape[:2], dtype=bool))


@CATALOGUE.mistake(
    "token_entropy",
    "entropy in bits (log base 2)",
    hint="use the natural logarithm (nats): a uniform distribution over V tokens has entropy log(V), not log2(V)",
)
def entropy_in_bits(logits, mask):
    return ref.token_entropy(logits, mask) / math.log(2.0)


@CATALOGUE.mistake(
    "token_entropy",
    "no ValueError when mask has no True",
    hint="",
    keeps_validation=False,
)
def entropy_of_an_empty_mask(logits, mask):
    if not np.any(mask):
        return 0.0
    return ref.token_entropy(logits, mask)


# --- entropy_change ------------------------------------------------------------------------------


@CATALOGUE.mistake(
    "entropy_change",
    "the covariance with A instead of delta",
    hint="the covariance is with delta = lr * pi * (A - E_pi[A]), the step of the logits, not with "
    "lr * A: the step of a softmax's logits carries the factor pi",
)
def covariance_with_the_advantage(logits, advantages, lr):
    log_pi = np.asarray(logits, dtype=np.float64) - np.logaddexp.reduce(np.asarray(logits, dtype=np.float64))
    pi = np.exp(log_pi)
    a = np.asarray(advantages, dtype=np.float64)
    return float(-lr * (pi @ ((log_pi - pi @ log_pi) * (a - pi @ a))))


@CATALOGUE.mistake(
    "entropy_change",
    "the covariance with uniform weights 1 / K",
    hint="the covariance is under a ~ pi: weight each action by pi(a), not by 1 / K",
)
def covariance_with_uniform_weights(logits, advantages, lr):
    log_pi = np.asarray(logits, dtype=np.float64) - np.logaddexp.reduce(np.asarray(logits, dtype=np.float64))
    pi = np.exp(log_pi)
    a = np.asarray(advantages, dtype=np.float64)
    delta = lr * pi * (a - pi @ a)
    return float(-np.mean((log_pi - log_pi.mean()) * (delta - delta.mean())))


@CATALOGUE.mistake(
    "entropy_change",
    "E_pi[log pi * delta] without subtracting the product of the means",
    hint="a covariance subtracts the product of the means: E_pi[log pi * delta] - E_pi[log pi] * E_pi[delta]",
)
def expectation_instead_of_covariance(logits, advantages, lr):
    log_pi = np.asarray(logits, dtype=np.float64) - np.logaddexp.reduce(np.asarray(logits, dtype=np.float64))
    pi = np.exp(log_pi)
    a = np.asarray(advantages, dtype=np.float64)
    return float(-(pi @ (log_pi * lr * pi * (a - pi @ a))))


@CATALOGUE.mistake(
    "entropy_change",
    "the sign flipped: +Cov(log pi, delta)",
    hint="dH / dz = -pi * (log pi + H): raising a likely action that has a positive advantage lowers "
    "the entropy, so the change is minus the covariance",
)
def entropy_change_wrong_sign(logits, advantages, lr):
    return -ref.entropy_change(logits, advantages, lr)


@CATALOGUE.mistake(
    "entropy_change",
    "the plain mean of A as the baseline in delta",
    hint="the baseline in delta is E_pi[A] = sum_a pi(a) * A(a), not the plain mean of the advantages",
)
def baseline_is_the_plain_mean(logits, advantages, lr):
    a = np.asarray(advantages, dtype=np.float64)
    log_pi = np.asarray(logits, dtype=np.float64) - np.logaddexp.reduce(np.asarray(logits, dtype=np.float64))
    pi = np.exp(log_pi)
    delta = lr * pi * (a - a.mean())
    return float(-(pi @ ((log_pi - pi @ log_pi) * (delta - pi @ delta))))


@CATALOGUE.mistake(
    "entropy_change",
    "the exact change H(logits + delta) - H(logits) instead of the first-order term",
    hint="return the first-order term grad H . delta, which is linear in lr, not the exact change "
    "H(logits + delta) - H(logits)",
)
def exact_change_instead_of_first_order(logits, advantages, lr):
    z = np.asarray(logits, dtype=np.float64)
    a = np.asarray(advantages, dtype=np.float64)
    log_pi = z - np.logaddexp.reduce(z)
    pi = np.exp(log_pi)
    moved = z + lr * pi * (a - pi @ a)
    log_moved = moved - np.logaddexp.reduce(moved)
    return float(-(np.exp(log_moved) @ log_moved) + pi @ log_pi)


@CATALOGUE.mistake(
    "entropy_change",
    "log of a softmax probability that underflows",
    hint=ENTROPY_HINT,
)
def entropy_change_log_of_softmax(logits, advantages, lr):
    z = np.asarray(logits, dtype=np.float64)
    pi = np.exp(z - z.max())
    pi = pi / pi.sum()
    log_pi = np.log(pi)
    a = np.asarray(advantages, dtype=np.float64)
    delta = lr * pi * (a - pi @ a)
    return float(-(pi @ ((log_pi - pi @ log_pi) * delta)))


@CATALOGUE.mistake(
    "entropy_change",
    "no ValueError for a non-finite input",
    hint="",
    keeps_validation=False,
)
def entropy_change_unchecked(logits, advantages, lr):
    z, a = np.asarray(logits, dtype=np.float64), np.asarray(advantages, dtype=np.float64)
    if not (np.all(np.isfinite(z)) and np.all(np.isfinite(a))):
        return 0.0
    return ref.entropy_change(z, a, lr)
