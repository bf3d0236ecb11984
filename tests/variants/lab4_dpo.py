"""Plausible mistakes in Lab 4 (each must lose points) and two correct alternatives.

Each variant replaces one reference function. The submission's header star-imports the reference
module `_reference` but does not bind that name, so a variant that calls the reference imports it
itself (`import _reference`).
"""

import numpy as np

from tests.variants import correct, wrong

# --- wrong: dpo_loss ------------------------------------------------------------------------


@wrong("beta missing: -log sigmoid(m)")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -((pc - rc) - (pr - rr)))))


@wrong("beta only on the policy terms")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * (pc - pr) - (rc - rr)))))


@wrong("reference terms added instead of subtracted")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((pc + rc) - (pr + rr)))))


@wrong("sigmoid(z) for sigmoid(-z): -log sigmoid(-beta * m)")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, beta * ((pc - rc) - (pr - rr)))))


@wrong("reference minus policy in each bracket")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -beta * ((rc - pc) - (rr - pr)))))


@wrong("sum over pairs instead of mean")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    loss = _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    return loss * len(np.asarray(policy_chosen_logps))


@wrong("naive log-sigmoid: -log(1 / (1 + exp(-x)))")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    sigmoid = 1.0 / (1.0 + np.exp(-beta * ((pc - rc) - (pr - rr))))
    return float(np.mean(-np.log(sigmoid)))


@wrong("log1p(exp(-x)): overflows for large negative margins")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    return float(np.mean(np.log1p(np.exp(-beta * ((pc - rc) - (pr - rr))))))


@wrong("checks beta < 0 instead of beta <= 0")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    import _reference

    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if beta == 0:
        return float(np.log(2.0))
    return _reference.dpo_loss(
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta
    )


@wrong("no validation of the lengths")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if beta <= 0:
        raise ValueError(f"beta must be > 0, got {beta}")
    pc, pr = np.asarray(policy_chosen_logps, float), np.asarray(policy_rejected_logps, float)
    rc, rr = np.asarray(ref_chosen_logps, float), np.asarray(ref_rejected_logps, float)
    n = min(len(pc), len(pr), len(rc), len(rr))
    margin = (pc[:n] - rc[:n]) - (pr[:n] - rr[:n])
    return float(np.mean(np.logaddexp(0.0, -beta * margin)))


# --- wrong: implicit_reward -----------------------------------------------------------------


@wrong("raw logits: beta * (logits - ref_logits), right only up to a constant")
def implicit_reward(logits, ref_logits, beta):
    import _reference

    _reference.implicit_reward(logits, ref_logits, beta)
    return beta * (np.asarray(logits, float) - np.asarray(ref_logits, float))


@wrong("log(softmax) without subtracting the maximum")
def implicit_reward(logits, ref_logits, beta):
    import _reference

    _reference.implicit_reward(logits, ref_logits, beta)
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    pi, pi_ref = np.exp(z) / np.exp(z).sum(), np.exp(z_ref) / np.exp(z_ref).sum()
    return beta * (np.log(pi) - np.log(pi_ref))


@wrong("divides by beta instead of multiplying")
def implicit_reward(logits, ref_logits, beta):
    import _reference

    return _reference.implicit_reward(logits, ref_logits, beta) / beta**2


@wrong("reference minus policy")
def implicit_reward(logits, ref_logits, beta):
    import _reference

    return _reference.implicit_reward(ref_logits, logits, beta)


@wrong("no validation of shapes and beta")
def implicit_reward(logits, ref_logits, beta):
    z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
    log_pi = z - z.max() - np.log(np.exp(z - z.max()).sum())
    log_ref = z_ref - z_ref.max() - np.log(np.exp(z_ref - z_ref.max()).sum())
    return abs(beta) * (log_pi - log_ref[: len(log_pi)])


# --- wrong: dpo_gradient --------------------------------------------------------------------


@wrong("the outer beta missing")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    return _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta) / beta


@wrong("weighted by sigmoid(+beta * m) instead of sigmoid(-beta * m)")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, -(rewards[chosen] - rewards[rejected])))
    k = rewards.size
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / chosen.size


@wrong("softmax baseline applied once: d m / d logits = onehot(c) - pi - onehot(r)")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    z = np.asarray(logits, float)
    pi = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    onehot = np.eye(rewards.size)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    return -beta * (weight @ (onehot[chosen] - pi - onehot[rejected])) / chosen.size


@wrong("repeated indices not accumulated: grad[chosen] -= w")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    grad = np.zeros(rewards.size)
    grad[chosen] -= weight
    grad[rejected] += weight
    return beta * grad / chosen.size


@wrong("sign flipped: the gradient of the reward, not of the loss")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    return -_reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)


@wrong("divided by K instead of n")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    grad = _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    return grad * len(np.asarray(chosen)) / len(np.asarray(logits))


@wrong("sum over pairs instead of mean")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    return _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta) * len(np.asarray(chosen))


@wrong("naive sigmoid 1 / (1 + exp(x)): overflow warnings at huge margins")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    _reference.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    chosen, rejected = np.asarray(chosen), np.asarray(rejected)
    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    weight = 1.0 / (1.0 + np.exp(rewards[chosen] - rewards[rejected]))
    k = rewards.size
    return beta * (np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)) / chosen.size


@wrong("no validation of indices, lengths and n")
def dpo_gradient(logits, ref_logits, chosen, rejected, beta):
    import _reference

    rewards = _reference.implicit_reward(logits, ref_logits, beta)
    chosen, rejected = np.asarray(chosen, dtype=np.int64), np.asarray(rejected, dtype=np.int64)
    k = rewards.size
    chosen, rejected = chosen % k, rejected % k
    n = min(chosen.size, rejected.size)
    chosen, rejected = chosen[:n], rejected[:n]
    weight = np.exp(-np.logaddexp(0.0, rewards[chosen] - rewards[rejected]))
    push = np.bincount(rejected, weight, k) - np.bincount(chosen, weight, k)
    return beta * push / max(n, 1)


# --- correct alternatives -------------------------------------------------------------------


@correct("loops")
def dpo_loss(policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps, beta):
    if not beta > 0:
        raise ValueError("beta must be positive")
    columns = [list(np.asarray(a, dtype=float)) for a in (policy_chosen_logps, policy_rejected_logps,
                                                          ref_chosen_logps, ref_rejected_logps)]  # fmt: skip
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
    pc, pr, rc, rr = (np.asarray(a, dtype=float) for a in (
        policy_chosen_logps, policy_rejected_logps, ref_chosen_logps, ref_rejected_logps))  # fmt: skip
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
