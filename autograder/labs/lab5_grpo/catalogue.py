"""The known mistakes of lab5_grpo's functions (see `autograder.catalogue`): each entry computes what
that mistake returns; the grader shows its hint when a learner's value matches it."""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab5_grpo.lab import ref

CATALOGUE = Catalogue("lab5_grpo")


@CATALOGUE.mistake(
    "group_advantages",
    "population standard deviation (ddof = 0)",
    hint="use the sample standard deviation, ddof = 1 (np.std(..., ddof=1)), not the population one",
)
def group_advantages_population_standard_deviation_ddof(rewards, normalize_std=True, eps=1e-06):
    r = np.asarray(rewards, dtype=float)
    equal = np.all(r == r[:, :1], axis=1, keepdims=True)
    centred = np.where(equal, 0.0, r - r.mean(axis=1, keepdims=True))
    if not normalize_std:
        return centred
    return np.where(equal, 0.0, centred / (r.std(axis=1, keepdims=True) + eps))


@CATALOGUE.mistake(
    "group_advantages",
    "batch-wide mean and std instead of each group's",
    hint="normalise each row (each prompt's group) with its own mean and std, not the whole batch",
)
def group_advantages_batch_wide_mean_std(rewards, normalize_std=True, eps=1e-06):
    r = np.asarray(rewards, dtype=float)
    centred = r - r.mean()
    if not normalize_std:
        return centred
    std = r.std(ddof=1) if r.size > 1 else 0.0
    return centred / (std + eps) if std + eps > 0 else np.zeros_like(r)


@CATALOGUE.mistake(
    "group_advantages",
    "no special case for an all-equal group: 0 / 0 with eps = 0",
    hint="mean([0.1, 0.1, 0.1]) is not exactly 0.1 in floating point, and rounding noise divided by a tiny std is not small: test whether the rewards are all equal and return exact zeros for that group",
)
def group_advantages_no_special_case_all(rewards, normalize_std=True, eps=1e-06):
    r = np.asarray(rewards, dtype=float)
    centred = r - r.mean(axis=1, keepdims=True)
    if not normalize_std:
        return centred
    with np.errstate(divide="ignore", invalid="ignore"):
        return centred / (r.std(axis=1, ddof=1, keepdims=True) + eps)


@CATALOGUE.mistake(
    "group_advantages",
    "normalize_std ignored: always divides by the std",
    hint="normalize_std=False is Dr. GRPO: r - mean(row), with no division by the std",
)
def group_advantages_normalize_std_ignored_always(rewards, normalize_std=True, eps=1e-06):
    return ref.group_advantages(rewards, True, eps)


@CATALOGUE.mistake(
    "group_advantages", "no ValueError for G = 1 or a nan reward", hint="", keeps_validation=False
)
def group_advantages_no_valueerror_g_1(rewards, normalize_std=True, eps=1e-06):
    r = np.asarray(rewards, dtype=float)
    if r.ndim != 2:
        raise ValueError("rewards must be 2-D")
    if eps < 0:
        raise ValueError("eps must be >= 0")
    if r.shape[1] < 2 or not np.all(np.isfinite(r)):
        return np.zeros_like(r)
    return ref.group_advantages(r, normalize_std, eps)


@CATALOGUE.mistake(
    "pass_at_k",
    "the biased 1 - (1 - c / n)**k",
    hint="1 - (1 - c / n)**k samples with replacement, a biased estimate: use 1 - C(n - c, k) / C(n, k)",
)
def pass_at_k_biased_1_1_c(n, c, k):
    return float(1.0 - (1.0 - c / n) ** k)


@CATALOGUE.mistake(
    "pass_at_k",
    "binomial coefficients as floats (overflow for large n)",
    hint="binomial coefficients such as C(1e6, 4e5) overflow any float (and cost a lot as integers): compute the product 1 - prod (1 - k / i) instead",
)
def pass_at_k_binomial_coefficients_floats_overflow(n, c, k):
    return 1.0 - float(math.comb(int(n - c), int(k))) / float(math.comb(int(n), int(k)))


@CATALOGUE.mistake(
    "pass_at_k",
    "log-gamma differences (digits lost for tiny values)",
    hint="1 - exp(sum log(...)) cancels when the value is tiny: use a product of the factors (1 - k / i), or -np.expm1(np.sum(np.log1p(-k / i))); log-gamma differences lose digits",
)
def pass_at_k_log_gamma_differences_digits(n, c, k):
    if n - c < k:
        return 1.0

    def log_comb(a, b):
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    return 1.0 - math.exp(log_comb(n - c, k) - log_comb(n, k))


@CATALOGUE.mistake(
    "pass_at_k",
    "returns C(n - c, k) / C(n, k), the probability that all k are wrong",
    hint="C(n - c, k) / C(n, k) is the probability that all k are wrong: pass@k is 1 minus it",
)
def pass_at_k_returns_c_n_c(n, c, k):
    return 1.0 - ref.pass_at_k(n, c, k)


@CATALOGUE.mistake("pass_at_k", "no ValueError for a non-integral argument", hint="", keeps_validation=False)
def pass_at_k_no_valueerror_non_integral(n, c, k):
    return ref.pass_at_k(round(n), round(c), round(k))


@CATALOGUE.mistake(
    "grpo_objective",
    "max instead of min in the clipped surrogate",
    hint="the surrogate is the minimum of rho * A and clip(rho) * A (the pessimistic bound), not the maximum",
)
def grpo_objective_max_min_clipped_surrogate(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(
        np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    )
    a = np.asarray(advantages, dtype=float)[:, None]
    o = np.where(m, np.maximum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a), 0.0)
    if aggregation == "sequence":
        return float(np.mean(o.sum(axis=1) / m.sum(axis=1)))
    return float(o.sum() / (m.sum() if aggregation == "token" else m.size))


@CATALOGUE.mistake(
    "grpo_objective",
    "padding counted in the mean",
    hint="padding (mask False) is counted: select the response tokens first, and average over them only",
)
def grpo_objective_padding_counted_mean(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    full = np.ones_like(np.asarray(mask, dtype=bool))
    return ref.grpo_objective(logp_new, logp_old, advantages, full, clip_eps, aggregation)


@CATALOGUE.mistake(
    "grpo_objective",
    "padding removed by multiplying with the mask (nan * 0 is nan)",
    hint="padding positions must not enter the computation: select the response tokens (np.where(mask, ..., 0) before exp), since nan * 0 is still nan",
)
def grpo_objective_padding_removed_multiplying_mask(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    value = ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        pollution = np.sum((np.asarray(logp_new, float) - np.asarray(logp_old, float)) * (1 - m) * 0.0)
    return float(value + pollution)


@CATALOGUE.mistake(
    "grpo_objective",
    "'sequence' averages each response over T instead of its own length",
    hint="'sequence' averages each response over its own length L_b (mask.sum(axis=1)), not over T",
)
def grpo_objective_sequence_averages_each_response(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    if aggregation != "sequence":
        return ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, "constant")


@CATALOGUE.mistake(
    "grpo_objective",
    "'constant' divides by the token count",
    hint="'constant' divides the sum by B * T (mask.size), not by the number of response tokens",
)
def grpo_objective_constant_divides_token_count(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    if aggregation != "constant":
        return ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, "token")


@CATALOGUE.mistake(
    "grpo_objective",
    "exp of the raw log-ratio (overflow warning for a huge ratio)",
    hint="exp(800) overflows although min(rho, 1 + clip_eps) * A is finite: cap the log-ratio first, np.exp(np.minimum(log_ratio, np.log1p(clip_eps))) for A >= 0",
)
def grpo_objective_exp_raw_log_ratio(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(
        np.where(m, np.asarray(logp_new, float) - np.where(m, np.asarray(logp_old, float), 0.0), 0.0)
    )
    a = np.asarray(advantages, dtype=float)[:, None]
    o = np.where(m, np.minimum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a), 0.0)
    if aggregation == "sequence":
        return float(np.mean(o.sum(axis=1) / m.sum(axis=1)))
    return float(o.sum() / (m.sum() if aggregation == "token" else m.size))


@CATALOGUE.mistake(
    "grpo_objective",
    "no ValueError for an unknown aggregation or an empty response",
    hint="",
    keeps_validation=False,
)
def grpo_objective_no_valueerror_unknown_aggregation(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    m = np.asarray(mask, dtype=bool)
    if aggregation not in ("sequence", "token", "constant"):
        aggregation = "token"
    if m.ndim == 2 and m.shape[0] > 0 and not np.all(m.any(axis=1)):
        return 0.0
    return ref.grpo_objective(logp_new, logp_old, advantages, m, clip_eps, aggregation)


@CATALOGUE.mistake(
    "grpo_objective_grad",
    "gradient through clipped tokens",
    hint="a clipped token (clip(rho) * A strictly below rho * A) carries no gradient: its value is constant in logp_new",
)
def grpo_objective_grad_gradient_through_clipped_tokens(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    a = np.asarray(advantages, dtype=float)[:, None]
    weights = {
        "sequence": 1.0 / (m.shape[0] * m.sum(axis=1, keepdims=True)),
        "token": 1.0 / m.sum(),
        "constant": 1.0 / m.size,
    }[aggregation]
    return np.where(m, weights * np.exp(log_ratio) * a, 0.0)


@CATALOGUE.mistake(
    "grpo_objective_grad",
    "gradient with respect to rho (the factor rho missing)",
    hint="d rho / d logp_new = rho: the gradient is w * rho * A, not w * A (you differentiated with respect to rho)",
)
def grpo_objective_grad_gradient_respect_rho_factor(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    grad = ref.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    return grad * np.exp(-log_ratio)


@CATALOGUE.mistake(
    "grpo_objective_grad",
    "clipped wherever rho leaves the range, whatever the sign of A",
    hint="clip only where it lowers the objective: the minimum picks rho * A for A > 0 when rho < 1 - clip_eps, and for A < 0 when rho > 1 + clip_eps",
)
def grpo_objective_grad_clipped_wherever_rho_leaves(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    grad = ref.grpo_objective_grad(logp_new, logp_old, advantages, mask, 0.999999, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    inside = (log_ratio >= np.log1p(-clip_eps)) & (log_ratio <= np.log1p(clip_eps))
    ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return np.where(inside, grad, 0.0)


@CATALOGUE.mistake(
    "grpo_objective_grad",
    "'sequence' weights 1 / (B * T)",
    hint="'sequence' weights each token by 1 / (B * L_b), with L_b the response's own length, not 1 / (B * T)",
)
def grpo_objective_grad_sequence_weights_1_b(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    if aggregation != "sequence":
        return ref.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return ref.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, "constant")


@CATALOGUE.mistake(
    "grpo_objective_grad",
    "padding gets gradient (weights not masked, nan on nan padding)",
    hint="padding gets no gradient: give it exactly 0 with np.where(mask, ..., 0.0)",
)
def grpo_objective_grad_padding_gets_gradient_weights(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    grad = ref.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    a = np.asarray(advantages, dtype=float)[:, None]
    weights = {
        "sequence": 1.0 / (m.shape[0] * m.sum(axis=1, keepdims=True)),
        "token": 1.0 / m.sum(),
        "constant": 1.0 / m.size,
    }[aggregation]
    return np.where(m, grad, weights * a)


@CATALOGUE.mistake(
    "grpo_objective_grad", "no ValueError for clip_eps outside (0, 1)", hint="", keeps_validation=False
)
def grpo_objective_grad_no_valueerror_clip_eps(
    logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"
):
    return ref.grpo_objective_grad(
        logp_new, logp_old, advantages, mask, min(max(clip_eps, 0.01), 0.99), aggregation
    )


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


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("group_advantages", "loops")
def group_advantages_loops(rewards, normalize_std=True, eps=1e-6):
    import statistics

    r = np.asarray(rewards, dtype=float)
    if r.ndim != 2 or r.shape[1] < 2:
        raise ValueError("rewards must be 2-D with G >= 2")
    if not np.all(np.isfinite(r)) or eps < 0:
        raise ValueError("rewards must be finite and eps >= 0")
    out = np.zeros_like(r)
    for p, row in enumerate(r.tolist()):
        if len(set(row)) == 1:
            continue
        mean = statistics.fmean(row)
        scale = statistics.stdev(row) + eps if normalize_std else 1.0
        for g, value in enumerate(row):
            out[p, g] = (value - mean) / scale
    return out


@CATALOGUE.correct("pass_at_k", "loops")
def pass_at_k_loops(n, c, k):
    for name, value in (("n", n), ("c", c), ("k", k)):
        if value != int(value):
            raise ValueError(f"{name} must be an integer")
    n, c, k = int(n), int(c), int(k)
    if n < 1:
        raise ValueError("n must be >= 1")
    if not 0 <= c <= n:
        raise ValueError("c must be in [0, n]")
    if not 1 <= k <= n:
        raise ValueError("k must be in [1, n]")
    if n - c < k:
        return 1.0
    all_wrong = 1.0
    for i in range(n - c + 1, n + 1):
        all_wrong *= 1.0 - k / i
    return 1.0 - all_wrong


@CATALOGUE.correct("grpo_objective", "loops")
def grpo_objective_loops(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    new, old = np.asarray(logp_new, dtype=float), np.asarray(logp_old, dtype=float)
    adv, m = np.asarray(advantages, dtype=float), np.asarray(mask, dtype=bool)
    if new.ndim != 2 or new.shape != old.shape or new.shape != m.shape or adv.shape != new.shape[:1]:
        raise ValueError("logp_new, logp_old, mask (B, T) and advantages (B,): shapes do not match")
    if new.shape[0] == 0:
        raise ValueError("logp_new is empty: B = 0")
    if not 0 < clip_eps < 1:
        raise ValueError("clip_eps must be in (0, 1)")
    if aggregation not in ("sequence", "token", "constant"):
        raise ValueError("unknown aggregation")
    per_response, tokens = [], 0
    for b in range(new.shape[0]):
        values = []
        for t in range(new.shape[1]):
            if m[b, t]:
                log_ratio = new[b, t] - old[b, t]
                bound = math.log1p(clip_eps) if adv[b] >= 0 else math.log1p(-clip_eps)
                capped = min(log_ratio, bound) if adv[b] >= 0 else max(log_ratio, bound)
                values.append(math.exp(capped) * adv[b])
        if not values:
            raise ValueError("mask: a response has no token")
        per_response.append(values)
        tokens += len(values)
    if aggregation == "sequence":
        return sum(sum(v) / len(v) for v in per_response) / len(per_response)
    total = sum(sum(v) for v in per_response)
    return total / (tokens if aggregation == "token" else m.size)


@CATALOGUE.correct("grpo_objective_grad", "loops")
def grpo_objective_grad_loops(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)  # validates the arguments
    new, old = np.asarray(logp_new, dtype=float), np.asarray(logp_old, dtype=float)
    adv, m = np.asarray(advantages, dtype=float), np.asarray(mask, dtype=bool)
    grad = np.zeros(new.shape)
    b_count, t_count = m.shape
    for b in range(b_count):
        length = int(m[b].sum())
        weight = {"sequence": 1 / (b_count * length), "token": 1 / m.sum(), "constant": 1 / m.size}[
            aggregation
        ]
        for t in range(t_count):
            if not m[b, t]:
                continue
            rho = math.exp(new[b, t] - old[b, t])
            clipped = (adv[b] > 0 and rho > 1 + clip_eps) or (adv[b] < 0 and rho < 1 - clip_eps)
            if not clipped:
                grad[b, t] = weight * rho * adv[b]
    return grad


@CATALOGUE.correct("pass_at_k", "exact rationals for small n, vectorised")
def pass_at_k_exact(n, c, k):
    import fractions

    for name, value in (("n", n), ("c", c), ("k", k)):
        if float(value) % 1 != 0:
            raise ValueError(f"{name} is not an integer: {value}")
    n, c, k = int(n), int(c), int(k)
    if n < 1 or not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError("need n >= 1, c in [0, n] and k in [1, n]")
    if n <= 1000:
        return float(1 - fractions.Fraction(math.comb(n - c, k), math.comb(n, k)))
    if n - c < k:
        return 1.0
    return float(-np.expm1(np.sum(np.log1p(-k / np.arange(n - c + 1, n + 1)))))


@CATALOGUE.correct("group_advantages", "exact rationals for small n, vectorised")
def group_advantages_exact(rewards, normalize_std=True, eps=1e-6):
    r = np.array(rewards, dtype=float)
    if r.ndim != 2:
        raise ValueError("rewards: expected 2-D")
    if r.shape[1] < 2:
        raise ValueError("rewards: a group needs G >= 2")
    if not np.isfinite(r).all():
        raise ValueError("rewards: non-finite value")
    if eps < 0:
        raise ValueError("eps < 0")
    spread = np.ptp(r, axis=1, keepdims=True) == 0
    adv = r - r.mean(axis=1, keepdims=True)
    if normalize_std:
        adv = adv / (r.std(axis=1, ddof=1, keepdims=True) + eps + spread)
    adv[np.broadcast_to(spread, adv.shape)] = 0.0
    return adv


@CATALOGUE.correct("grpo_objective", "exact rationals for small n, vectorised")
def grpo_objective_exact(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    return ref.grpo_objective(logp_new, logp_old, advantages, np.asarray(mask) != 0, clip_eps, aggregation)


@CATALOGUE.correct("grpo_objective_grad", "exact rationals for small n, vectorised")
def grpo_objective_grad_exact(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    ref.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    new = np.where(m, np.asarray(logp_new, dtype=float), 0.0)
    old = np.where(m, np.asarray(logp_old, dtype=float), 0.0)
    a = np.asarray(advantages, dtype=float)[:, None]
    rho = np.exp(np.where(a >= 0, np.minimum(new - old, 1.0), new - old))
    active = m & (rho * a <= np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a)
    weights = {
        "sequence": 1.0 / (m.shape[0] * m.sum(axis=1, keepdims=True)),
        "token": 1.0 / m.sum(),
        "constant": 1.0 / m.size,
    }[aggregation]
    return np.where(active, weights * rho * a, 0.0)


@CATALOGUE.correct("ratio_objective", "loops")
def ratio_objective_loops(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    new, old = np.asarray(logp_new, dtype=float), np.asarray(logp_old, dtype=float)
    adv, m = np.asarray(advantages, dtype=float), np.asarray(mask, dtype=bool)

    def clipped_term(log_rho, a):  # min(rho * A, clip(rho) * A), without overflow
        if a >= 0:
            return math.exp(min(log_rho, math.log1p(clip_high))) * a
        return math.exp(max(log_rho, math.log1p(-clip_low))) * a

    total, tokens = 0.0, 0
    for b in range(m.shape[0]):
        logs = [new[b, t] - old[b, t] for t in range(m.shape[1]) if m[b, t]]
        if method == "gspo":
            total += clipped_term(sum(logs) / len(logs), adv[b]) / m.shape[0]
            continue
        for t in range(m.shape[1]):
            if m[b, t]:
                tokens += 1
                if method == "ppo":
                    total += clipped_term(new[b, t] - old[b, t], adv[b])
                else:
                    log_w = min(max(new[b, t] - old[b, t], math.log1p(-clip_low)), math.log1p(clip_high))
                    total += math.exp(log_w) * adv[b] * new[b, t]
    return total if method == "gspo" else total / tokens


@CATALOGUE.correct("ratio_objective_grad", "loops")
def ratio_objective_grad_loops(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):
    ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    new, old = np.asarray(logp_new, dtype=float), np.asarray(logp_old, dtype=float)
    adv, m = np.asarray(advantages, dtype=float), np.asarray(mask, dtype=bool)
    grad = np.zeros(new.shape)
    n_tokens, n_responses = int(m.sum()), m.shape[0]
    low, high = math.log1p(-clip_low), math.log1p(clip_high)
    for b in range(n_responses):
        positions = [t for t in range(m.shape[1]) if m[b, t]]
        log_s = sum(new[b, t] - old[b, t] for t in positions) / len(positions)
        for t in positions:
            log_rho = log_s if method == "gspo" else new[b, t] - old[b, t]
            if method == "cispo":
                grad[b, t] = math.exp(min(max(log_rho, low), high)) * adv[b] / n_tokens
            elif (adv[b] >= 0 and log_rho <= high) or (adv[b] < 0 and log_rho >= low):
                weight = 1 / (n_responses * len(positions)) if method == "gspo" else 1 / n_tokens
                grad[b, t] = weight * math.exp(log_rho) * adv[b]
    return grad


@CATALOGUE.correct("token_entropy", "loops")
def token_entropy_loops(logits, mask):
    ref.token_entropy(logits, mask)
    z, m = np.asarray(logits, dtype=float), np.asarray(mask, dtype=bool)
    total, count = 0.0, 0
    for b, t in zip(*np.nonzero(m), strict=True):
        row = [float(v) for v in z[b, t]]
        top = max(row)
        log_norm = top + math.log(sum(math.exp(v - top) for v in row))
        total -= sum(math.exp(v - log_norm) * (v - log_norm) for v in row)
        count += 1
    return total / count


@CATALOGUE.correct("entropy_change", "loops")
def entropy_change_loops(logits, advantages, lr):
    ref.entropy_change(logits, advantages, lr)
    z, a = [float(v) for v in logits], [float(v) for v in advantages]
    top = max(z)
    log_norm = top + math.log(sum(math.exp(v - top) for v in z))
    log_pi = [v - log_norm for v in z]
    pi = [math.exp(v) for v in log_pi]
    entropy = -sum(p * lp for p, lp in zip(pi, log_pi, strict=True))
    mean_a = sum(p * v for p, v in zip(pi, a, strict=True))
    # grad H . delta, with dH / dz_j = -pi_j (log pi_j + H) and delta_j = lr pi_j (A_j - E[A])
    return sum(-p * (lp + entropy) * lr * p * (v - mean_a) for p, lp, v in zip(pi, log_pi, a, strict=True))


@CATALOGUE.correct("ratio_objective", "log-space")
def ratio_objective_log_space(
    logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28
):

    value = ref.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
    if method != "gspo":
        return value
    # GSPO in log space: log s_b is the mean log-ratio; the clipped term is sign(A) exp(log cap + log|A|)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, dtype=float), 0.0) - np.where(
        m, np.asarray(logp_old, dtype=float), 0.0
    )
    log_s = np.einsum("bt,b->b", log_ratio, 1.0 / m.sum(axis=1))
    adv = np.asarray(advantages, dtype=float)
    log_cap = np.where(
        adv >= 0, np.minimum(log_s, np.log1p(clip_high)), np.maximum(log_s, np.log1p(-clip_low))
    )
    return float(np.mean(np.sign(adv) * np.exp(log_cap + np.log(np.abs(adv) + (adv == 0)))))


@CATALOGUE.correct("token_entropy", "log-space")
def token_entropy_log_space(logits, mask):

    ref.token_entropy(logits, mask)
    z = np.asarray(logits, dtype=float)[np.asarray(mask, dtype=bool)]
    log_norm = np.logaddexp.reduce(z - z.max(axis=-1, keepdims=True), axis=-1) + z.max(axis=-1)
    pi = np.exp(z - log_norm[:, None])
    # H = log Z - E_pi[z]
    return float(np.mean(log_norm - np.sum(pi * z, axis=-1)))


@CATALOGUE.correct("entropy_change", "log-space")
def entropy_change_log_space(logits, advantages, lr):

    ref.entropy_change(logits, advantages, lr)
    z, a = np.asarray(logits, dtype=float), np.asarray(advantages, dtype=float)
    log_pi = z - np.logaddexp.reduce(z)
    pi = np.exp(log_pi)
    delta = lr * pi * (a - pi @ a)
    # -Cov_pi(log pi, delta) = -(E[log pi * delta] - E[log pi] E[delta])
    return float(-(pi @ (log_pi * delta) - (pi @ log_pi) * (pi @ delta)))
