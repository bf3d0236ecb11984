"""Plausible mistakes in Lab 5 (each must lose points) and two correct alternatives.

Each variant replaces one reference function. The submission's header imports `math`, `numpy as
np` and the reference module as `_reference` (and star-imports it); a wrong variant often calls the
reference first to keep its argument checks.
"""

import numpy as np

from tests.variants import correct, wrong

# --- wrong: group_advantages ------------------------------------------------------------------


@wrong("population standard deviation (ddof = 0)", hint="ddof = 1")
def group_advantages(rewards, normalize_std=True, eps=1e-6):

    _reference.group_advantages(rewards, normalize_std, eps)
    r = np.asarray(rewards, dtype=float)
    equal = np.all(r == r[:, :1], axis=1, keepdims=True)
    centred = np.where(equal, 0.0, r - r.mean(axis=1, keepdims=True))
    if not normalize_std:
        return centred
    return np.where(equal, 0.0, centred / (r.std(axis=1, keepdims=True) + eps))


@wrong("batch-wide mean and std instead of each group's", hint="each row")
def group_advantages(rewards, normalize_std=True, eps=1e-6):

    _reference.group_advantages(rewards, normalize_std, eps)
    r = np.asarray(rewards, dtype=float)
    centred = r - r.mean()
    if not normalize_std:
        return centred
    std = r.std(ddof=1) if r.size > 1 else 0.0
    return centred / (std + eps) if std + eps > 0 else np.zeros_like(r)


@wrong("no special case for an all-equal group: 0 / 0 with eps = 0", hint="all equal")
def group_advantages(rewards, normalize_std=True, eps=1e-6):

    _reference.group_advantages(rewards, normalize_std, eps)
    r = np.asarray(rewards, dtype=float)
    centred = r - r.mean(axis=1, keepdims=True)
    if not normalize_std:
        return centred
    with np.errstate(divide="ignore", invalid="ignore"):
        return centred / (r.std(axis=1, ddof=1, keepdims=True) + eps)


@wrong("normalize_std ignored: always divides by the std", hint="Dr. GRPO")
def group_advantages(rewards, normalize_std=True, eps=1e-6):

    return _reference.group_advantages(rewards, True, eps)


@wrong("no ValueError for G = 1 or a nan reward")
def group_advantages(rewards, normalize_std=True, eps=1e-6):

    r = np.asarray(rewards, dtype=float)
    if r.ndim != 2:
        raise ValueError("rewards must be 2-D")
    if eps < 0:
        raise ValueError("eps must be >= 0")
    if r.shape[1] < 2 or not np.all(np.isfinite(r)):
        return np.zeros_like(r)
    return _reference.group_advantages(r, normalize_std, eps)


# --- wrong: pass_at_k -----------------------------------------------------------------------


@wrong("the biased 1 - (1 - c / n)**k", hint="with replacement")
def pass_at_k(n, c, k):

    _reference.pass_at_k(n, c, k)
    return float(1.0 - (1.0 - c / n) ** k)


@wrong("binomial coefficients as floats (overflow for large n)", hint="overflow")
def pass_at_k(n, c, k):

    _reference.pass_at_k(n, c, k)
    return 1.0 - float(math.comb(int(n - c), int(k))) / float(math.comb(int(n), int(k)))


@wrong("log-gamma differences (digits lost for tiny values)", hint="log-gamma")
def pass_at_k(n, c, k):

    _reference.pass_at_k(n, c, k)
    if n - c < k:
        return 1.0

    def log_comb(a, b):
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    return 1.0 - math.exp(log_comb(n - c, k) - log_comb(n, k))


@wrong("returns C(n - c, k) / C(n, k), the probability that all k are wrong", hint="1 minus it")
def pass_at_k(n, c, k):

    return 1.0 - _reference.pass_at_k(n, c, k)


@wrong("no ValueError for a non-integral argument")
def pass_at_k(n, c, k):

    return _reference.pass_at_k(round(n), round(c), round(k))


# --- wrong: grpo_objective ------------------------------------------------------------------


@wrong("max instead of min in the clipped surrogate", hint="not the maximum")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(
        np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    )
    a = np.asarray(advantages, dtype=float)[:, None]
    o = np.where(m, np.maximum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a), 0.0)
    if aggregation == "sequence":
        return float(np.mean(o.sum(axis=1) / m.sum(axis=1)))
    return float(o.sum() / (m.sum() if aggregation == "token" else m.size))


@wrong("padding counted in the mean", hint="padding")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    full = np.ones_like(np.asarray(mask, dtype=bool))
    return _reference.grpo_objective(logp_new, logp_old, advantages, full, clip_eps, aggregation)


@wrong("padding removed by multiplying with the mask (nan * 0 is nan)", hint="nan * 0")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    value = _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        pollution = np.sum((np.asarray(logp_new, float) - np.asarray(logp_old, float)) * (1 - m) * 0.0)
    return float(value + pollution)


@wrong("'sequence' averages each response over T instead of its own length", hint="own length")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    if aggregation != "sequence":
        return _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, "constant")


@wrong("'constant' divides by the token count", hint="B * T")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    if aggregation != "constant":
        return _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, "token")


@wrong("exp of the raw log-ratio (overflow warning for a huge ratio)", hint="cap the log-ratio")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    rho = np.exp(
        np.where(m, np.asarray(logp_new, float) - np.where(m, np.asarray(logp_old, float), 0.0), 0.0)
    )
    a = np.asarray(advantages, dtype=float)[:, None]
    o = np.where(m, np.minimum(rho * a, np.clip(rho, 1 - clip_eps, 1 + clip_eps) * a), 0.0)
    if aggregation == "sequence":
        return float(np.mean(o.sum(axis=1) / m.sum(axis=1)))
    return float(o.sum() / (m.sum() if aggregation == "token" else m.size))


@wrong("no ValueError for an unknown aggregation or an empty response")
def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    m = np.asarray(mask, dtype=bool)
    if aggregation not in ("sequence", "token", "constant"):
        aggregation = "token"
    if m.ndim == 2 and m.shape[0] > 0 and not np.all(m.any(axis=1)):
        return 0.0
    return _reference.grpo_objective(logp_new, logp_old, advantages, m, clip_eps, aggregation)


# --- wrong: grpo_objective_grad -------------------------------------------------------------


@wrong("gradient through clipped tokens", hint="no gradient")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    a = np.asarray(advantages, dtype=float)[:, None]
    weights = {
        "sequence": 1.0 / (m.shape[0] * m.sum(axis=1, keepdims=True)),
        "token": 1.0 / m.sum(),
        "constant": 1.0 / m.size,
    }[aggregation]
    return np.where(m, weights * np.exp(log_ratio) * a, 0.0)


@wrong("gradient with respect to rho (the factor rho missing)", hint="d rho / d logp_new = rho")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    grad = _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    return grad * np.exp(-log_ratio)


@wrong("clipped wherever rho leaves the range, whatever the sign of A", hint="clip only where it lowers")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    grad = _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, 0.999999, aggregation)
    m = np.asarray(mask, dtype=bool)
    log_ratio = np.where(m, np.asarray(logp_new, float), 0.0) - np.where(m, np.asarray(logp_old, float), 0.0)
    inside = (log_ratio >= np.log1p(-clip_eps)) & (log_ratio <= np.log1p(clip_eps))
    _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return np.where(inside, grad, 0.0)


@wrong("'sequence' weights 1 / (B * T)", hint="1 / (B * L_b)")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    if aggregation != "sequence":
        return _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    return _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, "constant")


@wrong("padding gets gradient (weights not masked, nan on nan padding)", hint="padding gets no gradient")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):

    grad = _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
    m = np.asarray(mask, dtype=bool)
    a = np.asarray(advantages, dtype=float)[:, None]
    weights = {
        "sequence": 1.0 / (m.shape[0] * m.sum(axis=1, keepdims=True)),
        "token": 1.0 / m.sum(),
        "constant": 1.0 / m.size,
    }[aggregation]
    return np.where(m, grad, weights * a)


@wrong("no ValueError for clip_eps outside (0, 1)")
def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
    return _reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, min(max(clip_eps, 0.01), 0.99),
                                          aggregation)  # fmt: skip


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
