"""Plausible mistakes in Lab 3 (each must lose points) and three groups of correct alternatives."""

import numpy as np

from tests.variants import correct, wrong

# --- wrong: rlhf_capability_step ------------------------------------------------------------


@wrong("kl_penalty multiplies the step instead of (1 - kl_penalty) (the same at 0.5)")
def rlhf_capability_step(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    _reference.rlhf_capability_step(capabilities, reward_weights, step_size, kl_penalty, cap)  # validation
    return {
        k: float(min(cap, max(0.0, c + reward_weights[k] * step_size * kl_penalty)))
        for k, c in capabilities.items()
    }


@wrong("no clip at cap")
def rlhf_capability_step(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    _reference.rlhf_capability_step(capabilities, reward_weights, step_size, kl_penalty, cap)  # validation
    return {
        k: float(max(0.0, c + reward_weights[k] * step_size * (1 - kl_penalty)))
        for k, c in capabilities.items()
    }


@wrong("dict in sorted key order")
def rlhf_capability_step(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    result = _reference.rlhf_capability_step(capabilities, reward_weights, step_size, kl_penalty, cap)
    return {k: result[k] for k in sorted(result)}


@wrong("no input validation")
def rlhf_capability_step(capabilities, reward_weights, step_size=5.0, kl_penalty=0.5, cap=100.0):
    return {
        k: float(min(cap, max(0.0, c + reward_weights.get(k, 0.0) * step_size * (1 - kl_penalty))))
        for k, c in capabilities.items()
    }


# --- wrong: kl_divergence -------------------------------------------------------------------


@wrong("arguments swapped: KL(q || p)")
def kl_divergence(p, q):
    _reference.kl_divergence(p, q)  # validation
    return _reference.kl_divergence(q, p)


@wrong("log(p / q): the ratio overflows for a tiny q")
def kl_divergence(p, q):
    _reference.kl_divergence(p, q)  # validation
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    if np.any(q[s] == 0):
        return float("inf")
    return float(np.sum(p[s] * np.log(p[s] / q[s])))


@wrong("no 0 * log 0 = 0 rule (nan where p = 0)")
def kl_divergence(p, q):
    _reference.kl_divergence(p, q)  # validation
    p, q = np.asarray(p, float), np.asarray(q, float)
    if np.any(q[p > 0] == 0):
        return float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.sum(p * (np.log(p) - np.log(q))))


@wrong("missing support is not inf (q clipped to 1e-12)")
def kl_divergence(p, q):
    _reference.kl_divergence(p, q)  # validation
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    return float(np.sum(p[s] * (np.log(p[s]) - np.log(np.maximum(q[s], 1e-12)))))


@wrong("naive p * log(p / q): warnings, nan for p = 0")
def kl_divergence(p, q):
    _reference.kl_divergence(p, q)  # validation
    p, q = np.asarray(p, float), np.asarray(q, float)
    return float(np.sum(p * np.log(p / q)))


@wrong("sign flipped: sum p * log(q / p)")
def kl_divergence(p, q):
    return -_reference.kl_divergence(p, q)


@wrong("no validation")
def kl_divergence(p, q):
    p, q = np.asarray(p, float), np.asarray(q, float)
    s = p > 0
    if np.any(q[s] <= 0):
        return float("inf")
    return float(np.sum(p[s] * (np.log(p[s]) - np.log(q[s]))))


# --- wrong: kl_regularized_objective --------------------------------------------------------


@wrong("np.log(softmax(...)): -inf and warnings at extreme logits")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_objective(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    pi_ref = np.exp(z_ref - z_ref.max()) / np.exp(z_ref - z_ref.max()).sum()
    return float(pi @ (r - beta * (np.log(pi) - np.log(pi_ref))))


@wrong("plain exp softmax that overflows at 1e3")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_objective(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi = z - np.log(np.exp(z).sum())
    log_ref = z_ref - np.log(np.exp(z_ref).sum())
    return float(np.exp(log_pi) @ (r - beta * (log_pi - log_ref)))


@wrong("plus instead of minus on the KL term")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    kl_free = _reference.kl_regularized_objective(logits, ref_logits, rewards, 0.0)
    return 2 * kl_free - _reference.kl_regularized_objective(logits, ref_logits, rewards, beta)


@wrong("KL arguments swapped: KL(pi_ref || pi)")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_objective(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    return float(np.exp(log_pi) @ r - beta * np.exp(log_ref) @ (log_ref - log_pi))


@wrong("raw logits as log-probabilities in the KL (logits - ref_logits)")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_objective(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi = np.exp(z - np.logaddexp.reduce(z))
    return float(pi @ (r - beta * (z - z_ref)))


@wrong("no validation")
def kl_regularized_objective(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    n = min(z.size, z_ref.size, r.size)
    return _reference.kl_regularized_objective(z[:n], z_ref[:n], r[:n], abs(beta))


# --- wrong: kl_regularized_gradient ---------------------------------------------------------


@wrong("no baseline subtraction in the softmax gradient: pi * a (does not sum to 0)")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_gradient(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    return np.exp(log_pi) * (r - beta * (log_pi - log_ref) - beta)


@wrong("ignores the KL term: the gradient of E_pi[r] only")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_gradient(logits, ref_logits, rewards, beta)  # validation
    return _reference.kl_regularized_gradient(logits, ref_logits, rewards, 0.0)


@wrong("plus instead of minus on the KL term")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_gradient(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    a = r + beta * (log_pi - log_ref) + beta
    return pi * (a - pi @ a)


@wrong("plain exp softmax that overflows at 1e3")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    _reference.kl_regularized_gradient(logits, ref_logits, rewards, beta)  # validation
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    pi, pi_ref = np.exp(z) / np.exp(z).sum(), np.exp(z_ref) / np.exp(z_ref).sum()
    a = r - beta * (np.log(pi) - np.log(pi_ref)) - beta
    return pi * (a - pi @ a)


@wrong("no validation")
def kl_regularized_gradient(logits, ref_logits, rewards, beta):
    z, z_ref, r = (np.asarray(a, float) for a in (logits, ref_logits, rewards))
    n = min(z.size, z_ref.size, r.size)
    return _reference.kl_regularized_gradient(z[:n], z_ref[:n], r[:n], abs(beta))


# --- wrong: rlhf_update ---------------------------------------------------------------------


@wrong("descent instead of ascent: logits - lr * gradient")
def rlhf_update(logits, ref_logits, rewards, beta, lr):
    return 2 * np.asarray(logits, float) - _reference.rlhf_update(logits, ref_logits, rewards, beta, lr)


@wrong("steps on the reward gradient only (beta ignored in the update)")
def rlhf_update(logits, ref_logits, rewards, beta, lr):
    _reference.rlhf_update(logits, ref_logits, rewards, beta, lr)  # validation
    return _reference.rlhf_update(logits, ref_logits, rewards, 0.0, lr)


@wrong("no validation of lr")
def rlhf_update(logits, ref_logits, rewards, beta, lr):
    return _reference.rlhf_update(logits, ref_logits, rewards, beta, abs(lr) or 1.0)


# --- wrong: optimal_policy ------------------------------------------------------------------


@wrong("r * beta instead of r / beta")
def optimal_policy(ref_logits, rewards, beta):
    _reference.optimal_policy(ref_logits, rewards, beta)  # validation
    z = np.asarray(ref_logits, float) + np.asarray(rewards, float) * beta
    w = np.exp(z - z.max())
    return w / w.sum()


@wrong("-r / beta: the sign of the reward flipped")
def optimal_policy(ref_logits, rewards, beta):
    _reference.optimal_policy(ref_logits, rewards, beta)  # validation
    z = np.asarray(ref_logits, float) - np.asarray(rewards, float) / beta
    w = np.exp(z - z.max())
    return w / w.sum()


@wrong("no max subtraction (nan for a small beta)")
def optimal_policy(ref_logits, rewards, beta):
    _reference.optimal_policy(ref_logits, rewards, beta)  # validation
    w = np.exp(np.asarray(ref_logits, float) + np.asarray(rewards, float) / beta)
    return w / w.sum()


@wrong("forgets pi_ref: softmax(r / beta)")
def optimal_policy(ref_logits, rewards, beta):
    _reference.optimal_policy(ref_logits, rewards, beta)  # validation
    z = np.asarray(rewards, float) / beta
    w = np.exp(z - z.max())
    return w / w.sum()


@wrong("no validation")
def optimal_policy(ref_logits, rewards, beta):
    z_ref, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    n = min(z_ref.size, r.size)
    return _reference.optimal_policy(z_ref[:n], r[:n], abs(beta) or 1.0)


# --- wrong: reinforce_kl_gradient -----------------------------------------------------------


@wrong("mean baseline including self ((n-1)/n bias)")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta)  # validation
    z, z_ref, y, r = np.asarray(logits, float), np.asarray(ref_logits, float), np.asarray(samples), np.asarray(
        sample_rewards, float)  # fmt: skip
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    advantage = s - s.mean()
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (advantage[:, None] * score).mean(axis=0)


@wrong("no baseline")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta)  # validation
    z, z_ref, y, r = np.asarray(logits, float), np.asarray(ref_logits, float), np.asarray(samples), np.asarray(
        sample_rewards, float)  # fmt: skip
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (s[:, None] * score).mean(axis=0)


@wrong("shaped reward without the KL term")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta)  # validation
    return _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, 0.0)


@wrong("leave-one-out baseline divided by n instead of n - 1")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta)  # validation
    z, z_ref, y, r = np.asarray(logits, float), np.asarray(ref_logits, float), np.asarray(samples), np.asarray(
        sample_rewards, float)  # fmt: skip
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    s = r - beta * (log_pi[y] - log_ref[y])
    advantage = s - (s.sum() - s) / y.size
    score = (np.arange(z.size) == y[:, None]) - np.exp(log_pi)
    return (advantage[:, None] * score).mean(axis=0)


@wrong("no validation")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    z = np.asarray(logits, float)
    y = np.clip(np.asarray(samples, dtype=np.int64), 0, z.size - 1)
    r = np.resize(np.asarray(sample_rewards, float), y.shape)
    if y.size < 2:
        return np.zeros_like(z)
    return _reference.reinforce_kl_gradient(
        z, np.resize(np.asarray(ref_logits, float), z.shape), y, r, abs(beta)
    )


@wrong("repeated samples scattered with grad[samples] += ... (a repeat counts once)", hint="np.add.at")
def reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta):
    _reference.reinforce_kl_gradient(logits, ref_logits, samples, sample_rewards, beta)  # validation
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    y, r = np.asarray(samples).astype(int), np.asarray(sample_rewards, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    shaped = r - beta * (log_pi[y] - log_ref[y])
    advantage = shaped - (shaped.sum() - shaped) / (y.size - 1)
    grad = -advantage.sum() * np.exp(log_pi)
    grad[y] += advantage
    return grad / y.size


# --- wrong: ppo_clip_objective --------------------------------------------------------------


@wrong("max instead of min")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    _reference.ppo_clip_objective(logp_new, logp_old, advantages, clip_eps)  # validation
    rho = np.exp(np.asarray(logp_new, float) - np.asarray(logp_old, float))
    a = np.asarray(advantages, float)
    return float(np.mean(np.maximum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a)))


@wrong("only the clipped term")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    _reference.ppo_clip_objective(logp_new, logp_old, advantages, clip_eps)  # validation
    rho = np.exp(np.asarray(logp_new, float) - np.asarray(logp_old, float))
    return float(np.mean(np.clip(rho, 1 - clip_eps, 1 + clip_eps) * np.asarray(advantages, float)))


@wrong("rho without exp: the log-ratio used as the ratio")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    _reference.ppo_clip_objective(logp_new, logp_old, advantages, clip_eps)  # validation
    rho = np.asarray(logp_new, float) - np.asarray(logp_old, float)
    a = np.asarray(advantages, float)
    return float(np.mean(np.minimum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a)))


@wrong("rho inverted: exp(logp_old - logp_new)")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    return _reference.ppo_clip_objective(logp_old, logp_new, advantages, clip_eps)


@wrong("clip_eps validated as [0, 1] instead of (0, 1)")
def ppo_clip_objective(logp_new, logp_old, advantages, clip_eps=0.2):
    if not 0 <= clip_eps <= 1:
        raise ValueError(f"clip_eps must be in [0, 1], got {clip_eps}")
    inside = min(max(clip_eps, 1e-12), 1 - 1e-12)
    return _reference.ppo_clip_objective(logp_new, logp_old, advantages, inside)


# --- wrong: kl_estimators -------------------------------------------------------------------


@wrong("k3 with the ratio inverted: exp(log_ratio) - 1 - log_ratio")
def kl_estimators(logp, logp_ref):
    k1, k2, _ = _reference.kl_estimators(logp, logp_ref)
    return k1, k2, np.expm1(k1) - k1


@wrong("k3 with the wrong sign on the last term: exp(-log_ratio) - 1 - log_ratio")
def kl_estimators(logp, logp_ref):
    k1, k2, _ = _reference.kl_estimators(logp, logp_ref)
    return k1, k2, np.expm1(-k1) - k1


@wrong("k1 swapped: logp_ref - logp")
def kl_estimators(logp, logp_ref):
    k1, k2, k3 = _reference.kl_estimators(logp, logp_ref)
    return -k1, k2, k3


@wrong("k2 without /2")
def kl_estimators(logp, logp_ref):
    k1, k2, k3 = _reference.kl_estimators(logp, logp_ref)
    return k1, 2 * k2, k3


@wrong("no validation (broadcasts mismatched shapes)")
def kl_estimators(logp, logp_ref):
    x = np.asarray(logp, float) - np.asarray(logp_ref, float)
    return x, x**2 / 2, np.expm1(-x) + x


# --- wrong: kl_loss_gradient ----------------------------------------------------------------


@wrong("k3 treated as the true KL gradient: pi * (d - E_pi[d]) for k3", hint="reverse KL")
def kl_loss_gradient(logits, ref_logits, estimator):
    _reference.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    return _reference.kl_loss_gradient(logits, ref_logits, "k2" if estimator == "k3" else estimator)


@wrong("gradient through the sampling: the full gradient of E_pi[k]", hint="held fixed")
def kl_loss_gradient(logits, ref_logits, estimator):
    held = _reference.kl_loss_gradient(logits, ref_logits, estimator)
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    k = _reference.kl_estimators(log_pi, log_ref)[int(estimator[1]) - 1]
    return held + pi * (k - pi @ k)


@wrong("k2 and k3 swapped", hint="pi - pi_ref is what k3 gives")
def kl_loss_gradient(logits, ref_logits, estimator):
    swap = {"k2": "k3", "k3": "k2"}
    _reference.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    return _reference.kl_loss_gradient(logits, ref_logits, swap.get(estimator, estimator))


@wrong("chain rule without the -pi term: pi(y) * dk/dlogp only", hint="left out the -pi term")
def kl_loss_gradient(logits, ref_logits, estimator):
    _reference.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    return {"k1": pi, "k2": pi * (log_pi - log_ref), "k3": pi - np.exp(log_ref)}[estimator]


@wrong("k3 as pi * (1 - exp(-log_ratio)), which overflows", hint="write pi * exp(-log_ratio) as pi_ref")
def kl_loss_gradient(logits, ref_logits, estimator):
    if estimator != "k3":
        return _reference.kl_loss_gradient(logits, ref_logits, estimator)
    _reference.kl_loss_gradient(logits, ref_logits, estimator)  # validation
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
    pi = np.exp(log_pi)
    weight = pi * (1 - np.exp(-(log_pi - log_ref)))
    return weight - pi * weight.sum()


@wrong("sign flipped", hint="check the overall sign")
def kl_loss_gradient(logits, ref_logits, estimator):
    return -_reference.kl_loss_gradient(logits, ref_logits, estimator)


@wrong("an unknown estimator treated as k1")
def kl_loss_gradient(logits, ref_logits, estimator):
    known = estimator if estimator in ("k1", "k2", "k3") else "k1"
    return _reference.kl_loss_gradient(logits, ref_logits, known)


# --- wrong: best_of_n_policy ----------------------------------------------------------------


@wrong("ties split uniformly instead of in proportion to pi_ref", hint="in proportion to pi_ref")
def best_of_n_policy(ref_logits, rewards, n):
    result = _reference.best_of_n_policy(ref_logits, rewards, n)
    r = np.asarray(rewards, float)
    _, level_of, counts = np.unique(r, return_inverse=True, return_counts=True)
    level_prob = np.bincount(level_of, weights=result)
    return level_prob[level_of] / counts[level_of]


@wrong("F(v)**n without subtracting F(v-)**n", hint="F(v-)")
def best_of_n_policy(ref_logits, rewards, n):
    _reference.best_of_n_policy(ref_logits, rewards, n)  # validation
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    pi_ref = np.exp(z - np.logaddexp.reduce(z))
    _, level_of = np.unique(r, return_inverse=True)
    mass = np.bincount(level_of, weights=pi_ref)
    return (np.cumsum(mass) ** n)[level_of] * pi_ref / mass[level_of]


@wrong("1 - F by subtraction: F**n from a cumulative sum loses precision at large n", hint="tail mass")
def best_of_n_policy(ref_logits, rewards, n):
    _reference.best_of_n_policy(ref_logits, rewards, n)  # validation
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    log_ref = z - np.logaddexp.reduce(z)
    levels, level_of = np.unique(r, return_inverse=True)
    log_mass = np.full(levels.size, -np.inf)
    np.logaddexp.at(log_mass, level_of, log_ref)
    at_most = np.cumsum(np.exp(log_mass))
    below = at_most - np.exp(log_mass)
    return (at_most**n - below**n)[level_of] * np.exp(log_ref - log_mass[level_of])


@wrong("ties broken by index (each response its own level)", hint="not by index")
def best_of_n_policy(ref_logits, rewards, n):
    r = np.asarray(rewards, float)
    order = np.lexsort((np.arange(r.size), r))
    distinct = np.empty(r.size)
    distinct[order] = np.arange(r.size)
    _reference.best_of_n_policy(ref_logits, rewards, n)  # validation
    return _reference.best_of_n_policy(ref_logits, distinct, n)


@wrong("pi_ref**n normalised", hint="not pi_ref**n normalised")
def best_of_n_policy(ref_logits, rewards, n):
    _reference.best_of_n_policy(ref_logits, rewards, n)  # validation
    z = np.asarray(ref_logits, float) * n
    w = np.exp(z - z.max())
    return w / w.sum()


@wrong("a Monte Carlo estimate (1000 simulations) instead of the exact distribution")
def best_of_n_policy(ref_logits, rewards, n):
    _reference.best_of_n_policy(ref_logits, rewards, n)  # validation
    z, r = np.asarray(ref_logits, float), np.asarray(rewards, float)
    pi_ref = np.exp(z - np.logaddexp.reduce(z))
    rng = np.random.default_rng(0)
    draws = rng.choice(r.size, size=(1000, min(int(n), 64)), p=pi_ref)
    values = r[draws]
    pick = np.argmax((values == values.max(axis=1, keepdims=True)) * rng.random(draws.shape), axis=1)
    return np.bincount(draws[np.arange(1000), pick], minlength=r.size) / 1000


@wrong("n not validated (2.5 and 0 accepted)")
def best_of_n_policy(ref_logits, rewards, n):
    return _reference.best_of_n_policy(ref_logits, rewards, max(1, round(n)))


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
