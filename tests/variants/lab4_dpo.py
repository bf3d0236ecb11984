"""Correct alternative implementations of Lab 4's functions: each group must keep full marks.

The known mistakes are in `autograder/labs/lab4_dpo/catalogue.py`. Each group replaces reference
functions; the submission's header imports `math`, `numpy as np` and the reference module as
`_reference` (and star-imports it).
"""

import numpy as np

from tests.variants import correct

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
