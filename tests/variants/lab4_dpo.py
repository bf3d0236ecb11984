"""Plausible mistakes in Lab 4 (each must lose points) and two correct alternatives.

Each variant replaces one reference function. The submission's header imports the reference module
as `_reference` (and star-imports it), so a variant calls the reference as `_reference.dpo_loss(...)`.
"""

import math

import numpy as np

from tests.variants import correct, wrong

# --- wrong: dpo_loss ------------------------------------------------------------------------


@wrong("beta missing: -log sigmoid(m)", hint="`beta` is missing")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -((pc - rc) - (pr - rr)))))


@wrong("beta only on the policy terms", hint="multiplies the whole margin")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * (pc - pr) - (rc - rr)))))


@wrong("reference terms added instead of subtracted", hint="you added them")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((pc + rc) - (pr + rr)))))


@wrong("sigmoid(z) for sigmoid(-z): -log sigmoid(-beta * m)", hint="wrong sign")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, beta * ((pc - rc) - (pr - rr)))))


@wrong("reference minus policy in each bracket", hint="wrong sign")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((rc - pc) - (rr - pr)))))


@wrong("sum over pairs instead of mean", hint="do not sum")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    loss = _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    return loss * len(np.asarray(policy_chosen_logps))


@wrong("naive log-sigmoid: -log(1 / (1 + exp(-x)))", hint="np.logaddexp(0, -x)")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    sigmoid = 1.0 / (1.0 + np.exp(-beta * ((pc - rc) - (pr - rr))))
    return float(np.mean(-np.log(sigmoid)))


@wrong("log1p(exp(-x)): overflows for large negative margins", hint="np.logaddexp(0, -x)")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.log1p(np.exp(-beta * ((pc - rc) - (pr - rr))))))


@wrong("checks beta < 0 instead of beta <= 0", hint="naming 'beta'")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if beta == 0:
        return float(np.log(2.0))
    return _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )


@wrong("no validation of the lengths", hint="naming 'policy_rejected_logps'")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    n = min(len(pc), len(pr), len(rc), len(rr))
    margin = (pc[:n] - rc[:n]) - (pr[:n] - rr[:n])
    return float(np.mean(np.logaddexp(0.0, -beta * margin)))


# --- wrong: implicit_reward -----------------------------------------------------------------


@wrong("raw logits: beta * (logits - ref_logits), right only up to a constant", hint="not raw logits")
def implicit_reward(logits, ref_logits, beta):
    _reference.implicit_reward(logits, ref_logits, beta)
    return beta * (np.asarray(logits, float) - np.asarray(ref_logits, float))


@wrong("log(softmax) without subtracting the maximum", hint="subtract the maximum")
def implicit_reward(logits, ref_logits, beta):
    _reference.implicit_reward(logits, ref_logits, beta)
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    pi, pi_ref = np.exp(z) / np.exp(z).sum(), np.exp(z_ref) / np.exp(z_ref).sum()
    return beta * (np.log(pi) - np.log(pi_ref))


@wrong("divides by beta instead of multiplying", hint="multiply by beta")
def implicit_reward(logits, ref_logits, beta):
    return _reference.implicit_reward(logits, ref_logits, beta) / beta**2


@wrong("reference minus policy", hint="policy minus reference")
def implicit_reward(logits, ref_logits, beta):
    return _reference.implicit_reward(ref_logits, logits, beta)


@wrong("no validation of shapes and beta", hint="say which argument is wrong")
def implicit_reward(logits, ref_logits, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi = z - z.max() - np.log(np.exp(z - z.max()).sum())
    log_ref = z_ref - z_ref.max() - np.log(np.exp(z_ref - z_ref.max()).sum())
    return abs(beta) * (log_pi - log_ref[: len(log_pi)])


# --- wrong: dpo_gradient --------------------------------------------------------------------


@wrong("the outer beta missing", hint="`beta` appears twice")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    return _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta) / beta


@wrong("weighted by sigmoid(+beta * m) instead of sigmoid(-beta * m)", hint="not sigmoid(+beta * m_i)")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, -(rewards[chosen] - rewards[rejected])))
    k = rewards.size
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / chosen.size


@wrong("softmax baseline kept: d m / d logits = onehot(c) - pi - onehot(r)", hint="baseline cancels")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    z = np.asarray(logits, float)
    pi = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    onehot = np.eye(rewards.size)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    return -beta * (weight @ (onehot[chosen] - pi - onehot[rejected])) / chosen.size


@wrong("repeated indices not accumulated: grad[chosen] -= w", hint="one update per index; use np.add.at")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    grad = np.zeros(rewards.size)
    grad[chosen] -= weight
    grad[rejected] += weight
    return beta * grad / chosen.size


@wrong("sign flipped: the gradient of the reward, not of the loss", hint="flip the sign")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    return -_reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)


@wrong("divided by K instead of n", hint="not by K")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    grad = _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    return grad * len(np.asarray(chosen)) / len(np.asarray(logits))


@wrong("sum over pairs instead of mean", hint="divide by n")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    return _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta) * len(np.asarray(chosen))


@wrong("naive sigmoid 1 / (1 + exp(x)): overflow warnings", hint="np.exp(-np.logaddexp(0, x))")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = 1.0 / (1.0 + np.exp(rewards[chosen] - rewards[rejected]))
    k = rewards.size
    return beta * (np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)) / chosen.size


@wrong("no validation of indices, lengths and n", hint="naming 'rejected'")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    chosen, rejected = np.asarray(chosen, dtype=np.int64), np.asarray(rejected, dtype=np.int64)
    k = rewards.size
    chosen, rejected = chosen % k, rejected % k
    n = min(chosen.size, rejected.size)
    chosen, rejected = chosen[:n], rejected[:n]
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / max(n, 1)


# --- wrong: dpo_family_loss -----------------------------------------------------------------


@wrong("IPO's target 1 / beta instead of 1 / (2 beta)", hint="IPO's target is 1 / (2 * beta)")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "ipo":
        return float(np.mean((np.asarray(margins, float) - 1 / beta) ** 2))
    return loss


@wrong("hinge without beta: max(0, 1 - h)", hint="`beta` multiplies the margin in the hinge")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        return float(np.mean(np.maximum(0.0, 1 - np.asarray(margins, float))))
    return loss


@wrong("hinge without the max: mean(1 - beta * h)", hint="keep the max with 0")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        return float(np.mean(1 - beta * np.asarray(margins, float)))
    return loss


@wrong("label smoothing on the wrong term", hint="wrong term")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean(eps * np.logaddexp(0, -beta * h) + (1 - eps) * np.logaddexp(0, beta * h)))
    return loss


@wrong("label smoothing without the 1 - eps on the labelled order", hint="weight 1 - eps")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean(np.logaddexp(0, -beta * h) + eps * np.logaddexp(0, beta * h)))
    return loss


@wrong("sigmoid with the wrong sign: -log sigmoid(-beta * h)", hint="wrong sign")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        h, eps = np.asarray(margins, float), label_smoothing
        return float(np.mean((1 - eps) * np.logaddexp(0, beta * h) + eps * np.logaddexp(0, -beta * h)))
    return loss


@wrong("sum over pairs instead of mean", hint="do not sum")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return _reference.dpo_family_loss(margins, beta, kind, label_smoothing) * np.size(margins)


@wrong("unstable log-sigmoid: log(1 + exp(-x))", hint="np.logaddexp(0, -x)")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    loss = _reference.dpo_family_loss(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        return float(np.mean((1 - eps) * np.log(1 + np.exp(-x)) + eps * np.log(1 + np.exp(x))))
    return loss


@wrong("ipo and hinge accept a label_smoothing (and ignore it)", hint="naming 'label_smoothing'")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return _reference.dpo_family_loss(margins, beta, kind, label_smoothing if kind == "sigmoid" else 0.0)


@wrong("margins flattened instead of rejected when not 1-D", hint="naming 'margins'")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return _reference.dpo_family_loss(
        np.ravel(margins) if np.size(margins) else [0.0], beta, kind, label_smoothing
    )


# --- wrong: dpo_family_loss_grad ------------------------------------------------------------


@wrong("gradient without the mean's 1 / n", hint="divide by n")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing) * np.size(margins)


@wrong("hinge gradient -beta / n at the kink too (>= instead of >)", hint="strictly")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        h = np.asarray(margins, float)
        return np.where(1 - beta * h >= 0, -beta / h.size, 0.0)
    return grad


@wrong("hinge gradient without beta", hint="`beta` multiplies the margin in the hinge")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "hinge":
        h = np.asarray(margins, float)
        return np.where(1 - h > 0, -1.0 / h.size, 0.0)
    return grad


@wrong("ipo gradient without the factor 2", hint="the factor 2 is missing")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    return grad / 2 if kind == "ipo" else grad


@wrong("ipo gradient with the target 1 / beta", hint="IPO's target is 1 / (2 * beta)")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "ipo":
        h = np.asarray(margins, float)
        return 2 * (h - 1 / beta) / h.size
    return grad


@wrong("label smoothing on the wrong term", hint="wrong term")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = np.exp(-np.logaddexp(0, -x)), np.exp(-np.logaddexp(0, x))
        return beta * (-eps * minus + (1 - eps) * plus) / x.size
    return grad


@wrong("sigmoid gradient weighted by sigmoid(+beta * h)", hint="not sigmoid(+beta * h)")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = np.exp(-np.logaddexp(0, -x)), np.exp(-np.logaddexp(0, x))
        return beta * (-(1 - eps) * plus + eps * minus) / x.size
    return grad


@wrong("sign flipped", hint="flip the sign")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return -_reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)


@wrong("naive sigmoid 1 / (1 + exp(-x)): overflow warnings", hint="np.exp(-np.logaddexp(0, -x))")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    grad = _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing)
    if kind == "sigmoid":
        x, eps = beta * np.asarray(margins, float), label_smoothing
        plus, minus = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))
        return beta * (-(1 - eps) * minus + eps * plus) / x.size
    return grad


@wrong("ipo and hinge accept a label_smoothing (and ignore it)", hint="naming 'label_smoothing'")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    return _reference.dpo_family_loss_grad(margins, beta, kind, label_smoothing if kind == "sigmoid" else 0.0)


# --- correct alternatives -------------------------------------------------------------------


@correct("loops")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if not beta > 0:
        raise ValueError("beta must be positive")
    arrays = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    columns = [list(np.asarray(a, dtype=float)) for a in arrays]
    names = ("policy_chosen_logps", "policy_rejected_logps", "ref_chosen_logps", "ref_rejected_logps")
    for name, column in zip(names, columns):
        if len(column) != len(columns[0]):
            raise ValueError(f"{name} has length {len(column)}, expected {len(columns[0])}")
    total = 0.0
    for pc, pr, rc, rr in zip(*columns):
        x = beta * ((pc - rc) - (pr - rr))
        # -log sigmoid(x) = log(1 + exp(-x)), split by sign so that exp never overflows
        total += np.log1p(np.exp(-x)) if x >= 0 else -x + np.log1p(np.exp(x))
    return total / len(columns[0])


@correct("loops")
def implicit_reward(logits, ref_logits, beta):
    if beta <= 0:
        raise ValueError("beta must be > 0")
    z, z_ref = list(np.asarray(logits, dtype=float)), list(np.asarray(ref_logits, dtype=float))
    if len(z) != len(z_ref):
        raise ValueError("logits and ref_logits must have the same shape")

    def log_softmax(values):
        top = max(values)
        log_total = np.log(sum(np.exp(v - top) for v in values))
        return [v - top - log_total for v in values]

    return np.array([beta * (a - b) for a, b in zip(log_softmax(z), log_softmax(z_ref))])


@correct("loops")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    rewards = implicit_reward(logits, ref_logits, beta)
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
    for c, r in zip(chosen, rejected):
        x = rewards[c] - rewards[r]
        wrong_order = np.exp(-x) / (1 + np.exp(-x)) if x >= 0 else 1 / (1 + np.exp(x))  # sigmoid(-x)
        grad[c] -= beta * wrong_order / len(chosen)
        grad[r] += beta * wrong_order / len(chosen)
    return grad


@correct("softplus form")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    arrays = (policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps)
    pc, pr, rc, rr = (np.asarray(a, dtype=float) for a in arrays)
    if not pc.shape == pr.shape == rc.shape == rr.shape:
        raise ValueError("the four *_logps arrays must have the same length")
    if beta <= 0:
        raise ValueError(f"beta = {beta}: beta must be > 0")
    x = beta * ((pc - pr) - (rc - rr))  # the same margin, grouped as policy gap minus reference gap
    softplus_minus_x = np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return float(softplus_minus_x.mean())


@correct("softplus form")
def implicit_reward(logits, ref_logits, beta):
    if beta <= 0:
        raise ValueError("beta must be > 0")
    z, z_ref = np.asarray(logits, dtype=float), np.asarray(ref_logits, dtype=float)
    if z.shape != z_ref.shape:
        raise ValueError(f"shape of ref_logits {z_ref.shape} differs from logits {z.shape}")
    difference = (z - z_ref) - (np.logaddexp.reduce(z) - np.logaddexp.reduce(z_ref))
    return beta * difference


@correct("softplus form")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
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


@correct("loops")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
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


@correct("loops")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    dpo_family_loss(margins, beta, kind, label_smoothing)
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


@correct("softplus form")
def dpo_family_loss(margins, beta, kind="sigmoid", label_smoothing=0.0):
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


@correct("softplus form")
def dpo_family_loss_grad(margins, beta, kind="sigmoid", label_smoothing=0.0):
    dpo_family_loss(margins, beta, kind, label_smoothing)
    h = np.asarray(margins, dtype=float)
    x = beta * h
    if kind == "ipo":
        return 2 * (x - 0.5) / beta / h.size
    if kind == "hinge":
        return -beta * (x < 1).astype(float) / h.size
    # d/dx [softplus(-x) + eps * x] = -sigmoid(-x) + eps, with sigmoid(-x) = (1 - tanh(x / 2)) / 2
    return beta * (-(1 - np.tanh(x / 2)) / 2 + label_smoothing) / h.size


@correct("loops")
def simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    if not beta > 0:
        raise ValueError("beta must be positive")
    if not gamma >= 0:
        raise ValueError("gamma must be >= 0")
    names = ("chosen_logps", "rejected_logps", "chosen_lengths", "rejected_lengths")
    columns = [list(np.asarray(a)) for a in (chosen_logps, rejected_logps, chosen_lengths, rejected_lengths)]
    for name, column in zip(names, columns):
        if len(column) != len(columns[0]):
            raise ValueError(f"{name} has length {len(column)}, expected {len(columns[0])}")
    if not columns[0]:
        raise ValueError("chosen_logps is empty")
    for name, column in zip(names[2:], columns[2:]):
        for length in column:
            if isinstance(length, bool | np.bool_) or length < 1 or int(length) != length:
                raise ValueError(f"{name} holds {length}, not a token count")
    total = 0.0
    for c, r, lc, lr in zip(*columns):
        x = beta * (float(c) / float(lc) - float(r) / float(lr)) - gamma
        # -log sigmoid(x) = log(1 + exp(-x)), split by sign so that exp never overflows
        total += math.log1p(math.exp(-x)) if x >= 0 else -x + math.log1p(math.exp(x))
    return total / len(columns[0])


@correct("loops")
def kto_loss(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
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
    for p, q, good in zip(policy, reference, labels):
        x = beta * ((p - q) - kl_ref) if good else beta * (kl_ref - (p - q))
        weight = lambda_d if good else lambda_u
        # lambda - lambda * sigmoid(x) = lambda * sigmoid(-x), split by sign so that exp never overflows
        shortfall = math.exp(-x) / (1 + math.exp(-x)) if x >= 0 else 1 / (1 + math.exp(x))
        total += weight * shortfall
    return total / len(policy)


@correct("softplus form")
def simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    _reference.simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta, gamma)
    reward_c = np.asarray(chosen_logps, dtype=float) / np.asarray(chosen_lengths, dtype=float)
    reward_r = np.asarray(rejected_logps, dtype=float) / np.asarray(rejected_lengths, dtype=float)
    x = beta * (reward_c - reward_r) - gamma
    return float(np.mean(np.maximum(-x, 0.0) + np.log1p(np.exp(-np.abs(x)))))


@correct("softplus form")
def kto_loss(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    _reference.kto_loss(policy_logps, ref_logps, desirable, beta, kl_ref, lambda_d, lambda_u)
    labels = np.asarray(desirable)
    x = beta * (np.asarray(policy_logps, dtype=float) - np.asarray(ref_logps, dtype=float) - kl_ref)
    weights = np.where(labels, lambda_d, lambda_u)
    # the value as the paper writes it, with sigmoid(x) = (1 + tanh(x / 2)) / 2, which never overflows
    value = weights * (1 + np.tanh(np.where(labels, x, -x) / 2)) / 2
    return float(np.mean(weights - value))
