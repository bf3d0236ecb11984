"""The known mistakes of lab3_rlhf's functions (see `autograder.catalogue`): each entry computes what
that mistake returns; the grader shows its hint when a learner's value matches it."""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab3_rlhf.lab import ref

CATALOGUE = Catalogue("lab3_rlhf")


@CATALOGUE.mistake(
    "rlhf_capability_step",
    "kl_penalty multiplies the step instead of (1 - kl_penalty) (the same at 0.5)",
    hint="the step is damped by (1 - kl_penalty), not multiplied by kl_penalty",
)
def rlhf_capability_step_kl_penalty_multiplies_step(
    capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0
):
    return {
        k: float(min(cap, max(0.0, c + reward_weights[k] * step_size * kl_penalty)))
        for k, c in capabilities.items()
    }


@CATALOGUE.mistake("rlhf_capability_step", "no clip at cap", hint="")
def rlhf_capability_step_no_clip_cap(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    return {
        k: float(max(0.0, c + reward_weights[k] * step_size * (1 - kl_penalty)))
        for k, c in capabilities.items()
    }


@CATALOGUE.mistake("rlhf_capability_step", "dict in sorted key order", hint="")
def rlhf_capability_step_dict_sorted_key_order(
    capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0
):
    result = ref.rlhf_capability_step(capabilities, reward_weights, step_size, kl_penalty, cap)
    return {k: result[k] for k in sorted(result)}


@CATALOGUE.mistake("rlhf_capability_step", "no input validation", hint="", keeps_validation=False)
def rlhf_capability_step_no_input_validation(
    capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0
):
    return {
        k: float(min(cap, max(0.0, c + reward_weights.get(k, 0.0) * step_size * (1 - kl_penalty))))
        for k, c in capabilities.items()
    }


@CATALOGUE.mistake(
    "kl_divergence",
    "arguments swapped: KL(q || p)",
    hint="KL(p || q) = sum p * log(p / q): the expectation is under p, the first argument (you computed KL(q || p))",
)
def kl_divergence_arguments_swapped_kl_q(p, q):
    return ref.kl_divergence(q, p)


@CATALOGUE.mistake("kl_divergence", "log(p / q): the ratio overflows for a tiny q", hint="")
def kl_divergence_log_p_q_ratio(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    if np.any(q[s] == 0):
        return float("inf")
    return float(np.sum(p[s] * np.log(p[s] / q[s])))


@CATALOGUE.mistake("kl_divergence", "no 0 * log 0 = 0 rule (nan where p = 0)", hint="")
def kl_divergence_no_0_log_0(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    if np.any(q[p > 0] == 0):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * (np.log(p) - np.log(q))))


@CATALOGUE.mistake("kl_divergence", "missing support is not inf (q clipped to 1e-12)", hint="")
def kl_divergence_missing_support_not_inf(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    return float(np.sum(p[s] * (np.log(p[s]) - np.log(np.maximum(q[s], 1e-12)))))


@CATALOGUE.mistake("kl_divergence", "naive p * log(p / q): warnings, nan for p = 0", hint="")
def kl_divergence_naive_p_log_p(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    return float(np.sum(p * np.log(p / q)))


@CATALOGUE.mistake(
    "kl_divergence", "sign flipped: sum p * log(q / p)", hint="the sign: it is log(p / q), not log(q / p)"
)
def kl_divergence_sign_flipped_sum_p(p, q):
    return -ref.kl_divergence(p, q)


@CATALOGUE.mistake("kl_divergence", "no validation", hint="", keeps_validation=False)
def kl_divergence_no_validation(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    if np.any(q[s] <= 0):
        return float("inf")
    return float(np.sum(p[s] * (np.log(p[s]) - np.log(q[s]))))


@CATALOGUE.mistake(
    "kl_regularized_objective", "np.log(softmax(...)): -inf and warnings at extreme logits", hint=""
)
def kl_regularized_objective_np_log_softmax_inf(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    pi_ref = np.exp(z_ref - z_ref.max()) / np.exp(z_ref - z_ref.max()).sum()
    return float(pi @ (r - beta * (np.log(pi) - np.log(pi_ref))))


@CATALOGUE.mistake("kl_regularized_objective", "plain exp softmax that overflows at 1e3", hint="")
def kl_regularized_objective_plain_exp_softmax_that(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi = z - np.log(np.exp(z).sum())
    log_ref = z_ref - np.log(np.exp(z_ref).sum())
    return float(np.exp(log_pi) @ (r - beta * (log_pi - log_ref)))


@CATALOGUE.mistake(
    "kl_regularized_objective",
    "plus instead of minus on the KL term",
    hint="J = E_pi[r] - beta * KL: subtract the KL term (you added it)",
)
def kl_regularized_objective_plus_minus_kl_term(logits, ref_logits, rewards, beta):
    kl_free = ref.kl_regularized_objective(logits, ref_logits, rewards, 0.0)
    return 2 * kl_free - ref.kl_regularized_objective(logits, ref_logits, rewards, beta)


@CATALOGUE.mistake(
    "kl_regularized_objective",
    "KL arguments swapped: KL(pi_ref || pi)",
    hint="the KL is KL(pi || pi_ref), the policy first (you computed KL(pi_ref || pi))",
)
def kl_regularized_objective_kl_arguments_swapped_kl(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    return float(np.exp(log_pi) @ r - beta * np.exp(log_ref) @ (log_ref - log_pi))


@CATALOGUE.mistake(
    "kl_regularized_objective",
    "raw logits as log-probabilities in the KL (logits - ref_logits)",
    hint="log pi = logits - logsumexp(logits): raw logits are not log-probabilities",
)
def kl_regularized_objective_raw_logits_log_probabilities(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi = np.exp(z - np.logaddexp.reduce(z))
    return float(pi @ (r - beta * (z - z_ref)))


@CATALOGUE.mistake("kl_regularized_objective", "no validation", hint="", keeps_validation=False)
def kl_regularized_objective_no_validation(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    n = min(z.size, z_ref.size, r.size)
    return ref.kl_regularized_objective(z[:n], z_ref[:n], r[:n], abs(beta))


@CATALOGUE.mistake(
    "kl_regularized_gradient",
    "no baseline subtraction in the softmax gradient: pi * a (does not sum to 0)",
    hint="subtract the baseline E_pi[a] (softmax Jacobian): pi * (a - E_pi[a]); without it the gradient does not sum to 0",
)
def kl_regularized_gradient_no_baseline_subtraction_softmax(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    return np.exp(log_pi) * (r - beta * (log_pi - log_ref) - beta)


@CATALOGUE.mistake(
    "kl_regularized_gradient",
    "ignores the KL term: the gradient of E_pi[r] only",
    hint="the KL penalty has a gradient too: a = r - beta * (log pi - log pi_ref) - beta",
)
def kl_regularized_gradient_ignores_kl_term_gradient(logits, ref_logits, rewards, beta):
    return ref.kl_regularized_gradient(logits, ref_logits, rewards, 0.0)


@CATALOGUE.mistake(
    "kl_regularized_gradient",
    "plus instead of minus on the KL term",
    hint="the KL term enters with a minus sign: a = r - beta * (log pi - log pi_ref) - beta",
)
def kl_regularized_gradient_plus_minus_kl_term(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    a = r + beta * (log_pi - log_ref) + beta
    return pi * (a - pi @ a)


@CATALOGUE.mistake("kl_regularized_gradient", "plain exp softmax that overflows at 1e3", hint="")
def kl_regularized_gradient_plain_exp_softmax_that(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi, pi_ref = np.exp(z) / np.exp(z).sum(), np.exp(z_ref) / np.exp(z_ref).sum()
    a = r - beta * (np.log(pi) - np.log(pi_ref)) - beta
    return pi * (a - pi @ a)


@CATALOGUE.mistake("kl_regularized_gradient", "no validation", hint="", keeps_validation=False)
def kl_regularized_gradient_no_validation(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    n = min(z.size, z_ref.size, r.size)
    return ref.kl_regularized_gradient(z[:n], z_ref[:n], r[:n], abs(beta))


@CATALOGUE.mistake(
    "rlhf_update",
    "descent instead of ascent: logits - lr * gradient",
    hint="J is maximised: gradient *ascent*, logits + lr * gradient",
)
def rlhf_update_descent_ascent_logits_lr(logits, ref_logits, rewards, beta, lr):
    return 2 * np.asarray(logits, float) - ref.rlhf_update(logits, ref_logits, rewards, beta, lr)


@CATALOGUE.mistake(
    "rlhf_update",
    "steps on the reward gradient only (beta ignored in the update)",
    hint="step along the gradient of the whole J, the KL term included (beta matters)",
)
def rlhf_update_steps_reward_gradient_only(logits, ref_logits, rewards, beta, lr):
    return ref.rlhf_update(logits, ref_logits, rewards, 0.0, lr)


@CATALOGUE.mistake("rlhf_update", "no validation of lr", hint="", keeps_validation=False)
def rlhf_update_no_validation_lr(logits, ref_logits, rewards, beta, lr):
    return ref.rlhf_update(logits, ref_logits, rewards, beta, abs(lr) or 1.0)


@CATALOGUE.mistake(
    "optimal_policy",
    "r * beta instead of r / beta",
    hint="pi* ∝ pi_ref * exp(r / beta): divide the rewards by beta (you multiplied)",
)
def optimal_policy_r_beta_r_beta(ref_logits, rewards, beta):
    z = np.asarray(ref_logits, float) + np.asarray(rewards, float) * beta
    w = np.exp(z - z.max())
    return w / w.sum()


@CATALOGUE.mistake(
    "optimal_policy",
    "-r / beta: the sign of the reward flipped",
    hint="pi* ∝ pi_ref * exp(+r / beta): high rewards get more mass",
)
def optimal_policy_r_beta_sign_reward(ref_logits, rewards, beta):
    z = np.asarray(ref_logits, float) - np.asarray(rewards, float) / beta
    w = np.exp(z - z.max())
    return w / w.sum()


@CATALOGUE.mistake("optimal_policy", "no max subtraction (nan for a small beta)", hint="")
def optimal_policy_no_max_subtraction_nan(ref_logits, rewards, beta):
    w = np.exp(np.asarray(ref_logits, float) + np.asarray(rewards, float) / beta)
    return w / w.sum()


@CATALOGUE.mistake(
    "optimal_policy",
    "forgets pi_ref: softmax(r / beta)",
    hint="pi* ∝ pi_ref * exp(r / beta): keep the reference policy's log-probabilities",
)
def optimal_policy_forgets_pi_ref_softmax(ref_logits, rewards, beta):
    z = np.asarray(rewards, float) / beta
    w = np.exp(z - z.max())
    return w / w.sum()


@CATALOGUE.mistake("optimal_policy", "no validation", hint="", keeps_validation=False)
def optimal_policy_no_validation(ref_logits, rewards, beta):
    z_ref, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    n = min(z_ref.size, r.size)
    return ref.optimal_policy(z_ref[:n], r[:n], abs(beta) or 1.0)


@CATALOGUE.mistake(
    "reinforce_kl_gradient",
    "mean baseline including self ((n-1)/n bias)",
    hint="the baseline leaves s_i out: b_i = (sum_j s_j - s_i) / (n - 1), not the mean of all n samples",
)
def reinforce_kl_gradient_mean_baseline_including_self(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref, y, r = (
        np.asarray(logits, float),
        np.asarray(ref_logits, float),
        np.asarray(samples),
        np.asarray(sample_rewards, float),
    )
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    advantage = s - s.mean()
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (advantage[:, None] * score).mean(axis=0)


@CATALOGUE.mistake(
    "reinforce_kl_gradient",
    "no baseline",
    hint="subtract the leave-one-out baseline b_i from each shaped reward",
)
def reinforce_kl_gradient_no_baseline(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref, y, r = (
        np.asarray(logits, float),
        np.asarray(ref_logits, float),
        np.asarray(samples),
        np.asarray(sample_rewards, float),
    )
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (s[:, None] * score).mean(axis=0)


@CATALOGUE.mistake(
    "reinforce_kl_gradient",
    "shaped reward without the KL term",
    hint="the shaped reward includes the KL: s_i = r_i - beta * (log pi(y_i) - log pi_ref(y_i))",
)
def reinforce_kl_gradient_shaped_reward_without_kl(logits, ref_logits, samples, sample_rewards, beta):
    return ref.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, 0.0)


@CATALOGUE.mistake(
    "reinforce_kl_gradient",
    "leave-one-out baseline divided by n instead of n - 1",
    hint="the leave-one-out baseline averages n - 1 samples: divide by n - 1, not n",
)
def reinforce_kl_gradient_leave_one_out_baseline(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref, y, r = (
        np.asarray(logits, float),
        np.asarray(ref_logits, float),
        np.asarray(samples),
        np.asarray(sample_rewards, float),
    )
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    advantage = s - (s.sum() - s) / y.size
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (advantage[:, None] * score).mean(axis=0)


@CATALOGUE.mistake("reinforce_kl_gradient", "no validation", hint="", keeps_validation=False)
def reinforce_kl_gradient_no_validation(logits, ref_logits, samples, sample_rewards, beta):
    z = np.asarray(logits, float)
    y = np.clip(np.asarray(samples, dtype=np.int64), 0, z.size - 1)
    r = np.resize(np.asarray(sample_rewards, float), y.shape)
    if y.size < 2:
        return np.zeros_like(z)
    return ref.reinforce_kl_gradient(z, np.resize(np.asarray(ref_logits, float), z.shape), y, r, abs(beta))


@CATALOGUE.mistake(
    "reinforce_kl_gradient",
    "repeated samples scattered with grad[samples] += ... (a repeat counts once)",
    hint="with repeated samples, `grad[samples] += ...` adds only one of them (numpy's fancy-index assignment keeps the last write): use np.add.at(grad, samples, ...) or np.bincount",
)
def reinforce_kl_gradient_repeated_samples_scattered_grad(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    y, r = np.asarray(samples).astype(int), np.asarray(sample_rewards, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    shaped = r - beta * (log_pi[y] - log_ref[y])
    advantage = shaped - (shaped.sum() - shaped) / (y.size - 1)
    grad = -advantage.sum() * np.exp(log_pi)
    grad[y] += advantage
    return grad / y.size


@CATALOGUE.mistake(
    "ppo_clip_objective",
    "max instead of min",
    hint="take the minimum of the two terms (the pessimistic bound), not the maximum",
)
def ppo_clip_objective_max_min(logp_new, logp_old, advantages, clip_eps=0.2):
    rho = np.exp(np.asarray(logp_new, float) - np.asarray(logp_old, float))
    a = np.asarray(advantages, float)
    return float(np.mean(np.maximum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a)))


@CATALOGUE.mistake(
    "ppo_clip_objective",
    "only the clipped term",
    hint="min(rho * A, clip(rho) * A): keep the unclipped term too, and take the minimum of the two (the pessimistic bound), neither the clipped term alone nor the maximum",
)
def ppo_clip_objective_only_clipped_term(logp_new, logp_old, advantages, clip_eps=0.2):
    rho = np.exp(np.asarray(logp_new, float) - np.asarray(logp_old, float))
    return float(np.mean(np.clip(rho, 1 - clip_eps, 1 + clip_eps) * np.asarray(advantages, float)))


@CATALOGUE.mistake(
    "ppo_clip_objective",
    "rho without exp: the log-ratio used as the ratio",
    hint="rho = exp(logp_new - logp_old): exponentiate the log-ratio",
)
def ppo_clip_objective_rho_without_exp_log(logp_new, logp_old, advantages, clip_eps=0.2):
    rho = np.asarray(logp_new, float) - np.asarray(logp_old, float)
    a = np.asarray(advantages, float)
    return float(np.mean(np.minimum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a)))


@CATALOGUE.mistake(
    "ppo_clip_objective",
    "rho inverted: exp(logp_old - logp_new)",
    hint="rho = exp(logp_new - logp_old), new over old",
)
def ppo_clip_objective_rho_inverted_exp_logp(logp_new, logp_old, advantages, clip_eps=0.2):
    return ref.ppo_clip_objective(logp_old, logp_new, advantages, clip_eps)


@CATALOGUE.mistake(
    "ppo_clip_objective", "clip_eps validated as [0, 1] instead of (0, 1)", hint="", keeps_validation=False
)
def ppo_clip_objective_clip_eps_validated_0(logp_new, logp_old, advantages, clip_eps=0.2):
    if not 0 <= clip_eps <= 1:
        raise ValueError(f"clip_eps must be in [0, 1], got {clip_eps}")
    inside = min(max(clip_eps, 1e-12), 1 - 1e-12)
    return ref.ppo_clip_objective(logp_new, logp_old, advantages, inside)


@CATALOGUE.mistake(
    "kl_estimators",
    "k3 with the ratio inverted: exp(log_ratio) - 1 - log_ratio",
    hint="k3 = exp(-log_ratio) - 1 + log_ratio: the ratio inside is pi_ref / pi (minus sign in the exponential)",
)
def kl_estimators_k3_ratio_inverted_exp(logp, logp_ref):
    k1, k2, _ = ref.kl_estimators(logp, logp_ref)
    return k1, k2, np.expm1(k1) - k1


@CATALOGUE.mistake(
    "kl_estimators",
    "k3 with the wrong sign on the last term: exp(-log_ratio) - 1 - log_ratio",
    hint="k3 = exp(-log_ratio) - 1 + log_ratio (+ log_ratio at the end)",
)
def kl_estimators_k3_wrong_sign_last(logp, logp_ref):
    k1, k2, _ = ref.kl_estimators(logp, logp_ref)
    return k1, k2, np.expm1(-k1) - k1


@CATALOGUE.mistake(
    "kl_estimators",
    "k1 swapped: logp_ref - logp",
    hint="log_ratio = logp - logp_ref = log(pi / pi_ref) (you computed logp_ref - logp)",
)
def kl_estimators_k1_swapped_logp_ref(logp, logp_ref):
    k1, k2, k3 = ref.kl_estimators(logp, logp_ref)
    return -k1, k2, k3


@CATALOGUE.mistake("kl_estimators", "k2 without /2", hint="k2 = log_ratio**2 / 2: you forgot the 1/2")
def kl_estimators_k2_without_2(logp, logp_ref):
    k1, k2, k3 = ref.kl_estimators(logp, logp_ref)
    return k1, 2 * k2, k3


@CATALOGUE.mistake(
    "kl_estimators", "no validation (broadcasts mismatched shapes)", hint="", keeps_validation=False
)
def kl_estimators_no_validation_broadcasts_mismatched(logp, logp_ref):
    x = np.asarray(logp, float) - np.asarray(logp_ref, float)
    return x, x**2 / 2, np.expm1(-x) + x


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "k3 treated as the true KL gradient: pi * (d - E_pi[d]) for k3",
    hint="k3 in the loss does not give the gradient of KL(pi || pi_ref): with the sample held fixed its expected gradient is pi - pi_ref, the gradient of the reverse KL(pi_ref || pi)",
)
def kl_loss_gradient_k3_treated_true_kl(logits, ref_logits, estimator):
    return ref.kl_loss_gradient(logits, ref_logits, "k2" if estimator == "k3" else estimator)


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "gradient through the sampling: the full gradient of E_pi[k]",
    hint="you differentiated E_pi[k] through pi(y) as well: the estimator in the loss is differentiated with the sample y held fixed, sum_y pi(y) * dk(y)/dlogits",
)
def kl_loss_gradient_gradient_through_sampling_full(logits, ref_logits, estimator):
    held = ref.kl_loss_gradient(logits, ref_logits, estimator)
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    k = ref.kl_estimators(log_pi, log_ref)[int(estimator[1]) - 1]
    return held + pi * (k - pi @ k)


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "k2 and k3 swapped",
    hint="with k2 the expected gradient is pi * (d - E_pi[d]), d = log pi - log pi_ref (pi - pi_ref is what k3 gives)",
)
def kl_loss_gradient_k2_k3_swapped(logits, ref_logits, estimator):
    swap = {"k2": "k3", "k3": "k2"}
    ref.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    return ref.kl_loss_gradient(logits, ref_logits, swap.get(estimator, estimator))


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "chain rule without the -pi term: pi(y) * dk/dlogp only",
    hint="the chain rule goes through log pi(y): d log pi(y) / d logits = onehot(y) - pi (you left out the -pi term: the entries must sum to 0)",
)
def kl_loss_gradient_chain_rule_without_pi(logits, ref_logits, estimator):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    return {"k1": pi, "k2": pi * (log_pi - log_ref), "k3": pi - np.exp(log_ref)}[estimator]


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "k3 as pi * (1 - exp(-log_ratio)), which overflows",
    hint="use a stable log-softmax, and write pi * exp(-log_ratio) as pi_ref: exp(-log_ratio) overflows where pi is tiny",
)
def kl_loss_gradient_k3_pi_1_exp(logits, ref_logits, estimator):
    if estimator != "k3":
        return ref.kl_loss_gradient(logits, ref_logits, estimator)
    ref.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    weight = pi * (1 - np.exp(-(log_pi - log_ref)))
    return weight - pi * weight.sum()


@CATALOGUE.mistake(
    "kl_loss_gradient",
    "sign flipped",
    hint="return the gradient of the estimator itself, sum_y pi(y) * dk(y)/dlogits (a trainer multiplies it by -beta): check the overall sign",
)
def kl_loss_gradient_sign_flipped(logits, ref_logits, estimator):
    return -ref.kl_loss_gradient(logits, ref_logits, estimator)


@CATALOGUE.mistake("kl_loss_gradient", "an unknown estimator treated as k1", hint="", keeps_validation=False)
def kl_loss_gradient_unknown_estimator_treated_k1(logits, ref_logits, estimator):
    known = estimator if estimator in ("k1", "k2", "k3") else "k1"
    return ref.kl_loss_gradient(logits, ref_logits, known)


@CATALOGUE.mistake(
    "best_of_n_policy",
    "ties split uniformly instead of in proportion to pi_ref",
    hint="share a level's probability among its responses in proportion to pi_ref, not equally",
)
def best_of_n_policy_ties_split_uniformly_proportion(ref_logits, rewards, n):
    result = ref.best_of_n_policy(ref_logits, rewards, n)
    r = np.asarray(rewards, float)
    _, level_of, counts = np.unique(r, return_inverse=True, return_counts=True)
    level_prob = np.bincount(level_of, weights=result)
    return level_prob[level_of] / counts[level_of]


@CATALOGUE.mistake(
    "best_of_n_policy",
    "F(v)**n without subtracting F(v-)**n",
    hint="a level gets F(v)**n - F(v-)**n: subtract the probability that all n draws fall below v",
)
def best_of_n_policy_f_v_n_without(ref_logits, rewards, n):
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    pi_ref = np.exp(z - np.logaddexp.reduce(z))
    _, level_of = np.unique(r, return_inverse=True)
    mass = np.bincount(level_of, weights=pi_ref)
    return (np.cumsum(mass) ** n)[level_of] * pi_ref / mass[level_of]


@CATALOGUE.mistake(
    "best_of_n_policy",
    "1 - F by subtraction: F**n from a cumulative sum loses precision at large n",
    hint="1 - F(v) by subtraction loses every digit below 1e-16 and **n magnifies the loss: sum the tail mass T(v) (reward > v) directly and compute F(v)**n as exp(n * log1p(-T(v)))",
)
def best_of_n_policy_1_f_subtraction_f(ref_logits, rewards, n):
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    log_ref = z - np.logaddexp.reduce(z)
    levels, level_of = np.unique(r, return_inverse=True)
    log_mass = np.full(levels.size, -np.inf)
    np.logaddexp.at(log_mass, level_of, log_ref)
    at_most = np.cumsum(np.exp(log_mass))
    below = at_most - np.exp(log_mass)
    return (at_most**n - below**n)[level_of] * np.exp(log_ref - log_mass[level_of])


@CATALOGUE.mistake(
    "best_of_n_policy",
    "ties broken by index (each response its own level)",
    hint="responses with equal rewards form one level: the tie is broken at random among the tied draws, not by index",
)
def best_of_n_policy_ties_broken_index_each(ref_logits, rewards, n):
    r = np.asarray(rewards, float)
    order = np.lexsort((np.arange(r.size), r))
    distinct = np.empty(r.size)
    distinct[order] = np.arange(r.size)
    ref.best_of_n_policy(ref_logits, rewards, n)  # validation
    return ref.best_of_n_policy(ref_logits, distinct, n)


@CATALOGUE.mistake(
    "best_of_n_policy",
    "pi_ref**n normalised",
    hint="best-of-n is not pi_ref**n normalised: a response wins when it is drawn and nothing better is",
)
def best_of_n_policy_pi_ref_n_normalised(ref_logits, rewards, n):
    z = np.asarray(ref_logits, float) * n
    w = np.exp(z - z.max())
    return w / w.sum()


@CATALOGUE.mistake(
    "best_of_n_policy",
    "a Monte Carlo estimate (1000 simulations) instead of the exact distribution",
    hint="compute the exact distribution: a simulated estimate is off by its sampling noise",
)
def best_of_n_policy_monte_carlo_estimate_1000(ref_logits, rewards, n):
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    pi_ref = np.exp(z - np.logaddexp.reduce(z))
    rng = np.random.default_rng(0)
    draws = rng.choice(r.size, size=(1000, min(int(n), 64)), p=pi_ref)
    values = r[draws]
    pick = np.argmax((values == values.max(axis=1, keepdims=True)) * rng.random(draws.shape), axis=1)
    return np.bincount(draws[np.arange(1000), pick], minlength=r.size) / 1000


@CATALOGUE.mistake(
    "best_of_n_policy", "n not validated (2.5 and 0 accepted)", hint="", keeps_validation=False
)
def best_of_n_policy_n_not_validated_2(ref_logits, rewards, n):
    return ref.best_of_n_policy(ref_logits, rewards, max(1, round(n)))


@CATALOGUE.mistake(
    "kl_divergence",
    "the average of KL(p || q) and KL(q || p)",
    hint="KL is not symmetric: do not average KL(p || q) and KL(q || p)",
)
def kl_divergence_average_of_both_directions(p, q):
    return (ref.kl_divergence(p, q) + ref.kl_divergence(q, p)) / 2


@CATALOGUE.mistake(
    "kl_regularized_objective",
    "mean(rewards) instead of E_pi[r]",
    hint="E_pi[r] = sum(pi * rewards), a probability-weighted sum, not mean(rewards)",
)
def kl_regularized_objective_mean_rewards(logits, ref_logits, rewards, beta):
    z = np.asarray(logits, dtype=float)
    pi = np.exp(z - np.logaddexp.reduce(z))
    return ref.kl_regularized_objective(logits, ref_logits, rewards, beta) - pi @ rewards + np.mean(rewards)


@CATALOGUE.mistake(
    "kl_regularized_objective",
    "the KL penalty left out: E_pi[r] only",
    hint="J includes the KL penalty: - beta * KL(pi || pi_ref)",
)
def kl_regularized_objective_no_kl_penalty(logits, ref_logits, rewards, beta):
    return ref.kl_regularized_objective(logits, ref_logits, rewards, 0.0)


@CATALOGUE.mistake(
    "optimal_policy",
    "returns the unnormalised log-weights log pi_ref + r / beta",
    hint="return probabilities (normalised), not logits",
)
def optimal_policy_unnormalised_log_weights(ref_logits, rewards, beta):
    z = np.asarray(ref_logits, dtype=float)
    return z - np.logaddexp.reduce(z) + np.asarray(rewards, dtype=float) / beta


@CATALOGUE.mistake(
    "rlhf_update",
    "returns the step instead of the new logits",
    hint="return the updated logits, not the step",
)
def rlhf_update_returns_the_step(logits, ref_logits, rewards, beta, lr):
    return lr * ref.kl_regularized_gradient(logits, ref_logits, rewards, beta)


@CATALOGUE.mistake("rlhf_update", "lr ignored: a step of the whole gradient", hint="scale the step by lr")
def rlhf_update_lr_ignored(logits, ref_logits, rewards, beta, lr):
    return ref.rlhf_update(logits, ref_logits, rewards, beta, 1.0)


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("rlhf_capability_step", "loops")
def rlhf_capability_step_loops(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    if sorted(capabilities) != sorted(reward_weights):
        raise ValueError("reward_weights and capabilities must have the same keys")
    for name, table in (("capabilities", capabilities), ("reward_weights", reward_weights)):
        for value in table.values():
            if not math.isfinite(value):
                raise ValueError(f"{name} must hold finite numbers")
    for name, value in (("step_size", step_size), ("kl_penalty", kl_penalty), ("cap", cap)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite")
    if step_size < 0:
        raise ValueError("step_size must be >= 0")
    if kl_penalty < 0 or kl_penalty > 1:
        raise ValueError("kl_penalty must lie in [0, 1]")
    out = {}
    for key in capabilities:
        value = capabilities[key] + reward_weights[key] * step_size * (1 - kl_penalty)
        if value > cap:
            value = cap
        if value < 0:
            value = 0.0
        out[key] = float(value)
    return out


@CATALOGUE.correct("kl_divergence", "loops")
def kl_divergence_loops(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    if p.shape != q.shape:
        raise ValueError("p and q must have the same shape")
    for name, dist in (("p", p), ("q", q)):
        total = 0.0
        for v in dist.ravel():
            if v < 0:
                raise ValueError(f"{name} has a negative entry")
            total += v
        if not abs(total - 1) <= 1e-6:
            raise ValueError(f"{name} must sum to 1")
    kl = 0.0
    for pi, qi in zip(p.ravel(), q.ravel(), strict=False):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        kl += pi * (math.log(pi) - math.log(qi))
    return kl


@CATALOGUE.correct("kl_regularized_objective", "loops")
def kl_regularized_objective_loops(logits, ref_logits, rewards, beta):
    z, z_ref, r = list(np.ravel(logits)), list(np.ravel(ref_logits)), list(np.ravel(rewards))
    if np.ndim(logits) != 1 or not z:
        raise ValueError("logits must be a non-empty vector")
    if np.shape(ref_logits) != np.shape(logits) or np.shape(rewards) != np.shape(logits):
        raise ValueError("ref_logits and rewards must have the shape of logits")
    if not beta >= 0:
        raise ValueError("beta must be >= 0")
    top, top_ref = max(z), max(z_ref)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    lse_ref = top_ref + math.log(sum(math.exp(v - top_ref) for v in z_ref))
    total = 0.0
    for k in range(len(z)):
        log_pi, log_ref = z[k] - lse, z_ref[k] - lse_ref
        total += math.exp(log_pi) * (r[k] - beta * (log_pi - log_ref))
    return total


@CATALOGUE.correct("kl_regularized_gradient", "loops")
def kl_regularized_gradient_loops(logits, ref_logits, rewards, beta):
    ref.kl_regularized_objective(logits, ref_logits, rewards, beta)  # the same checks
    z, z_ref, r = list(np.ravel(logits)), list(np.ravel(ref_logits)), list(np.ravel(rewards))
    top, top_ref = max(z), max(z_ref)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    lse_ref = top_ref + math.log(sum(math.exp(v - top_ref) for v in z_ref))
    pi = [math.exp(v - lse) for v in z]
    a = [r[k] - beta * ((z[k] - lse) - (z_ref[k] - lse_ref)) - beta for k in range(len(z))]
    mean_a = sum(p * x for p, x in zip(pi, a, strict=False))
    return np.array([pi[k] * (a[k] - mean_a) for k in range(len(z))])


@CATALOGUE.correct("rlhf_update", "loops")
def rlhf_update_loops(logits, ref_logits, rewards, beta, lr):
    if lr <= 0 or lr != lr:
        raise ValueError("lr must be > 0")
    grad = ref.kl_regularized_gradient(logits, ref_logits, rewards, beta)
    return np.array([float(v) + lr * g for v, g in zip(np.ravel(logits), grad, strict=False)])


@CATALOGUE.correct("optimal_policy", "loops")
def optimal_policy_loops(ref_logits, rewards, beta):
    if not beta > 0:
        raise ValueError("beta must be > 0")
    if np.ndim(ref_logits) != 1 or np.size(ref_logits) == 0 or np.shape(rewards) != np.shape(ref_logits):
        raise ValueError("rewards and ref_logits must be vectors of the same shape")
    z = [float(zr) + float(r) / beta for zr, r in zip(np.ravel(ref_logits), np.ravel(rewards), strict=False)]
    top = max(z)
    weights = [math.exp(v - top) for v in z]
    total = sum(weights)
    return np.array([w / total for w in weights])


@CATALOGUE.correct("reinforce_kl_gradient", "loops")
def reinforce_kl_gradient_loops(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref = list(np.ravel(logits)), list(np.ravel(ref_logits))
    if np.ndim(logits) != 1 or not z or np.shape(ref_logits) != np.shape(logits):
        raise ValueError("logits and ref_logits must be vectors of the same shape")
    samples, rewards = list(np.ravel(samples)), list(np.ravel(sample_rewards))
    if len(samples) != len(rewards):
        raise ValueError("samples and sample_rewards must have the same length")
    n = len(samples)
    if n < 2:
        raise ValueError("samples needs at least 2 samples")
    for y in samples:
        if y != int(y) or not 0 <= y < len(z):
            raise ValueError("samples must be integers in [0, K)")
    if not beta >= 0:
        raise ValueError("beta must be >= 0")
    top, top_ref = max(z), max(z_ref)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    lse_ref = top_ref + math.log(sum(math.exp(v - top_ref) for v in z_ref))
    pi = [math.exp(v - lse) for v in z]
    shaped = [
        rewards[i] - beta * ((z[int(y)] - lse) - (z_ref[int(y)] - lse_ref)) for i, y in enumerate(samples)
    ]
    total = sum(shaped)
    grad = [0.0] * len(z)
    for i, y in enumerate(samples):
        advantage = shaped[i] - (total - shaped[i]) / (n - 1)
        for k in range(len(z)):
            grad[k] += advantage * ((1.0 if k == int(y) else 0.0) - pi[k]) / n
    return np.array(grad)


@CATALOGUE.correct("ppo_clip_objective", "loops")
def ppo_clip_objective_loops(logp_new, logp_old, advantages, clip_eps=0.2):
    new, old, adv = list(np.ravel(logp_new)), list(np.ravel(logp_old)), list(np.ravel(advantages))
    if not len(new) == len(old) == len(adv):
        raise ValueError("logp_new, logp_old and advantages must have the same length")
    if not 0 < clip_eps < 1:
        raise ValueError("clip_eps must lie in (0, 1)")
    total = 0.0
    for a, b, advantage in zip(new, old, adv, strict=False):
        rho = math.exp(a - b)
        clipped = min(max(rho, 1 - clip_eps), 1 + clip_eps)
        total += min(rho * advantage, clipped * advantage)
    return total / len(new)


@CATALOGUE.correct("kl_estimators", "loops")
def kl_estimators_loops(logp, logp_ref):
    logp, logp_ref = np.asarray(logp, float), np.asarray(logp_ref, float)
    if logp.shape != logp_ref.shape:
        raise ValueError("logp and logp_ref must have the same shape")
    k1, k2, k3 = np.empty_like(logp), np.empty_like(logp), np.empty_like(logp)
    for index in np.ndindex(logp.shape):
        x = logp[index] - logp_ref[index]
        k1[index], k2[index], k3[index] = x, x * x / 2, math.exp(-x) - 1 + x
    return k1, k2, k3


@CATALOGUE.correct("kl_divergence", "probability space with care, per-sample REINFORCE, textbook PPO")
def kl_divergence_textbook(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    if p.shape != q.shape:
        raise ValueError(f"shapes of p and q differ: {p.shape} vs {q.shape}")
    for name, dist in (("p", p), ("q", q)):
        if (dist < 0).any() or not np.isclose(dist.sum(), 1.0, rtol=0.0, atol=1e-6):
            raise ValueError(f"{name} must be a probability vector")
    if ((p > 0) & (q == 0)).any():
        return float("inf")
    safe_p, safe_q = np.where(p > 0, p, 1.0), np.where(p > 0, q, 1.0)
    return float(np.sum(np.where(p > 0, p * (np.log(safe_p) - np.log(safe_q)), 0.0)))


@CATALOGUE.correct(
    "kl_regularized_objective", "probability space with care, per-sample REINFORCE, textbook PPO"
)
def kl_regularized_objective_textbook(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    if z.ndim != 1 or z.size == 0 or z_ref.shape != z.shape or r.shape != z.shape:
        raise ValueError("logits, ref_logits and rewards must be vectors of one shape")
    if beta < 0 or beta != beta:
        raise ValueError("beta must be non-negative")
    shifted, shifted_ref = z - z.max(), z_ref - z_ref.max()
    pi = np.exp(shifted) / np.exp(shifted).sum()
    # log pi - log pi_ref from the shifted logits: finite even where pi_ref underflows to 0
    log_ratio = shifted - shifted_ref - np.log(np.exp(shifted).sum()) + np.log(np.exp(shifted_ref).sum())
    return float(np.sum(pi * r) - beta * np.sum(pi * log_ratio))


@CATALOGUE.correct(
    "kl_regularized_gradient", "probability space with care, per-sample REINFORCE, textbook PPO"
)
def kl_regularized_gradient_textbook(logits, ref_logits, rewards, beta):
    ref.kl_regularized_objective(logits, ref_logits, rewards, beta)  # the same checks
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    shifted, shifted_ref = z - z.max(), z_ref - z_ref.max()
    pi = np.exp(shifted) / np.exp(shifted).sum()
    log_ratio = shifted - shifted_ref - np.log(np.exp(shifted).sum()) + np.log(np.exp(shifted_ref).sum())
    jacobian = np.diag(pi) - np.outer(pi, pi)  # dpi_y / dz_k, symmetric
    return jacobian @ (r - beta * log_ratio - beta)


@CATALOGUE.correct("optimal_policy", "probability space with care, per-sample REINFORCE, textbook PPO")
def optimal_policy_textbook(ref_logits, rewards, beta):
    z_ref, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    if not beta > 0:
        raise ValueError("beta must be positive")
    if z_ref.ndim != 1 or z_ref.size == 0 or r.shape != z_ref.shape:
        raise ValueError("rewards must have the shape of ref_logits")
    log_weights = z_ref + r / beta
    return np.exp(log_weights - np.logaddexp.reduce(log_weights))


@CATALOGUE.correct("reinforce_kl_gradient", "probability space with care, per-sample REINFORCE, textbook PPO")
def reinforce_kl_gradient_textbook(logits, ref_logits, samples, sample_rewards, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    y, r = np.asarray(samples), np.asarray(sample_rewards, float)
    if z.ndim != 1 or z.size == 0 or z_ref.shape != z.shape:
        raise ValueError("ref_logits must have the shape of logits")
    if y.shape != r.shape or y.ndim != 1:
        raise ValueError("samples and sample_rewards must have one length")
    if y.size < 2:
        raise ValueError("samples must hold 2 samples or more")
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= z.size:
        raise ValueError("samples must be indices in [0, K)")
    if not beta >= 0:
        raise ValueError("beta must be >= 0")
    pi = np.exp(z - np.logaddexp.reduce(z))
    log_ratio = (z - np.logaddexp.reduce(z)) - (z_ref - np.logaddexp.reduce(z_ref))
    n = y.size
    estimate = np.zeros_like(z)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        s_i = r[i] - beta * log_ratio[y[i]]
        b_i = np.mean([r[j] - beta * log_ratio[y[j]] for j in others])
        score = -pi.copy()
        score[y[i]] += 1.0
        estimate += (s_i - b_i) * score / n
    return estimate


@CATALOGUE.correct("ppo_clip_objective", "probability space with care, per-sample REINFORCE, textbook PPO")
def ppo_clip_objective_textbook(logp_new, logp_old, advantages, clip_eps=0.2):
    new, old, adv = (np.asarray(a, float) for a in (logp_new, logp_old, advantages))
    if new.shape != old.shape or new.shape != adv.shape:
        raise ValueError("logp_new, logp_old and advantages must have one length")
    if not 0 < clip_eps < 1:
        raise ValueError("clip_eps must be strictly between 0 and 1")
    rho = np.exp(new - old)
    return float(np.mean(np.minimum(rho * adv, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * adv)))


@CATALOGUE.correct("kl_estimators", "probability space with care, per-sample REINFORCE, textbook PPO")
def kl_estimators_textbook(logp, logp_ref):
    logp, logp_ref = np.asarray(logp, float), np.asarray(logp_ref, float)
    if logp.shape != logp_ref.shape:
        raise ValueError("logp and logp_ref must have the same shape")
    ratio = np.exp(logp_ref - logp)  # pi_ref / pi
    return np.log(1 / ratio), np.log(ratio) ** 2 / 2, ratio - 1 - np.log(ratio)


@CATALOGUE.correct("kl_loss_gradient", "loops")
def kl_loss_gradient_loops(logits, ref_logits, estimator):
    z, z_ref = list(np.ravel(logits)), list(np.ravel(ref_logits))
    if np.ndim(logits) != 1 or not z or np.shape(ref_logits) != np.shape(logits):
        raise ValueError("logits and ref_logits must be vectors of the same shape")
    if estimator not in ("k1", "k2", "k3"):
        raise ValueError(f"unknown estimator {estimator!r}")
    top, top_ref = max(z), max(z_ref)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    lse_ref = top_ref + math.log(sum(math.exp(v - top_ref) for v in z_ref))
    K = len(z)
    grad = [0.0] * K
    for y in range(K):
        log_pi_y, log_ref_y = z[y] - lse, z_ref[y] - lse_ref
        pi_y = math.exp(log_pi_y)
        # pi(y) * dk/dlogp, with pi(y) * exp(-log_ratio) written as pi_ref(y)
        if estimator == "k1":
            weight = pi_y
        elif estimator == "k2":
            weight = pi_y * (log_pi_y - log_ref_y)
        else:
            weight = pi_y - math.exp(log_ref_y)
        for k in range(K):
            grad[k] += weight * ((1.0 if k == y else 0.0) - math.exp(z[k] - lse))
    return np.array(grad)


@CATALOGUE.correct("best_of_n_policy", "loops")
def best_of_n_policy_loops(ref_logits, rewards, n):
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n}")
    z, r = list(np.ravel(ref_logits)), list(np.ravel(rewards))
    if np.ndim(ref_logits) != 1 or not z or np.shape(rewards) != np.shape(ref_logits):
        raise ValueError("rewards must have the shape of ref_logits")
    top = max(z)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    log_p = [v - lse for v in z]
    result = []
    for y in range(len(z)):
        level = [j for j in range(len(z)) if r[j] == r[y]]
        top_level = max(log_p[j] for j in level)
        log_level = top_level + math.log(sum(math.exp(log_p[j] - top_level) for j in level))
        tail = sum(math.exp(log_p[j]) for j in range(len(z)) if r[j] > r[y])  # reward > v
        tail_at = tail + math.exp(log_level)  # reward >= v
        at_most = math.exp(n * math.log1p(-tail)) if tail < 1 else 0.0
        below = math.exp(n * math.log1p(-tail_at)) if tail_at < 1 else 0.0
        result.append((at_most - below) * math.exp(log_p[y] - log_level))
    return np.array(result)


@CATALOGUE.correct("kl_loss_gradient", "closed forms per estimator, best-of-n by sorting")
def kl_loss_gradient_closed_forms(logits, ref_logits, estimator):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    if z.ndim != 1 or z.size == 0 or z_ref.shape != z.shape:
        raise ValueError("ref_logits must have the shape of logits")
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    if estimator == "k1":
        return np.zeros_like(z)
    if estimator == "k2":
        d = log_pi - log_ref
        return pi * (d - pi @ d)
    if estimator == "k3":
        return pi - np.exp(log_ref)
    raise ValueError(f"estimator must be k1, k2 or k3, got {estimator}")


@CATALOGUE.correct("best_of_n_policy", "closed forms per estimator, best-of-n by sorting")
def best_of_n_policy_closed_forms(ref_logits, rewards, n):
    if not float(n).is_integer() or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n}")
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    if z.ndim != 1 or z.size == 0 or r.shape != z.shape:
        raise ValueError(f"rewards must have the shape of ref_logits, got {r.shape}")
    log_p = z - np.logaddexp.reduce(z)
    order = np.argsort(-r, kind="stable")  # best first
    p = np.exp(log_p[order])
    tail_incl = np.cumsum(p)  # mass with reward >= r[order[i]] up to index i
    result = np.zeros(z.size)
    i = 0
    while i < z.size:
        j = i
        while j + 1 < z.size and r[order[j + 1]] == r[order[i]]:
            j += 1
        above = tail_incl[i - 1] if i > 0 else 0.0  # mass with a higher reward
        upto = tail_incl[j]  # mass with a reward at least this level's
        prob = (np.exp(n * np.log1p(-above)) if above < 1 else 0.0) - (
            np.exp(n * np.log1p(-upto)) if upto < 1 else 0.0
        )
        members = order[i : j + 1]
        log_level = np.logaddexp.reduce(log_p[members])
        result[members] = prob * np.exp(log_p[members] - log_level)
        i = j + 1
    return result
