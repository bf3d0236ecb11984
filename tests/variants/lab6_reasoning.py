"""Two correct alternatives for Lab 6, which must keep full marks. Its mistakes live in the
catalogue, `autograder/labs/lab6_reasoning/catalogue.py`."""

import numpy as np

from tests.variants import correct

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
