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
