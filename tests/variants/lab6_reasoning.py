"""Plausible mistakes in Lab 6 (each must lose points) and two correct alternatives.

Most of Lab 6's mistakes live in the catalogue (`autograder/labs/lab6_reasoning/catalogue.py`),
which `tests.variants.load_all` turns into wrong variants; the ones here are those whose wrong value
is nan or a missing error, which a catalogue entry cannot be compared with. The submission's header
imports `math`, `numpy as np` and the reference module as `_reference` (and star-imports it).
"""

import numpy as np

from tests.variants import correct, wrong

# --- wrong: numerics and validation ------------------------------------------------------------


@wrong("softmax without subtracting the maximum logit", hint="subtract the maximum logit")
def rejection_sampling_gradient(logits, samples, rewards):

    _reference.rejection_sampling_gradient(logits, samples, rewards)
    z = np.asarray(logits, dtype=float)
    kept = np.asarray(samples)[np.asarray(rewards) == 1].astype(int)
    pi = np.exp(z) / np.exp(z).sum()
    return pi - np.bincount(kept, minlength=z.size) / kept.size


@wrong("no ValueError when no sample is kept (returns pi)")
def rejection_sampling_gradient(logits, samples, rewards):

    z = np.asarray(logits, dtype=float)
    kept = np.asarray(samples)[np.asarray(rewards) == 1].astype(int)
    pi = np.exp(z - z.max())
    pi /= pi.sum()
    if kept.size == 0:
        return pi
    return pi - np.bincount(kept, minlength=z.size) / kept.size


@wrong("estimated by sampling 20000 votes instead of computed exactly", hint="exact")
def majority_vote_accuracy(answer_probs, correct, n):

    _reference.majority_vote_accuracy(answer_probs, correct, n)
    p = np.asarray(answer_probs, dtype=float)
    rng = np.random.default_rng(0)
    votes = rng.choice(p.size, size=(20_000, int(n)), p=p)
    counts = (votes[:, :, None] == np.arange(p.size)).sum(axis=1)
    top = counts == counts.max(axis=1, keepdims=True)
    return float(np.mean(np.where(top[:, int(correct)], 1.0 / top.sum(axis=1), 0.0)))


@wrong("no ValueError for n = 0 or answer_probs that do not sum to 1")
def majority_vote_accuracy(answer_probs, correct, n):

    p = np.asarray(answer_probs, dtype=float)
    if n < 1 or p.sum() != 1.0:
        return 0.0
    return _reference.majority_vote_accuracy(p / p.sum(), correct, n)


@wrong("log of the softmax: log 0 = -inf at logits of ±1e3", hint="stable log-softmax")
def distillation_loss(student_logits, teacher_logits, mask, direction="reverse"):

    _reference.distillation_loss(student_logits, teacher_logits, mask, direction)
    m = np.asarray(mask, dtype=bool)
    s = np.exp(np.asarray(student_logits, dtype=float)[m])
    q = np.exp(np.asarray(teacher_logits, dtype=float)[m])
    s, q = s / s.sum(axis=-1, keepdims=True), q / q.sum(axis=-1, keepdims=True)
    first, second = (q, s) if direction == "forward" else (s, q)
    return float(np.mean(np.sum(first * (np.log(first) - np.log(second)), axis=-1)))


@wrong("every position computed, then multiplied by the mask (nan * 0 is nan)", hint="select the positions")
def distillation_loss(student_logits, teacher_logits, mask, direction="reverse"):

    _reference.distillation_loss(student_logits, teacher_logits, mask, direction)
    s = np.asarray(student_logits, dtype=float)
    q = np.asarray(teacher_logits, dtype=float)
    m = np.asarray(mask, dtype=bool)
    log_s = s - s.max(axis=-1, keepdims=True)
    log_s = log_s - np.log(np.exp(log_s).sum(axis=-1, keepdims=True))
    log_q = q - q.max(axis=-1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(axis=-1, keepdims=True))
    first, second = (log_q, log_s) if direction == "forward" else (log_s, log_q)
    kl = np.sum(np.exp(first) * (first - second), axis=-1)
    return float(np.sum(kl * m) / m.sum())


@wrong("softmax without subtracting the maximum logit", hint="stable log-softmax")
def distillation_loss_grad(student_logits, teacher_logits, mask, direction="reverse"):

    _reference.distillation_loss(student_logits, teacher_logits, mask, direction)
    m = np.asarray(mask, dtype=bool)
    s = np.exp(np.asarray(student_logits, dtype=float))
    q = np.exp(np.asarray(teacher_logits, dtype=float))
    s, q = s / s.sum(axis=-1, keepdims=True), q / q.sum(axis=-1, keepdims=True)
    if direction == "forward":
        grad = s - q
    else:
        d = np.log(s) - np.log(q)
        grad = s * (d - np.sum(s * d, axis=-1, keepdims=True))
    return np.where(m[..., None], grad / m.sum(), 0.0)


@wrong("no ValueError for an unknown direction (anything but 'forward' is reverse)")
def distillation_loss(student_logits, teacher_logits, mask, direction="reverse"):

    direction = "forward" if direction == "forward" else "reverse"
    return _reference.distillation_loss(student_logits, teacher_logits, mask, direction)


@wrong("no ValueError for an unknown direction (anything but 'forward' is reverse)")
def distillation_loss_grad(student_logits, teacher_logits, mask, direction="reverse"):

    direction = "forward" if direction == "forward" else "reverse"
    return _reference.distillation_loss_grad(student_logits, teacher_logits, mask, direction)


# --- correct alternatives ----------------------------------------------------------------------


@correct("loops")
def rejection_sampling_gradient(logits, samples, rewards):
    import math

    z = [float(v) for v in np.asarray(logits, dtype=float).ravel()]
    if np.ndim(logits) != 1 or not z:
        raise ValueError("logits must be 1-D and non-empty")
    if np.ndim(samples) != 1 or np.ndim(rewards) != 1 or len(samples) != len(rewards) or len(samples) == 0:
        raise ValueError("samples and rewards must be 1-D, of one length n >= 1")
    counts = [0] * len(z)
    for y, r in zip(np.asarray(samples).tolist(), np.asarray(rewards).tolist()):
        if y != int(y) or not 0 <= y < len(z):
            raise ValueError(f"samples holds {y}, outside [0, K)")
        if r not in (0, 1):
            raise ValueError(f"rewards holds {r}, not 0 or 1")
        counts[int(y)] += int(r)
    kept = sum(counts)
    if kept == 0:
        raise ValueError("rewards keeps no sample")
    top = max(z)
    weights = [math.exp(v - top) for v in z]
    total = sum(weights)
    return np.array([w / total - c / kept for w, c in zip(weights, counts)])


@correct("loops")
def majority_vote_accuracy(answer_probs, correct, n):
    import math

    p = np.asarray(answer_probs, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any(p < 0) or abs(p.sum() - 1) > 1e-9:
        raise ValueError("answer_probs must be a probability vector")
    if correct != int(correct) or not 0 <= correct < p.size:
        raise ValueError("correct must be an integer in [0, K)")
    if isinstance(n, bool) or n != int(n) or n < 1:
        raise ValueError("n must be an integer >= 1")
    correct, n = int(correct), int(n)
    others = [float(q) for i, q in enumerate(p) if i != correct]
    total = 0.0
    for m in range(1, n + 1):
        # table[s][t]: others seen so far used s draws, t of them have exactly m (prod q^c / c!)
        table = {(0, 0): 1.0}
        for q in others:
            grown = {}
            for (s, t), weight in table.items():
                for c in range(min(m, n - m - s) + 1):
                    key = (s + c, t + (c == m))
                    grown[key] = grown.get(key, 0.0) + weight * q**c / math.factorial(c)
            table = grown
        ways = sum(w / (1 + t) for (s, t), w in table.items() if s == n - m)
        total += math.factorial(n) / math.factorial(m) * p[correct] ** m * ways
    return float(total)


@correct("loops")
def distillation_loss(student_logits, teacher_logits, mask, direction="reverse"):
    import math

    s, q, m = np.asarray(student_logits, float), np.asarray(teacher_logits, float), np.asarray(mask, bool)
    if s.ndim != 3 or q.shape != s.shape:
        raise ValueError("student_logits and teacher_logits must be 3-D of one shape")
    if m.shape != s.shape[:2] or not m.any():
        raise ValueError("mask must be (B, T) with a True")
    if direction not in ("forward", "reverse"):
        raise ValueError("direction must be 'forward' or 'reverse'")

    def log_softmax(row):
        top = max(row)
        log_total = top + math.log(sum(math.exp(v - top) for v in row))
        return [v - log_total for v in row]

    total = 0.0
    for b, t in zip(*np.nonzero(m)):
        log_s, log_q = log_softmax(s[b, t].tolist()), log_softmax(q[b, t].tolist())
        first, second = (log_q, log_s) if direction == "forward" else (log_s, log_q)
        total += sum(math.exp(a) * (a - c) for a, c in zip(first, second))
    return total / int(m.sum())


@correct("loops")
def distillation_loss_grad(student_logits, teacher_logits, mask, direction="reverse"):
    import math

    distillation_loss(student_logits, teacher_logits, mask, direction)
    s, q, m = np.asarray(student_logits, float), np.asarray(teacher_logits, float), np.asarray(mask, bool)
    grad = np.zeros(s.shape)
    count = int(m.sum())
    for b, t in zip(*np.nonzero(m)):
        rows = []
        for row in (s[b, t].tolist(), q[b, t].tolist()):
            top = max(row)
            log_total = top + math.log(sum(math.exp(v - top) for v in row))
            rows.append([v - log_total for v in row])
        log_s, log_q = rows
        probs = [math.exp(v) for v in log_s]
        if direction == "forward":
            values = [a - math.exp(c) for a, c in zip(probs, log_q)]
        else:
            kl = sum(a * (ls - lq) for a, ls, lq in zip(probs, log_s, log_q))
            values = [a * (ls - lq - kl) for a, ls, lq in zip(probs, log_s, log_q)]
        grad[b, t] = [v / count for v in values]
    return grad


@correct("polynomials and log-sum-exp")
def majority_vote_accuracy(answer_probs, correct, n):
    import math

    _reference.majority_vote_accuracy(answer_probs, correct, n)  # the same argument checks
    p = np.asarray(answer_probs, dtype=float)
    correct, n = int(correct), int(n)
    others = np.delete(p, correct)
    # P = sum_m C(n, m) pc^m [x^(n-m)] E over the others, with ties weighted: the others' joint
    # generating polynomial in x (draws) and y (answers tied at m), y^t weighted by 1 / (1 + t).
    total = 0.0
    for m in range(1, n + 1):
        poly = np.zeros((n - m + 1, others.size + 1))
        poly[0, 0] = 1.0
        for q in others:
            factor = np.array([q**c / math.factorial(c) for c in range(m + 1)])
            grown = np.zeros_like(poly)
            for c in range(min(m, n - m) + 1):
                shifted = np.roll(poly, 1, axis=1) if c == m else poly
                if c == m:
                    shifted[:, 0] = 0.0
                grown[c:] += factor[c] * shifted[: n - m + 1 - c]
            poly = grown
        ways = np.sum(poly[n - m] / np.arange(1, others.size + 2))
        total += math.exp(math.lgamma(n + 1) - math.lgamma(m + 1)) * p[correct] ** m * ways
    return float(total)


@correct("polynomials and log-sum-exp")
def distillation_loss(student_logits, teacher_logits, mask, direction="reverse"):

    _reference.distillation_loss(student_logits, teacher_logits, mask, direction)
    m = np.asarray(mask, dtype=bool)
    s = np.asarray(student_logits, dtype=float)[m]
    q = np.asarray(teacher_logits, dtype=float)[m]
    log_s = s - np.logaddexp.reduce(s, axis=-1, keepdims=True)
    log_q = q - np.logaddexp.reduce(q, axis=-1, keepdims=True)
    if direction == "forward":
        return float(np.mean(np.sum(np.exp(log_q) * (log_q - log_s), axis=-1)))
    return float(np.mean(np.sum(np.exp(log_s) * (log_s - log_q), axis=-1)))
