"""The known mistakes of lab4_dpo's functions (see `autograder.catalogue`): each entry computes what
that mistake returns; the grader shows its hint when a learner's value matches it."""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab4_dpo.lab import ref

CATALOGUE = Catalogue("lab4_dpo")


@CATALOGUE.mistake(
    "dpo_loss", "beta missing: -log sigmoid(m)", hint="`beta` is missing: the loss is -log sigmoid(beta * m)"
)
def dpo_loss_beta_missing_log_sigmoid(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -((pc - rc) - (pr - rr)))))


@CATALOGUE.mistake(
    "dpo_loss",
    "beta only on the policy terms",
    hint="`beta` multiplies the whole margin, reference terms included: beta * m with m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)",
)
def dpo_loss_beta_only_policy_terms(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * (pc - pr) - (rc - rr)))))


@CATALOGUE.mistake(
    "dpo_loss",
    "reference terms added instead of subtracted",
    hint="subtract the reference log-probs, m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps) (you added them)",
)
def dpo_loss_reference_terms_added_subtracted(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((pc + rc) - (pr + rr)))))


@CATALOGUE.mistake(
    "dpo_loss",
    "sigmoid(z) for sigmoid(-z): -log sigmoid(-beta * m)",
    hint="the margin has the wrong sign: the loss is -log sigmoid(+beta * m) = log(1 + exp(-beta * m)) with m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps) (you computed -log sigmoid(-beta * m): sigmoid(z) for sigmoid(-z), reference minus policy, or chosen and rejected swapped)",
)
def dpo_loss_sigmoid_z_sigmoid_z(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, beta * ((pc - rc) - (pr - rr)))))


@CATALOGUE.mistake(
    "dpo_loss",
    "reference minus policy in each bracket",
    hint="the margin has the wrong sign: the loss is -log sigmoid(+beta * m) = log(1 + exp(-beta * m)) with m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps) (you computed -log sigmoid(-beta * m): sigmoid(z) for sigmoid(-z), reference minus policy, or chosen and rejected swapped)",
)
def dpo_loss_reference_minus_policy_each(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((rc - pc) - (rr - pr)))))


@CATALOGUE.mistake(
    "dpo_loss", "sum over pairs instead of mean", hint="average over the pairs (np.mean), do not sum"
)
def dpo_loss_sum_over_pairs_mean(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    loss = ref.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    return loss * len(np.asarray(policy_chosen_logps))


@CATALOGUE.mistake(
    "dpo_loss",
    "naive log-sigmoid: -log(1 / (1 + exp(-x)))",
    hint="exp(-beta * m) overflows for large negative margins: write -log sigmoid(x) as np.logaddexp(0, -x), which is log(1 + exp(-x)) without the overflow",
)
def dpo_loss_naive_log_sigmoid_log(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    sigmoid = 1.0 / (1.0 + np.exp(-beta * ((pc - rc) - (pr - rr))))
    return float(np.mean(-np.log(sigmoid)))


@CATALOGUE.mistake(
    "dpo_loss",
    "log1p(exp(-x)): overflows for large negative margins",
    hint="exp(-beta * m) overflows for large negative margins: write -log sigmoid(x) as np.logaddexp(0, -x), which is log(1 + exp(-x)) without the overflow",
)
def dpo_loss_log1p_exp_x_overflows(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.log1p(np.exp(-beta * ((pc - rc) - (pr - rr))))))


@CATALOGUE.mistake("dpo_loss", "checks beta < 0 instead of beta <= 0", hint="", keeps_validation=False)
def dpo_loss_checks_beta_0_beta(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if beta == 0:
        return float(np.log(2.0))
    return ref.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )


@CATALOGUE.mistake("dpo_loss", "no validation of the lengths", hint="", keeps_validation=False)
def dpo_loss_no_validation_lengths(
    policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
):
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    n = min(len(pc), len(pr), len(rc), len(rr))
    margin = (pc[:n] - rc[:n]) - (pr[:n] - rr[:n])
    return float(np.mean(np.logaddexp(0.0, -beta * margin)))


@CATALOGUE.mistake(
    "implicit_reward",
    "raw logits: beta * (logits - ref_logits), right only up to a constant",
    hint="use log-probabilities, not raw logits: beta * (log_softmax(logits) - log_softmax(ref_logits)); beta * (logits - ref_logits) is off by a constant",
)
def implicit_reward_raw_logits_beta_logits(logits, ref_logits, beta):
    return beta * (np.asarray(logits, float) - np.asarray(ref_logits, float))


@CATALOGUE.mistake(
    "implicit_reward",
    "log(softmax) without subtracting the maximum",
    hint="exp(1000) overflows: subtract the maximum before exp (stable log_softmax)",
)
def implicit_reward_log_softmax_without_subtracting(logits, ref_logits, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    pi, pi_ref = np.exp(z) / np.exp(z).sum(), np.exp(z_ref) / np.exp(z_ref).sum()
    return beta * (np.log(pi) - np.log(pi_ref))


@CATALOGUE.mistake(
    "implicit_reward", "divides by beta instead of multiplying", hint="multiply by beta, do not divide"
)
def implicit_reward_divides_beta_multiplying(logits, ref_logits, beta):
    return ref.implicit_reward(logits, ref_logits, beta) / beta**2


@CATALOGUE.mistake(
    "implicit_reward",
    "reference minus policy",
    hint="policy minus reference: beta * (log pi - log pi_ref), not the other way round",
)
def implicit_reward_reference_minus_policy(logits, ref_logits, beta):
    return ref.implicit_reward(ref_logits, logits, beta)


@CATALOGUE.mistake("implicit_reward", "no validation of shapes and beta", hint="", keeps_validation=False)
def implicit_reward_no_validation_shapes_beta(logits, ref_logits, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi = z - z.max() - np.log(np.exp(z - z.max()).sum())
    log_ref = z_ref - z_ref.max() - np.log(np.exp(z_ref - z_ref.max()).sum())
    return abs(beta) * (log_pi - log_ref[: len(log_pi)])


@CATALOGUE.mistake(
    "dpo_gradient",
    "the outer beta missing",
    hint="`beta` appears twice: it scales the margin inside sigmoid and multiplies the result",
)
def dpo_gradient_outer_beta_missing(logits, ref_logits, chosen, rejected, beta):
    return ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta) / beta


@CATALOGUE.mistake(
    "dpo_gradient",
    "weighted by sigmoid(+beta * m) instead of sigmoid(-beta * m)",
    hint="weight each pair by sigmoid(-beta * m_i), the probability of the wrong order, not sigmoid(+beta * m_i)",
)
def dpo_gradient_weighted_sigmoid_beta_m(logits, ref_logits, chosen, rejected, beta):
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, -(rewards[chosen] - rewards[rejected])))
    k = rewards.size
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / chosen.size


@CATALOGUE.mistake(
    "dpo_gradient",
    "softmax baseline kept: d m / d logits = onehot(c) - pi - onehot(r)",
    hint="the softmax baseline cancels: d m_i / d logits = onehot(c_i) - onehot(r_i), with no -pi term",
)
def dpo_gradient_softmax_baseline_kept_d(logits, ref_logits, chosen, rejected, beta):
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    z = np.asarray(logits, float)
    pi = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    onehot = np.eye(rewards.size)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    return -beta * (weight @ (onehot[chosen] - pi - onehot[rejected])) / chosen.size


@CATALOGUE.mistake(
    "dpo_gradient",
    "repeated indices not accumulated: grad[chosen] -= w",
    hint="pairs that share a response must add up: `grad[chosen] -= w` keeps one update per index; use np.add.at or np.bincount",
)
def dpo_gradient_repeated_indices_not_accumulated(logits, ref_logits, chosen, rejected, beta):
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    grad = np.zeros(rewards.size)
    grad[chosen] -= weight
    grad[rejected] += weight
    return beta * grad / chosen.size


@CATALOGUE.mistake(
    "dpo_gradient",
    "sign flipped: the gradient of the reward, not of the loss",
    hint="the gradient of -log sigmoid(x) is -sigmoid(-x): you pushed the wrong way (flip the sign)",
)
def dpo_gradient_sign_flipped_gradient_reward(logits, ref_logits, chosen, rejected, beta):
    return -ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta)


@CATALOGUE.mistake(
    "dpo_gradient", "divided by K instead of n", hint="divide by n, the number of pairs, not by K"
)
def dpo_gradient_divided_k_n(logits, ref_logits, chosen, rejected, beta):
    grad = ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    return grad * len(np.asarray(chosen)) / len(np.asarray(logits))


@CATALOGUE.mistake(
    "dpo_gradient", "sum over pairs instead of mean", hint="the gradient of the mean: divide by n"
)
def dpo_gradient_sum_over_pairs_mean(logits, ref_logits, chosen, rejected, beta):
    return ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta) * len(np.asarray(chosen))


@CATALOGUE.mistake(
    "dpo_gradient",
    "naive sigmoid 1 / (1 + exp(x)): overflow warnings",
    hint="1 / (1 + np.exp(x)) overflows for large x: use np.exp(-np.logaddexp(0, x))",
)
def dpo_gradient_naive_sigmoid_1_1(logits, ref_logits, chosen, rejected, beta):
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    weight = 1.0 / (1.0 + np.exp(rewards[chosen] - rewards[rejected]))
    k = rewards.size
    return beta * (np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)) / chosen.size


@CATALOGUE.mistake("dpo_gradient", "no validation of indices, lengths and n", hint="", keeps_validation=False)
def dpo_gradient_no_validation_indices_lengths(logits, ref_logits, chosen, rejected, beta):
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    chosen, rejected = np.asarray(chosen, dtype=np.int64), np.asarray(rejected, dtype=np.int64)
    k = rewards.size
    chosen, rejected = chosen % k, rejected % k
    n = min(chosen.size, rejected.size)
    chosen, rejected = chosen[:n], rejected[:n]
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / max(n, 1)


@CATALOGUE.mistake(
    "dpo_family_loss",
    "IPO's target 1 / beta instead of 1 / (2 beta)",
    hint="IPO's target is 1 / (2 * beta): (h - 1 / (2 * beta))**2, not (h - 1 / beta)**2",
)
def dpo_family_loss_ipo_s_target_1(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "ipo":
        return float(np.mean((np.asarray(margins, float) - 1 / beta) ** 2))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "hinge without beta: max(0, 1 - h)",
    hint="`beta` multiplies the margin in the hinge: max(0, 1 - beta * h)",
)
def dpo_family_loss_hinge_without_beta_max(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        return float(np.mean(np.maximum(0.0, 1 - np.asarray(margins, float))))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "hinge without the max: mean(1 - beta * h)",
    hint="the hinge is max(0, 1 - beta * h): keep the max with 0",
)
def dpo_family_loss_hinge_without_max_mean(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        return float(np.mean(1 - beta * np.asarray(margins, float)))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "label smoothing on the wrong term",
    hint="label smoothing weighs the swapped order: -(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h) (you put eps on the wrong term)",
)
def dpo_family_loss_label_smoothing_wrong_term(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean(eps * np.logaddexp(0, -beta * h) + (1 - eps) * np.logaddexp(0, beta * h)))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "label smoothing without the 1 - eps on the labelled order",
    hint="the labelled order gets weight 1 - eps, not 1: -(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h)",
)
def dpo_family_loss_label_smoothing_without_1(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean(np.logaddexp(0, -beta * h) + eps * np.logaddexp(0, beta * h)))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "sigmoid with the wrong sign: -log sigmoid(-beta * h)",
    hint="the margin has the wrong sign: the loss is -log sigmoid(+beta * h) = np.logaddexp(0, -beta * h)",
)
def dpo_family_loss_sigmoid_wrong_sign_log(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean((1 - eps) * np.logaddexp(0, beta * h) + eps * np.logaddexp(0, -beta * h)))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss", "sum over pairs instead of mean", hint="average over the pairs (np.mean), do not sum"
)
def dpo_family_loss_sum_over_pairs_mean(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return ref.dpo_family_loss(margins, beta, kind, label_smoothing) * np.size(margins)


@CATALOGUE.mistake(
    "dpo_family_loss",
    "unstable log-sigmoid: log(1 + exp(-x))",
    hint="exp(-beta * h) overflows for large |beta * h|: write -log sigmoid(x) as np.logaddexp(0, -x)",
)
def dpo_family_loss_unstable_log_sigmoid_log(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        return float(np.mean((1 - eps) * np.log(1 + np.exp(-x)) + eps * np.log(1 + np.exp(x))))
    return loss


@CATALOGUE.mistake(
    "dpo_family_loss",
    "ipo and hinge accept a label_smoothing (and ignore it)",
    hint="",
    keeps_validation=False,
)
def dpo_family_loss_ipo_hinge_accept_label(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return ref.dpo_family_loss(margins, beta, kind, label_smoothing if kind == "sigmoid" else 0.0)


@CATALOGUE.mistake(
    "dpo_family_loss", "margins flattened instead of rejected when not 1-D", hint="", keeps_validation=False
)
def dpo_family_loss_margins_flattened_rejected_when(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return ref.dpo_family_loss(np.ravel(margins) if np.size(margins) else [0.0], beta, kind, label_smoothing)


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "gradient without the mean's 1 / n",
    hint="the gradient of the mean: divide by n, the number of pairs",
)
def dpo_family_loss_grad_gradient_without_mean_s(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing) * np.size(margins)


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "hinge gradient -beta / n at the kink too (>= instead of >)",
    hint="at the kink 1 - beta * h = 0 the gradient is 0: use -beta / n only where 1 - beta * h > 0 (strictly), not >= 0",
)
def dpo_family_loss_grad_hinge_gradient_beta_n(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        h = np.asarray(margins, float)
        return np.where(1 - beta * h >= 0, -beta / h.size, 0.0)
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "hinge gradient without beta",
    hint="`beta` multiplies the margin in the hinge: max(0, 1 - beta * h), so its gradient is -beta / n where 1 - beta * h > 0",
)
def dpo_family_loss_grad_hinge_gradient_without_beta(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        h = np.asarray(margins, float)
        return np.where(1 - h > 0, -1.0 / h.size, 0.0)
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "ipo gradient without the factor 2",
    hint="d/dh (h - c)**2 = 2 * (h - c): the factor 2 is missing",
)
def dpo_family_loss_grad_ipo_gradient_without_factor(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    return grad / 2 if kind == "ipo" else grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "ipo gradient with the target 1 / beta",
    hint="IPO's target is 1 / (2 * beta): (h - 1 / (2 * beta))**2, not (h - 1 / beta)**2",
)
def dpo_family_loss_grad_ipo_gradient_target_1(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "ipo":
        h = np.asarray(margins, float)
        return 2 * (h - 1 / beta) / h.size
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "label smoothing on the wrong term",
    hint="label smoothing weighs the swapped order: -(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h) (you put eps on the wrong term)",
)
def dpo_family_loss_grad_label_smoothing_wrong_term(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = np.exp(-np.logaddexp(0, -x)), np.exp(-np.logaddexp(0, x))
        return beta * (-eps * minus + (1 - eps) * plus) / x.size
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "sigmoid gradient weighted by sigmoid(+beta * h)",
    hint="d/dx [-log sigmoid(x)] = -sigmoid(-x): weight by sigmoid(-beta * h), not sigmoid(+beta * h)",
)
def dpo_family_loss_grad_sigmoid_gradient_weighted_sigmoid(
    margins, beta, kind="sigmoid", label_smoothing=0.0
):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = np.exp(-np.logaddexp(0, -x)), np.exp(-np.logaddexp(0, x))
        return beta * (-(1 - eps) * plus + eps * minus) / x.size
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad", "sign flipped", hint="the gradient of the loss, not of the reward: flip the sign"
)
def dpo_family_loss_grad_sign_flipped(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return -ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "naive sigmoid 1 / (1 + exp(-x)): overflow warnings",
    hint="1 / (1 + np.exp(-x)) overflows for large |x|: compute sigmoid(x) as np.exp(-np.logaddexp(0, -x))",
)
def dpo_family_loss_grad_naive_sigmoid_1_1(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))
        return beta * (-(1 - eps) * minus + eps * plus) / x.size
    return grad


@CATALOGUE.mistake(
    "dpo_family_loss_grad",
    "ipo and hinge accept a label_smoothing (and ignore it)",
    hint="",
    keeps_validation=False,
)
def dpo_family_loss_grad_ipo_hinge_accept_label(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return ref.dpo_family_loss_grad(margins, beta, kind, label_smoothing if kind == "sigmoid" else 0.0)


# --- simpo_loss -----------------------------------------------------------------------------


@CATALOGUE.mistake(
    "simpo_loss",
    "summed log-probabilities, not divided by the lengths",
    hint="SimPO's reward is length-normalised: divide each summed log-probability by its own length, "
    "chosen_logps / chosen_lengths - rejected_logps / rejected_lengths (you used the sums)",
)
def simpo_without_length_normalisation(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    difference = np.asarray(chosen_logps, float) - np.asarray(rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * difference - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "divides by the total length of the pair",
    hint="divide each response by its *own* length: chosen_logps / chosen_lengths - rejected_logps / "
    "rejected_lengths (you divided the difference by the pair's total length)",
)
def simpo_one_length_per_pair(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    difference = np.asarray(chosen_logps, float) - np.asarray(rejected_logps, float)
    total = np.asarray(chosen_lengths, float) + np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * difference / total - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "gamma added instead of subtracted",
    hint="gamma is a target margin: subtract it, -log sigmoid(beta * diff - gamma) (you added it)",
)
def simpo_gamma_added(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff + gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "gamma inside beta: beta * (diff - gamma)",
    hint="gamma is subtracted after beta scales the difference: beta * diff - gamma, "
    "not beta * (diff - gamma)",
)
def simpo_gamma_inside_beta(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -beta * (diff - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "rejected minus chosen",
    hint="chosen minus rejected: the loss is -log sigmoid(beta * (chosen_logps / chosen_lengths - "
    "rejected_logps / rejected_lengths) - gamma) (you have the difference the other way round)",
)
def simpo_rejected_minus_chosen(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(rejected_logps, float) / np.asarray(rejected_lengths, float) - np.asarray(
        chosen_logps, float
    ) / np.asarray(chosen_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff - gamma))))


SIMPO_OVERFLOW = "exp(-x) overflows for a large negative x = beta * diff - gamma: write -log sigmoid(x) as np.logaddexp(0, -x)"


@CATALOGUE.mistake(
    "simpo_loss",
    "naive log-sigmoid: -log(1 / (1 + exp(-x)))",
    hint=SIMPO_OVERFLOW,
)
def simpo_naive_log_sigmoid(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(-np.log(1.0 / (1.0 + np.exp(-(beta * diff - gamma))))))


INTEGRAL_FLOATS = (
    "a whole-number float such as 3.0 is a valid length: test the values "
    "(lengths == np.floor(lengths), lengths >= 1), not the dtype"
)


@CATALOGUE.mistake("simpo_loss", "rejects lengths given as floats", hint=INTEGRAL_FLOATS)
def simpo_rejects_float_lengths(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    for lengths in (chosen_lengths, rejected_lengths):
        if not np.issubdtype(np.asarray(lengths).dtype, np.integer):
            raise ValueError(f"chosen_lengths must hold integers, got {lengths}")
    return ref.simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta, gamma)


@CATALOGUE.mistake(
    "simpo_loss", "lengths not validated (0 or 2.5 tokens accepted)", hint="", keeps_validation=False
)
def simpo_lengths_unchecked(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff - gamma))))


# --- kto_loss -------------------------------------------------------------------------------


@CATALOGUE.mistake(
    "kto_loss",
    "undesirable examples: sigmoid(beta * (r - z0)), the reference point on the wrong side",
    hint="an undesirable example's value is lambda_u * sigmoid(beta * (z0 - r)): the reference point "
    "minus r, so that pushing r down raises it (you used r - z0 for both kinds)",
)
def kto_undesirable_wrong_side(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    value = np.where(labels, lambda_d, lambda_u) * np.exp(-np.logaddexp(0.0, -beta * (r - kl_ref)))
    return float(np.mean(np.where(labels, lambda_d, lambda_u) - value))


@CATALOGUE.mistake(
    "kto_loss",
    "lambda_d and lambda_u swapped",
    hint="lambda_d weighs the desirable examples and lambda_u the undesirable ones (you swapped them)",
)
def kto_lambdas_swapped(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    return ref.kto_loss(policy_logps, ref_logps, desirable, beta, kl_ref, lambda_u, lambda_d)


@CATALOGUE.mistake(
    "kto_loss",
    "mean of the values, not of lambda - v",
    hint="the loss is mean(lambda_i - v_i), what the values fall short of their weights (you averaged "
    "the values v_i themselves, which training should raise, not lower)",
)
def kto_mean_of_values(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    above = beta * (r - kl_ref)
    sigmoid = np.exp(-np.logaddexp(0.0, -np.where(labels, above, -above)))
    return float(np.mean(np.where(labels, lambda_d, lambda_u) * sigmoid))


@CATALOGUE.mistake(
    "kto_loss",
    "reference point ignored: sigmoid(beta * r)",
    hint="compare r with the reference point: sigmoid(beta * (r - kl_ref)) for a desirable example, "
    "sigmoid(beta * (kl_ref - r)) for an undesirable one (kl_ref is missing)",
)
def kto_reference_point_ignored(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    return ref.kto_loss(policy_logps, ref_logps, desirable, beta, 0.0, lambda_d, lambda_u)


@CATALOGUE.mistake(
    "kto_loss",
    "beta missing: sigmoid(r - z0)",
    hint="`beta` is missing: sigmoid(beta * (r - kl_ref))",
)
def kto_beta_missing(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    return ref.kto_loss(policy_logps, ref_logps, desirable, 1.0, kl_ref, lambda_d, lambda_u)


@CATALOGUE.mistake(
    "kto_loss",
    "one mean per kind, then their average",
    hint="average over all examples at once: mean_i (lambda_i - v_i) (you averaged the desirable and "
    "the undesirable examples separately, then took the mean of the two)",
)
def kto_mean_per_kind(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    policy, reference = np.asarray(policy_logps, float), np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    means = [
        ref.kto_loss(policy[kind], reference[kind], labels[kind], beta, kl_ref, lambda_d, lambda_u)
        for kind in (labels, ~labels)
        if np.any(kind)
    ]
    return float(np.mean(means))


KTO_OVERFLOW = "np.exp overflows for a large |x| = |beta * (r - kl_ref)|: compute sigmoid(x) as np.exp(-np.logaddexp(0, -x))"


@CATALOGUE.mistake(
    "kto_loss",
    "naive sigmoid: 1 / (1 + exp(-x))",
    hint=KTO_OVERFLOW,
)
def kto_naive_sigmoid(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    above = beta * (r - kl_ref)
    value = 1.0 / (1.0 + np.exp(-np.where(labels, above, -above)))
    weights = np.where(labels, lambda_d, lambda_u)
    return float(np.mean(weights - weights * value))


@CATALOGUE.mistake(
    "kto_loss", "desirable not checked: 0 and 1 accepted as labels", hint="", keeps_validation=False
)
def kto_labels_unchecked(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    return ref.kto_loss(
        policy_logps, ref_logps, np.asarray(desirable).astype(bool), beta, kl_ref, lambda_d, lambda_u
    )


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("dpo_loss", "loops")
def dpo_loss_loops(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if not beta > 0:
        raise ValueError("beta must be positive")
    arrays = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    columns = [list(np.asarray(a, dtype=float)) for a in arrays]
    names = ("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps")
    for name, column in zip(names, columns, strict=False):
        if len(column) != len(columns[0]):
            raise ValueError(f"{name} has length {len(column)}, expected {len(columns[0])}")
    total = 0.0
    for pc, pr, rc, rr in zip(*columns, strict=False):
        x = beta * ((pc - rc) - (pr - rr))
        # -log sigmoid(x) = log(1 + exp(-x)), split by sign so that exp never overflows
        total += np.log1p(np.exp(-x)) if x >= 0 else -x + np.log1p(np.exp(x))
    return total / len(columns[0])


@CATALOGUE.correct("implicit_reward", "loops")
def implicit_reward_loops(logits, ref_logits, beta):
    if beta <= 0:
        raise ValueError("beta must be > 0")
    z, z_ref = list(np.asarray(logits, dtype=float)), list(np.asarray(ref_logits, dtype=float))
    if len(z) != len(z_ref):
        raise ValueError("logits and ref_logits must have the same shape")

    def log_softmax(values):
        top = max(values)
        log_total = np.log(sum(np.exp(v - top) for v in values))
        return [v - top - log_total for v in values]

    return np.array([beta * (a - b) for a, b in zip(log_softmax(z), log_softmax(z_ref), strict=False)])


@CATALOGUE.correct("dpo_gradient", "loops")
def dpo_gradient_loops(logits, ref_logits, chosen, rejected, beta):
    rewards = ref.implicit_reward(logits, ref_logits, beta)
    chosen, rejected = list(np.asarray(chosen)), list(np.asarray(rejected))
    if len(chosen) != len(rejected):
        raise ValueError("chosen and rejected must have the same length")
    if not chosen:
        raise ValueError("chosen and rejected hold no pair")
    for name, indices in (("chosen", chosen), ("rejected", rejected)):
        for i in indices:
            if not 0 <= i < len(rewards):
                raise ValueError(f"{name} holds {i}, outside [0, {len(rewards)})")
    grad = np.zeros(len(rewards))
    for c, r in zip(chosen, rejected, strict=False):
        x = rewards[c] - rewards[r]
        wrong_order = np.exp(-x) / (1 + np.exp(-x)) if x >= 0 else 1 / (1 + np.exp(x))  # sigmoid(-x)
        grad[c] -= beta * wrong_order / len(chosen)
        grad[r] += beta * wrong_order / len(chosen)
    return grad


@CATALOGUE.correct("dpo_loss", "softplus form")
def dpo_loss_softplus(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    arrays = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    pc, pr, rc, rr = (np.asarray(a, dtype=float) for a in arrays)
    if not pc.shape == pr.shape == rc.shape == rr.shape:
        raise ValueError("the four *_logps arrays must have the same length")
    if beta <= 0:
        raise ValueError(f"beta = {beta}: beta must be > 0")
    x = beta * ((pc - pr) - (rc - rr))  # the same margin, grouped as policy gap minus reference gap
    softplus_minus_x = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return float(softplus_minus_x.mean())


@CATALOGUE.correct("implicit_reward", "softplus form")
def implicit_reward_softplus(logits, ref_logits, beta):
    if beta <= 0:
        raise ValueError("beta must be > 0")
    z, z_ref = np.asarray(logits, dtype=float), np.asarray(ref_logits, dtype=float)
    if z.shape != z_ref.shape:
        raise ValueError(f"shape of ref_logits {z_ref.shape} differs from logits {z.shape}")
    difference = (z - z_ref) - (np.logaddexp.reduce(z) - np.logaddexp.reduce(z_ref))
    return beta * difference


@CATALOGUE.correct("dpo_gradient", "softplus form")
def dpo_gradient_softplus(logits, ref_logits, chosen, rejected, beta):
    z, z_ref = np.asarray(logits, dtype=float), np.asarray(ref_logits, dtype=float)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    if beta <= 0:
        raise ValueError("beta must be > 0")
    if z.shape != z_ref.shape:
        raise ValueError("logits and ref_logits differ in shape")
    if chosen.shape != rejected.shape:
        raise ValueError("chosen and rejected differ in length")
    if chosen.size == 0:
        raise ValueError("need at least one pair in chosen/rejected")
    for name, index in (("chosen", chosen), ("rejected", rejected)):
        if index.min() < 0 or index.max() >= z.size:
            raise ValueError(f"{name} has an index outside [0, K)")
    # logsumexp cancels in a difference of two log-probabilities of the same policy: raw logits will do
    x = beta * ((z[chosen] - z[rejected]) - (z_ref[chosen] - z_ref[rejected]))
    wrong_order = 0.5 * (1.0 - np.tanh(x / 2.0))  # sigmoid(-x), stable for any x
    grad = np.zeros_like(z)
    np.add.at(grad, chosen, -wrong_order)
    np.add.at(grad, rejected, wrong_order)
    return beta * grad / chosen.size


@CATALOGUE.correct("dpo_family_loss", "loops")
def dpo_family_loss_loops(margins, beta, kind="sigmoid", label_smoothing=0.0):
    if kind not in ("sigmoid", "ipo", "hinge"):
        raise ValueError(f"unknown kind {kind!r}")
    if not beta > 0:
        raise ValueError("beta must be > 0")
    if not 0 <= label_smoothing < 0.5 or (kind != "sigmoid" and label_smoothing != 0):
        raise ValueError("label_smoothing must be in [0, 0.5), and 0 unless kind is 'sigmoid'")
    h = np.asarray(margins, dtype=float)
    if h.ndim != 1 or len(h) == 0:
        raise ValueError("margins must be a non-empty 1-D array")

    def softplus(x):  # log(1 + exp(x)) without overflow
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    total = 0.0
    for value in h.tolist():
        if kind == "ipo":
            total += (value - 1 / (2 * beta)) ** 2
        elif kind == "hinge":
            total += max(0.0, 1 - beta * value)
        else:
            total += (1 - label_smoothing) * softplus(-beta * value) + label_smoothing * softplus(
                beta * value
            )
    return total / len(h)


@CATALOGUE.correct("dpo_family_loss_grad", "loops")
def dpo_family_loss_grad_loops(margins, beta, kind="sigmoid", label_smoothing=0.0):
    ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    h = np.asarray(margins, dtype=float).tolist()

    def sigmoid(x):
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))

    grad = []
    for value in h:
        if kind == "ipo":
            grad.append(2 * (value - 1 / (2 * beta)) / len(h))
        elif kind == "hinge":
            grad.append(-beta / len(h) if 1 - beta * value > 0 else 0.0)
        else:
            x, eps = beta * value, label_smoothing
            grad.append(beta * (-(1 - eps) * sigmoid(-x) + eps * sigmoid(x)) / len(h))
    return np.array(grad)


@CATALOGUE.correct("dpo_family_loss", "softplus form")
def dpo_family_loss_softplus(margins, beta, kind="sigmoid", label_smoothing=0.0):
    h = np.asarray(margins, dtype=float)
    checks = {
        "kind": kind in {"sigmoid", "ipo", "hinge"},
        "beta": beta > 0,
        "label_smoothing": 0 <= label_smoothing < 0.5 and (kind == "sigmoid" or label_smoothing == 0),
        "margins": h.ndim == 1 and h.size > 0,
    }
    for name, ok in checks.items():
        if not ok:
            raise ValueError(f"invalid {name}")
    x = beta * h
    if kind == "ipo":
        per_pair = np.square(x - 0.5) / beta**2  # (h - 1 / (2 beta))**2, scaled by beta first
    elif kind == "hinge":
        per_pair = np.clip(1 - x, 0.0, None)
    else:
        # -log sigmoid(x) = softplus(-x) = max(-x, 0) + log1p(exp(-|x|)); softplus(x) - softplus(-x) = x
        softplus_minus = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))
        per_pair = softplus_minus + label_smoothing * x
    return float(per_pair.mean())


@CATALOGUE.correct("dpo_family_loss_grad", "softplus form")
def dpo_family_loss_grad_softplus(margins, beta, kind="sigmoid", label_smoothing=0.0):
    ref.dpo_family_loss(margins, beta, kind, label_smoothing)
    h = np.asarray(margins, dtype=float)
    x = beta * h
    if kind == "ipo":
        return 2 * (x - 0.5) / beta / h.size
    if kind == "hinge":
        return -beta * (x < 1).astype(float) / h.size
    # d/dx [softplus(-x) + eps * x] = -sigmoid(-x) + eps, with sigmoid(-x) = (1 - tanh(x / 2)) / 2
    return beta * (-(1 - np.tanh(x / 2)) / 2 + label_smoothing) / h.size


@CATALOGUE.correct("simpo_loss", "loops")
def simpo_loss_loops(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    if not beta > 0:
        raise ValueError("beta must be positive")
    if not gamma >= 0:
        raise ValueError("gamma must be >= 0")
    names = ("chosen_logps", "rejected_logps", "chosen_lengths", "rejected_lengths")
    columns = [list(np.asarray(a)) for a in (chosen_logps, rejected_logps, chosen_lengths, rejected_lengths)]
    for name, column in zip(names, columns, strict=False):
        if len(column) != len(columns[0]):
            raise ValueError(f"{name} has length {len(column)}, expected {len(columns[0])}")
    if not columns[0]:
        raise ValueError("chosen_logps is empty")
    for name, column in zip(names[2:], columns[2:], strict=False):
        for length in column:
            if isinstance(length, bool | np.bool_) or length < 1 or int(length) != length:
                raise ValueError(f"{name} holds {length}, not a token count")
    total = 0.0
    for c, r, lc, lr in zip(*columns, strict=False):
        x = beta * (float(c) / float(lc) - float(r) / float(lr)) - gamma
        # -log sigmoid(x) = log(1 + exp(-x)), split by sign so that exp never overflows
        total += math.log1p(math.exp(-x)) if x >= 0 else -x + math.log1p(math.exp(x))
    return total / len(columns[0])


@CATALOGUE.correct("kto_loss", "loops")
def kto_loss_loops(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    for name, value in (("beta", beta), ("lambda_d", lambda_d), ("lambda_u", lambda_u)):
        if not value > 0:
            raise ValueError(f"{name} must be > 0")
    if not kl_ref >= 0:
        raise ValueError("kl_ref must be >= 0")
    policy, reference, labels = list(policy_logps), list(ref_logps), list(desirable)
    if len(reference) != len(policy):
        raise ValueError("ref_logps and policy_logps differ in length")
    if len(labels) != len(policy):
        raise ValueError("desirable and policy_logps differ in length")
    if not policy:
        raise ValueError("policy_logps is empty")
    if not all(isinstance(label, bool | np.bool_) for label in labels):
        raise ValueError("desirable must hold booleans")
    total = 0.0
    for p, q, good in zip(policy, reference, labels, strict=False):
        x = beta * ((p - q) - kl_ref) if good else beta * (kl_ref - (p - q))
        weight = lambda_d if good else lambda_u
        # lambda - lambda * sigmoid(x) = lambda * sigmoid(-x), split by sign so that exp never overflows
        shortfall = math.exp(-x) / (1 + math.exp(-x)) if x >= 0 else 1 / (1 + math.exp(x))
        total += weight * shortfall
    return total / len(policy)


@CATALOGUE.correct("simpo_loss", "softplus form")
def simpo_loss_softplus(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    ref.simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta, gamma)
    reward_c = np.asarray(chosen_logps, dtype=float) / np.asarray(chosen_lengths, dtype=float)
    reward_r = np.asarray(rejected_logps, dtype=float) / np.asarray(rejected_lengths, dtype=float)
    x = beta * (reward_c - reward_r) - gamma
    return float(np.mean(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))))


@CATALOGUE.correct("kto_loss", "softplus form")
def kto_loss_softplus(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    ref.kto_loss(policy_logps, ref_logps, desirable, beta, kl_ref, lambda_d, lambda_u)
    labels = np.asarray(desirable)
    x = beta * (np.asarray(policy_logps, dtype=float) - np.asarray(ref_logps, dtype=float) - kl_ref)
    weights = np.where(labels, lambda_d, lambda_u)
    # the value as the paper writes it, with sigmoid(x) = (1 + tanh(x / 2)) / 2, which never overflows
    value = weights * (1 + np.tanh(np.where(labels, x, -x) / 2)) / 2
    return float(np.mean(weights - value))
