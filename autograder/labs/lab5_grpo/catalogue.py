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
