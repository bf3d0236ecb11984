"""The known mistakes of Lab 6, declared once (see `autograder.catalogue`): the grader's hints name
them, the variant tests check that each loses points, and the instructors' list is read from here.

Each entry has its lab function's signature and uses only `np`, `math` and `ref`."""

from __future__ import annotations

import math

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab6_reasoning.lab import ref

CATALOGUE = Catalogue("lab6_reasoning")


# --- rejection_sampling_gradient --------------------------------------------------------------


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "averages over all n samples instead of the kept ones",
    hint="divide by the number of kept samples (reward 1), not by n: RFT fine-tunes on the kept "
    "samples only, so their one-hot vectors average to a probability vector",
)
def rft_mean_over_all_samples(logits, samples, rewards):
    z = np.asarray(logits, dtype=np.float64)
    kept = np.asarray(samples)[np.asarray(rewards) == 1].astype(int)
    return ref.rejection_sampling_gradient(logits, samples, rewards) + np.bincount(kept, minlength=z.size) * (
        1.0 / kept.size - 1.0 / len(rewards)
    )


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "fine-tunes on every sample, right or wrong",
    hint="keep only the samples with reward 1: the wrong ones are rejected, not fine-tuned on",
)
def rft_keeps_every_sample(logits, samples, rewards):
    return ref.rejection_sampling_gradient(logits, samples, np.ones(len(rewards)))


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "returns the ascent direction (the sign flipped)",
    hint="return the gradient of the loss to minimise, pi - mean onehot(kept), not its negative",
)
def rft_ascent_direction(logits, samples, rewards):
    return -ref.rejection_sampling_gradient(logits, samples, rewards)


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "counts a kept answer once however often it was drawn",
    hint="a kept answer drawn twice counts twice in the mean (np.bincount, not a set)",
)
def rft_distinct_kept_answers(logits, samples, rewards):
    z = np.asarray(logits, dtype=np.float64)
    kept = np.unique(np.asarray(samples)[np.asarray(rewards) == 1].astype(int))
    pi = np.exp(z - z.max())
    return pi / pi.sum() - np.bincount(kept, minlength=z.size) / kept.size


# --- majority_vote_accuracy -------------------------------------------------------------------


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "ties broken in favour of the correct answer",
    hint="a tie between the correct answer and t others is won with probability 1 / (1 + t), not 1: "
    "ties are broken uniformly at random",
)
def majority_ties_won(answer_probs, correct, n):
    p = np.asarray(answer_probs, dtype=np.float64)
    others, n = np.delete(p, int(correct)), int(n)
    weights = [np.array([q**c / math.factorial(c) for c in range(n + 1)]) for q in others]
    total = 0.0
    for m in range(1, n + 1):  # others may reach the correct answer's count m
        poly = np.ones(1)
        for w in weights:
            poly = np.convolve(poly, w[: m + 1])[: n - m + 1]
        if poly.size > n - m:
            total += math.factorial(n) / math.factorial(m) * p[int(correct)] ** m * poly[n - m]
    return float(total)


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "counts only strict pluralities (every tie lost)",
    hint="a tie between the correct answer and t others is won with probability 1 / (1 + t), not 0: "
    "ties are broken uniformly at random",
)
def majority_ties_lost(answer_probs, correct, n):
    p = np.asarray(answer_probs, dtype=np.float64)
    others, n = np.delete(p, int(correct)), int(n)
    weights = [np.array([q**c / math.factorial(c) for c in range(n + 1)]) for q in others]
    total = 0.0
    for m in range(1, n + 1):  # others stay strictly below the correct answer's count m
        poly = np.ones(1)
        for w in weights:
            poly = np.convolve(poly, w[:m])[: n - m + 1]
        if poly.size > n - m:
            total += math.factorial(n) / math.factorial(m) * p[int(correct)] ** m * poly[n - m]
    return float(total)


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "requires more than half of the votes",
    hint="majority vote returns the most frequent answer (a plurality), which needs no more than half "
    "of the votes when the wrong answers scatter",
)
def majority_more_than_half(answer_probs, correct, n):
    pc, n = float(np.asarray(answer_probs, dtype=np.float64)[int(correct)]), int(n)
    return float(sum(math.comb(n, m) * pc**m * (1 - pc) ** (n - m) for m in range(n // 2 + 1, n + 1)))


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "returns pass@n (some sample is correct)",
    hint="that is pass@n, the chance that some sample is correct (an oracle picks it): majority vote "
    "needs the correct answer to be the most frequent one",
)
def majority_is_pass_at_n(answer_probs, correct, n):
    return float(1 - (1 - np.asarray(answer_probs, dtype=np.float64)[int(correct)]) ** int(n))


# --- distillation_loss ------------------------------------------------------------------------


@CATALOGUE.mistake(
    "distillation_loss",
    "forward and reverse swapped",
    hint="'forward' is KL(teacher || student), the teacher first; 'reverse' is KL(student || teacher)",
)
def distillation_directions_swapped(student_logits, teacher_logits, mask, direction="reverse"):
    other = "forward" if direction == "reverse" else "reverse"
    return ref.distillation_loss(student_logits, teacher_logits, mask, other)


@CATALOGUE.mistake(
    "distillation_loss",
    "mean over all B * T positions instead of the masked ones",
    hint="average over the positions where mask is True (divide by their number), not over all B * T",
)
def distillation_mean_over_all_positions(student_logits, teacher_logits, mask, direction="reverse"):
    m = np.asarray(mask, dtype=bool)
    return ref.distillation_loss(student_logits, teacher_logits, mask, direction) * m.sum() / m.size


@CATALOGUE.mistake(
    "distillation_loss",
    "sum over the positions instead of the mean",
    hint="divide the sum of the positions' KLs by the number of True entries of mask (a mean)",
)
def distillation_sum_over_positions(student_logits, teacher_logits, mask, direction="reverse"):
    m = np.asarray(mask, dtype=bool)
    return ref.distillation_loss(student_logits, teacher_logits, mask, direction) * m.sum()


@CATALOGUE.mistake(
    "distillation_loss",
    "the cross-entropy instead of the KL (the first distribution's entropy left in)",
    hint="KL(a || b) = sum a (log a - log b); the cross-entropy -sum a log b adds the entropy of a, so "
    "it is not 0 when the student equals the teacher",
)
def distillation_cross_entropy(student_logits, teacher_logits, mask, direction="reverse"):
    m = np.asarray(mask, dtype=bool)
    first = np.asarray(teacher_logits if direction == "forward" else student_logits, dtype=np.float64)[m]
    log_first = first - first.max(axis=-1, keepdims=True)
    log_first = log_first - np.log(np.exp(log_first).sum(axis=-1, keepdims=True))
    entropy = -np.sum(np.exp(log_first) * log_first, axis=-1)
    return ref.distillation_loss(student_logits, teacher_logits, mask, direction) + float(entropy.mean())


# --- distillation_loss_grad -------------------------------------------------------------------


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "forward and reverse swapped",
    hint="'forward' (KL(teacher || student)) has gradient (s - q) / N; 'reverse' has "
    "s * (d - KL) / N with d = log s - log q",
)
def distillation_grad_directions_swapped(student_logits, teacher_logits, mask, direction="reverse"):
    other = "forward" if direction == "reverse" else "reverse"
    return ref.distillation_loss_grad(student_logits, teacher_logits, mask, other)


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "divides by all B * T positions instead of the masked ones",
    hint="the loss is a mean over the N positions where mask is True: divide by N = mask.sum(), not B * T",
)
def distillation_grad_over_all_positions(student_logits, teacher_logits, mask, direction="reverse"):
    m = np.asarray(mask, dtype=bool)
    return ref.distillation_loss_grad(student_logits, teacher_logits, mask, direction) * m.sum() / m.size


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "reverse KL's gradient without the KL term (does not sum to 0)",
    hint="the reverse KL's gradient is s * (d - sum_v s_v d_v): without subtracting the position's KL it "
    "does not sum to 0 over the vocabulary",
)
def distillation_grad_without_kl_term(student_logits, teacher_logits, mask, direction="reverse"):
    grad = ref.distillation_loss_grad(student_logits, teacher_logits, mask, direction)
    if direction == "forward":
        return grad
    s = np.asarray(student_logits, dtype=np.float64)
    q = np.asarray(teacher_logits, dtype=np.float64)
    m = np.asarray(mask, dtype=bool)
    log_s = s - s.max(axis=-1, keepdims=True)
    log_s = log_s - np.log(np.exp(log_s).sum(axis=-1, keepdims=True))
    log_q = q - q.max(axis=-1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(axis=-1, keepdims=True))
    kl = np.sum(np.exp(log_s) * (log_s - log_q), axis=-1, keepdims=True)
    return grad + np.where(m[..., None], np.exp(log_s) * kl / m.sum(), 0.0)


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "forward KL's gradient with the sign flipped, q - s",
    hint="d KL(q || s) / d student_logits = s - q (times 1 / N), not q - s",
)
def distillation_grad_forward_sign(student_logits, teacher_logits, mask, direction="reverse"):
    grad = ref.distillation_loss_grad(student_logits, teacher_logits, mask, direction)
    return -grad if direction == "forward" else grad


# --- numerics and validation ------------------------------------------------------------------


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "softmax without subtracting the maximum logit",
    hint="exp overflows for large logits: subtract the maximum logit before exponentiating",
)
def rft_unstable_softmax(logits, samples, rewards):
    z = np.asarray(logits, dtype=float)
    kept = np.asarray(samples)[np.asarray(rewards) == 1].astype(int)
    pi = np.exp(z) / np.exp(z).sum()
    return pi - np.bincount(kept, minlength=z.size) / kept.size


@CATALOGUE.mistake(
    "rejection_sampling_gradient",
    "no ValueError when no sample is kept (returns pi)",
    hint="",
    keeps_validation=False,
)
def rft_nothing_kept_returns_pi(logits, samples, rewards):
    z = np.asarray(logits, dtype=float)
    kept = np.asarray(samples)[np.asarray(rewards) == 1].astype(int)
    pi = np.exp(z - z.max())
    pi /= pi.sum()
    if kept.size == 0:
        return pi
    return pi - np.bincount(kept, minlength=z.size) / kept.size


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "estimated by sampling 20000 votes instead of computed exactly",
    hint="compute the probability exactly (sum over the correct answer's count and the other "
    "answers' counts); a simulation is only an estimate",
)
def majority_vote_by_simulation(answer_probs, correct, n):
    p = np.asarray(answer_probs, dtype=float)
    rng = np.random.default_rng(0)
    votes = rng.choice(p.size, size=(20_000, int(n)), p=p)
    counts = (votes[:, :, None] == np.arange(p.size)).sum(axis=1)
    top = counts == counts.max(axis=1, keepdims=True)
    return float(np.mean(np.where(top[:, int(correct)], 1.0 / top.sum(axis=1), 0.0)))


@CATALOGUE.mistake(
    "majority_vote_accuracy",
    "no ValueError for n = 0 or answer_probs that do not sum to 1",
    hint="",
    keeps_validation=False,
)
def majority_vote_unvalidated(answer_probs, correct, n):
    p = np.asarray(answer_probs, dtype=float)
    if n < 1 or p.sum() != 1.0:
        return 0.0
    return ref.majority_vote_accuracy(p / p.sum(), correct, n)


@CATALOGUE.mistake(
    "distillation_loss",
    "log of the softmax: log 0 = -inf at logits of ±1e3",
    hint="use a stable log-softmax (z - max - log sum exp(z - max)): the log of a softmax that "
    "underflowed to 0 is -inf",
)
def distillation_log_of_softmax(student_logits, teacher_logits, mask, direction="reverse"):
    m = np.asarray(mask, dtype=bool)
    s = np.exp(np.asarray(student_logits, dtype=float)[m])
    q = np.exp(np.asarray(teacher_logits, dtype=float)[m])
    s, q = s / s.sum(axis=-1, keepdims=True), q / q.sum(axis=-1, keepdims=True)
    first, second = (q, s) if direction == "forward" else (s, q)
    return float(np.mean(np.sum(first * (np.log(first) - np.log(second)), axis=-1)))


@CATALOGUE.mistake(
    "distillation_loss",
    "every position computed, then multiplied by the mask (nan * 0 is nan)",
    hint="select the masked positions (logits[mask]) before computing: a masked-out position that "
    "gives nan or inf stays nan when multiplied by 0",
)
def distillation_times_mask(student_logits, teacher_logits, mask, direction="reverse"):
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


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "softmax without subtracting the maximum logit",
    hint="use a stable log-softmax (z - max - log sum exp(z - max)) for both distributions: exp "
    "overflows at logits of ±1e3",
)
def distillation_grad_unstable_softmax(student_logits, teacher_logits, mask, direction="reverse"):
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


@CATALOGUE.mistake(
    "distillation_loss",
    "no ValueError for an unknown direction (anything but 'forward' is reverse)",
    hint="",
    keeps_validation=False,
)
def distillation_any_direction(student_logits, teacher_logits, mask, direction="reverse"):
    direction = "forward" if direction == "forward" else "reverse"
    return ref.distillation_loss(student_logits, teacher_logits, mask, direction)


@CATALOGUE.mistake(
    "distillation_loss_grad",
    "no ValueError for an unknown direction (anything but 'forward' is reverse)",
    hint="",
    keeps_validation=False,
)
def distillation_grad_any_direction(student_logits, teacher_logits, mask, direction="reverse"):
    direction = "forward" if direction == "forward" else "reverse"
    return ref.distillation_loss_grad(student_logits, teacher_logits, mask, direction)


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("rejection_sampling_gradient", "loops")
def rejection_sampling_gradient_loops(logits, samples, rewards):
    z = [float(v) for v in np.asarray(logits, dtype=float).ravel()]
    if np.ndim(logits) != 1 or not z:
        raise ValueError("logits must be 1-D and non-empty")
    if np.ndim(samples) != 1 or np.ndim(rewards) != 1 or len(samples) != len(rewards) or len(samples) == 0:
        raise ValueError("samples and rewards must be 1-D, of one length n >= 1")
    counts = [0] * len(z)
    for y, r in zip(np.asarray(samples).tolist(), np.asarray(rewards).tolist(), strict=False):
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
    return np.array([w / total - c / kept for w, c in zip(weights, counts, strict=False)])


@CATALOGUE.correct("majority_vote_accuracy", "loops")
def majority_vote_accuracy_loops(answer_probs, correct, n):
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
            grown: dict[tuple[int, int], float] = {}
            for (s, t), weight in table.items():
                for c in range(min(m, n - m - s) + 1):
                    key = (s + c, t + (c == m))
                    grown[key] = grown.get(key, 0.0) + weight * q**c / math.factorial(c)
            table = grown
        ways = sum(w / (1 + t) for (s, t), w in table.items() if s == n - m)
        total += math.factorial(n) / math.factorial(m) * p[correct] ** m * ways
    return float(total)


@CATALOGUE.correct("distillation_loss", "loops")
def distillation_loss_loops(student_logits, teacher_logits, mask, direction="reverse"):
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
    for b, t in zip(*np.nonzero(m), strict=False):
        log_s, log_q = log_softmax(s[b, t].tolist()), log_softmax(q[b, t].tolist())
        first, second = (log_q, log_s) if direction == "forward" else (log_s, log_q)
        total += sum(math.exp(a) * (a - c) for a, c in zip(first, second, strict=False))
    return total / int(m.sum())


@CATALOGUE.correct("distillation_loss_grad", "loops")
def distillation_loss_grad_loops(student_logits, teacher_logits, mask, direction="reverse"):
    ref.distillation_loss(student_logits, teacher_logits, mask, direction)
    s, q, m = np.asarray(student_logits, float), np.asarray(teacher_logits, float), np.asarray(mask, bool)
    grad = np.zeros(s.shape)
    count = int(m.sum())
    for b, t in zip(*np.nonzero(m), strict=False):
        rows = []
        for row in (s[b, t].tolist(), q[b, t].tolist()):
            top = max(row)
            log_total = top + math.log(sum(math.exp(v - top) for v in row))
            rows.append([v - log_total for v in row])
        log_s, log_q = rows
        probs = [math.exp(v) for v in log_s]
        if direction == "forward":
            values = [a - math.exp(c) for a, c in zip(probs, log_q, strict=False)]
        else:
            kl = sum(a * (ls - lq) for a, ls, lq in zip(probs, log_s, log_q, strict=False))
            values = [a * (ls - lq - kl) for a, ls, lq in zip(probs, log_s, log_q, strict=False)]
        grad[b, t] = [v / count for v in values]
    return grad


@CATALOGUE.correct("majority_vote_accuracy", "polynomials and log-sum-exp")
def majority_vote_accuracy_polynomials(answer_probs, correct, n):
    ref.majority_vote_accuracy(answer_probs, correct, n)  # the same argument checks
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


@CATALOGUE.correct("distillation_loss", "polynomials and log-sum-exp")
def distillation_loss_polynomials(student_logits, teacher_logits, mask, direction="reverse"):

    ref.distillation_loss(student_logits, teacher_logits, mask, direction)
    m = np.asarray(mask, dtype=bool)
    s = np.asarray(student_logits, dtype=float)[m]
    q = np.asarray(teacher_logits, dtype=float)[m]
    log_s = s - np.logaddexp.reduce(s, axis=-1, keepdims=True)
    log_q = q - np.logaddexp.reduce(q, axis=-1, keepdims=True)
    if direction == "forward":
        return float(np.mean(np.sum(np.exp(log_q) * (log_q - log_s), axis=-1)))
    return float(np.mean(np.sum(np.exp(log_s) * (log_s - log_q), axis=-1)))
