"""Correct alternative implementations of Lab 5's functions: each group must keep full marks.

The known mistakes are in `autograder/labs/lab5_grpo/catalogue.py`. Each group replaces reference
functions; the submission's header imports `math`, `numpy as np` and the reference module as
`_reference` (and star-imports it).
"""

import numpy as np

from tests.variants import correct

# --- correct alternatives -------------------------------------------------------------------


@correct("loops")
def group_advantages(rewards, normalize_std=True, eps=1e-6):
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


@correct("loops")
def pass_at_k(n, c, k):
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


@correct("loops")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    import math

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


@correct("loops")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    import math

    grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)  # validates the arguments
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


@correct("exact rationals for small n, vectorised")
def pass_at_k(n, c, k):
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


@correct("exact rationals for small n, vectorised")
def group_advantages(rewards, normalize_std=True, eps=1e-6):
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


@correct("exact rationals for small n, vectorised")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    return _reference.grpo_objective(
        logp_new, logp_old, advantages, np.asarray(mask) != 0, clip_eps, aggregation
    )


@correct("exact rationals for small n, vectorised")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
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


# --- correct: the third round's functions -------------------------------------------------------


@correct("loops")
def ratio_objective(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    import math

    _reference.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
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


@correct("loops")
def ratio_objective_grad(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):
    import math

    _reference.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
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


@correct("loops")
def token_entropy(logits, mask):
    import math

    _reference.token_entropy(logits, mask)
    z, m = np.asarray(logits, dtype=float), np.asarray(mask, dtype=bool)
    total, count = 0.0, 0
    for b, t in zip(*np.nonzero(m), strict=True):
        row = [float(v) for v in z[b, t]]
        top = max(row)
        log_norm = top + math.log(sum(math.exp(v - top) for v in row))
        total -= sum(math.exp(v - log_norm) * (v - log_norm) for v in row)
        count += 1
    return total / count


@correct("loops")
def entropy_change(logits, advantages, lr):
    import math

    _reference.entropy_change(logits, advantages, lr)
    z, a = [float(v) for v in logits], [float(v) for v in advantages]
    top = max(z)
    log_norm = top + math.log(sum(math.exp(v - top) for v in z))
    log_pi = [v - log_norm for v in z]
    pi = [math.exp(v) for v in log_pi]
    entropy = -sum(p * lp for p, lp in zip(pi, log_pi, strict=True))
    mean_a = sum(p * v for p, v in zip(pi, a, strict=True))
    # grad H . delta, with dH / dz_j = -pi_j (log pi_j + H) and delta_j = lr pi_j (A_j - E[A])
    return sum(-p * (lp + entropy) * lr * p * (v - mean_a) for p, lp, v in zip(pi, log_pi, a, strict=True))


@correct("log-space")
def ratio_objective(logp_new, logp_old, advantages, mask, method="ppo", clip_low=0.2, clip_high=0.28):

    value = _reference.ratio_objective(logp_new, logp_old, advantages, mask, method, clip_low, clip_high)
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


@correct("log-space")
def token_entropy(logits, mask):

    _reference.token_entropy(logits, mask)
    z = np.asarray(logits, dtype=float)[np.asarray(mask, dtype=bool)]
    log_norm = np.logaddexp.reduce(z - z.max(axis=-1, keepdims=True), axis=-1) + z.max(axis=-1)
    pi = np.exp(z - log_norm[:, None])
    # H = log Z - E_pi[z]
    return float(np.mean(log_norm - np.sum(pi * z, axis=-1)))


@correct("log-space")
def entropy_change(logits, advantages, lr):

    _reference.entropy_change(logits, advantages, lr)
    z, a = np.asarray(logits, dtype=float), np.asarray(advantages, dtype=float)
    log_pi = z - np.logaddexp.reduce(z)
    pi = np.exp(log_pi)
    delta = lr * pi * (a - pi @ a)
    # -Cov_pi(log pi, delta) = -(E[log pi * delta] - E[log pi] E[delta])
    return float(-(pi @ (log_pi * delta) - (pi @ log_pi) * (pi @ delta)))
