"""Correct alternative implementations of Lab 3's functions: each group must keep full marks.

The known mistakes are in `autograder/labs/lab3_rlhf/catalogue.py`. Each group replaces reference
functions; the submission's header imports `math`, `numpy as np` and the reference module as
`_reference` (and star-imports it).
"""

import numpy as np

from tests.variants import correct

# --- correct: loops -------------------------------------------------------------------------


@correct("loops")
def rlhf_capability_step(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
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


@correct("loops")
def kl_divergence(p, q):
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
    for pi, qi in zip(p.ravel(), q.ravel()):
        if pi == 0:
            continue
        if qi == 0:
            return math.inf
        kl += pi * (math.log(pi) - math.log(qi))
    return kl


@correct("loops")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
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


@correct("loops")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    kl_regularized_objective(logits, ref_logits, rewards, beta)  # the same checks
    z, z_ref, r = list(np.ravel(logits)), list(np.ravel(ref_logits)), list(np.ravel(rewards))
    top, top_ref = max(z), max(z_ref)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    lse_ref = top_ref + math.log(sum(math.exp(v - top_ref) for v in z_ref))
    pi = [math.exp(v - lse) for v in z]
    a = [r[k] - beta * ((z[k] - lse) - (z_ref[k] - lse_ref)) - beta for k in range(len(z))]
    mean_a = sum(p * x for p, x in zip(pi, a))
    return np.array([pi[k] * (a[k] - mean_a) for k in range(len(z))])


@correct("loops")
def rlhf_update(logits, ref_logits, rewards, beta, lr):
    if lr <= 0 or lr != lr:
        raise ValueError("lr must be > 0")
    grad = kl_regularized_gradient(logits, ref_logits, rewards, beta)
    return np.array([float(v) + lr * g for v, g in zip(np.ravel(logits), grad)])


@correct("loops")
def optimal_policy(ref_logits, rewards, beta):
    if not beta > 0:
        raise ValueError("beta must be > 0")
    if np.ndim(ref_logits) != 1 or np.size(ref_logits) == 0 or np.shape(rewards) != np.shape(ref_logits):
        raise ValueError("rewards and ref_logits must be vectors of the same shape")
    z = [float(zr) + float(r) / beta for zr, r in zip(np.ravel(ref_logits), np.ravel(rewards))]
    top = max(z)
    weights = [math.exp(v - top) for v in z]
    total = sum(weights)
    return np.array([w / total for w in weights])


@correct("loops")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
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


@correct("loops")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    new, old, adv = list(np.ravel(logp_new)), list(np.ravel(logp_old)), list(np.ravel(advantages))
    if not len(new) == len(old) == len(adv):
        raise ValueError("logp_new, logp_old and advantages must have the same length")
    if not 0 < clip_eps < 1:
        raise ValueError("clip_eps must lie in (0, 1)")
    total = 0.0
    for a, b, advantage in zip(new, old, adv):
        rho = math.exp(a - b)
        clipped = min(max(rho, 1 - clip_eps), 1 + clip_eps)
        total += min(rho * advantage, clipped * advantage)
    return total / len(new)


@correct("loops")
def kl_estimators(logp, logp_ref):
    logp, logp_ref = np.asarray(logp, float), np.asarray(logp_ref, float)
    if logp.shape != logp_ref.shape:
        raise ValueError("logp and logp_ref must have the same shape")
    k1, k2, k3 = np.empty_like(logp), np.empty_like(logp), np.empty_like(logp)
    for index in np.ndindex(logp.shape):
        x = logp[index] - logp_ref[index]
        k1[index], k2[index], k3[index] = x, x * x / 2, math.exp(-x) - 1 + x
    return k1, k2, k3


# --- correct: other formulations ------------------------------------------------------------


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def kl_divergence(p, q):
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


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
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


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    kl_regularized_objective(logits, ref_logits, rewards, beta)  # the same checks
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    shifted, shifted_ref = z - z.max(), z_ref - z_ref.max()
    pi = np.exp(shifted) / np.exp(shifted).sum()
    log_ratio = shifted - shifted_ref - np.log(np.exp(shifted).sum()) + np.log(np.exp(shifted_ref).sum())
    jacobian = np.diag(pi) - np.outer(pi, pi)  # dpi_y / dz_k, symmetric
    return jacobian @ (r - beta * log_ratio - beta)


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def optimal_policy(ref_logits, rewards, beta):
    z_ref, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    if not beta > 0:
        raise ValueError("beta must be positive")
    if z_ref.ndim != 1 or z_ref.size == 0 or r.shape != z_ref.shape:
        raise ValueError("rewards must have the shape of ref_logits")
    log_weights = z_ref + r / beta
    return np.exp(log_weights - np.logaddexp.reduce(log_weights))


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
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


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    new, old, adv = (np.asarray(a, float) for a in (logp_new, logp_old, advantages))
    if new.shape != old.shape or new.shape != adv.shape:
        raise ValueError("logp_new, logp_old and advantages must have one length")
    if not 0 < clip_eps < 1:
        raise ValueError("clip_eps must be strictly between 0 and 1")
    rho = np.exp(new - old)
    return float(np.mean(np.minimum(rho * adv, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * adv)))


@correct("probability space with care, per-sample REINFORCE, textbook PPO")
def kl_estimators(logp, logp_ref):
    logp, logp_ref = np.asarray(logp, float), np.asarray(logp_ref, float)
    if logp.shape != logp_ref.shape:
        raise ValueError("logp and logp_ref must have the same shape")
    ratio = np.exp(logp_ref - logp)  # pi_ref / pi
    return np.log(1 / ratio), np.log(ratio) ** 2 / 2, ratio - 1 - np.log(ratio)


@correct("loops")
def kl_loss_gradient(logits, ref_logits, estimator):
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


@correct("loops")
def best_of_n_policy(ref_logits, rewards, n):
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


@correct("closed forms per estimator, best-of-n by sorting")
def kl_loss_gradient(logits, ref_logits, estimator):
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


@correct("closed forms per estimator, best-of-n by sorting")
def best_of_n_policy(ref_logits, rewards, n):
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
