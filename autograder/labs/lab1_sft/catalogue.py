"""The known mistakes of lab1_sft's functions (see `autograder.catalogue`): each entry computes what
that mistake returns; the grader shows its hint when a learner's value matches it."""

from __future__ import annotations

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab1_sft.lab import ref

CATALOGUE = Catalogue("lab1_sft")


@CATALOGUE.mistake("sft_gain", "no cap at 100", hint="the score must not exceed `cap`: take min(cap, ...)")
def sft_gain_no_cap_100(base_scores, mixture, max_gain=40.0, cap=100.0):
    return {d: float(b + mixture.get(d, 0.0) * max_gain) for d, b in base_scores.items()}


@CATALOGUE.mistake("sft_gain", "no input validation", hint="", keeps_validation=False)
def sft_gain_no_input_validation(base_scores, mixture, max_gain=40.0, cap=100.0):
    return {d: float(min(cap, b + mixture.get(d, 0.0) * max_gain)) for d, b in base_scores.items()}


@CATALOGUE.mistake(
    "sft_gain",
    "keys in sorted order instead of the order of base_scores",
    hint="return every domain of base_scores, in the order of base_scores",
)
def sft_gain_keys_sorted_order_order(base_scores, mixture, max_gain=40.0, cap=100.0):
    result = ref.sft_gain(base_scores, mixture, max_gain, cap)
    return {d: result[d] for d in sorted(result)}


@CATALOGUE.mistake(
    "log_softmax",
    "overflowing softmax: log(exp(x) / sum(exp(x)))",
    hint="subtract the maximum before exp, and keep x - max from overflowing to -inf",
)
def log_softmax_overflowing_softmax_log_exp(logits, axis=-1):
    x = np.asarray(logits, dtype=float)
    e = np.exp(x)
    return np.log(e / e.sum(axis=axis, keepdims=True))


@CATALOGUE.mistake(
    "log_softmax",
    "normalises along axis 0 whatever `axis` says",
    hint="normalise along `axis`, not along axis 0",
)
def log_softmax_normalises_along_axis_0(logits, axis=-1):
    x = np.asarray(logits, dtype=float)
    m = x.max(axis=0, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=0, keepdims=True))


@CATALOGUE.mistake(
    "log_softmax",
    "x - (max + log(sum(exp(x - max)))): the log-sum rounds away at large x",
    hint="subtract the maximum first and keep it subtracted: (x - max) - log(sum(exp(x - max))); x - (max + log(sum(...))) rounds the log-sum away once |x| is large (at x = [1e300, 1e300] it gives 0 instead of -log 2)",
)
def log_softmax_x_max_log_sum(logits, axis=-1):
    x = np.asarray(logits, dtype=float)
    top = x.max(axis=axis, keepdims=True)
    return x - (top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True)))


@CATALOGUE.mistake(
    "log_softmax",
    "computes in float32",
    hint="compute in float64: float32 keeps only about 7 significant digits and overflows above 3.4e38 (`np.asarray(x, dtype=np.float64)`)",
)
def log_softmax_computes_float32(logits, axis=-1):
    x = np.asarray(logits, dtype=np.float32)
    shifted = x - x.max(axis=axis, keepdims=True)
    return (shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))).astype(np.float64)


@CATALOGUE.mistake(
    "next_token_targets",
    "off-by-one mask: the mask of the inputs, assistant_mask[:-1]",
    hint="loss_mask is assistant_mask[1:]: train where the *target* was written by the assistant",
)
def next_token_targets_off_one_mask_mask(tokens, assistant_mask):
    tokens, assistant_mask = np.asarray(tokens), np.asarray(assistant_mask, dtype=bool)
    if tokens.shape != assistant_mask.shape or len(tokens) < 2:
        raise ValueError("tokens and assistant_mask must have the same length >= 2")
    return tokens[:-1], tokens[1:], assistant_mask[:-1]


@CATALOGUE.mistake("next_token_targets", "no validation of lengths", hint="", keeps_validation=False)
def next_token_targets_no_validation_lengths(tokens, assistant_mask):
    tokens, assistant_mask = np.asarray(tokens), np.asarray(assistant_mask, dtype=bool)
    return tokens[:-1], tokens[1:], assistant_mask[1:]


@CATALOGUE.mistake(
    "masked_mean_nll",
    "per-sequence (per-row) mean instead of per-token mean",
    hint="average per token over everything, not per row/sequence",
)
def masked_mean_nll_per_sequence_per_row(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    nll = -np.take_along_axis(ref.log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    rows, row_masks = nll.reshape(-1, nll.shape[-1]), mask.reshape(-1, nll.shape[-1])
    return float(np.mean([r[m].mean() for r, m in zip(rows, row_masks, strict=False) if m.any()]))


@CATALOGUE.mistake(
    "masked_mean_nll",
    "sum instead of mean (missing normaliser)",
    hint="divide by the number of masked-in tokens, not sum them",
)
def masked_mean_nll_sum_mean_missing_normaliser(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    nll = -np.take_along_axis(ref.log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    return float(nll[mask].sum())


@CATALOGUE.mistake(
    "masked_mean_nll",
    "mean over every position, mask ignored",
    hint="only positions where mask is True count (you averaged over all positions)",
)
def masked_mean_nll_mean_over_every_position(logits, targets, mask):
    logits, targets = np.asarray(logits, float), np.asarray(targets)
    return float(-np.take_along_axis(ref.log_softmax(logits), targets[..., None], axis=-1).mean())


@CATALOGUE.mistake(
    "masked_mean_nll",
    "log(softmax) that underflows to log(0) at large logits",
    hint="use a stable log_softmax (subtract the max) rather than log(softmax)",
)
def masked_mean_nll_log_softmax_that_underflows(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    z = logits - logits.max(axis=-1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    return float(-np.log(np.take_along_axis(p, targets[..., None], axis=-1)[..., 0][mask]).mean())


@CATALOGUE.mistake("masked_mean_nll", "no validation of targets and mask", hint="", keeps_validation=False)
def masked_mean_nll_no_validation_targets_mask(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    nll = -np.take_along_axis(
        ref.log_softmax(logits), np.clip(targets, 0, logits.shape[-1] - 1)[..., None], -1
    )
    return float(nll[..., 0][mask].mean()) if mask.shape == nll.shape[:-1] and mask.any() else 0.0


@CATALOGUE.mistake(
    "masked_mean_nll_grad",
    "onehot - softmax: the sign of the gradient flipped",
    hint="the gradient is softmax - onehot (you wrote onehot - softmax)",
)
def masked_mean_nll_grad_onehot_softmax_sign_gradient(logits, targets, mask):
    return -ref.masked_mean_nll_grad(logits, targets, mask)


@CATALOGUE.mistake(
    "masked_mean_nll_grad",
    "divides by the number of positions instead of masked-in tokens",
    hint="divide by mask.sum(), the number of masked-in tokens, not mask.size (every position)",
)
def masked_mean_nll_grad_divides_number_positions_masked(logits, targets, mask):
    mask = np.asarray(mask, bool)
    return ref.masked_mean_nll_grad(logits, targets, mask) * mask.sum() / mask.size


@CATALOGUE.mistake(
    "masked_mean_nll_grad", "forgets the mask on the rows", hint="zero the rows where mask is False"
)
def masked_mean_nll_grad_forgets_mask_rows(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    onehot = np.arange(logits.shape[-1]) == targets[..., None]
    return (np.exp(ref.log_softmax(logits)) - onehot) / mask.sum()


@CATALOGUE.mistake("masked_mean_nll_grad", "no validation", hint="", keeps_validation=False)
def masked_mean_nll_grad_no_validation(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    onehot = np.arange(logits.shape[-1]) == np.asarray(targets)[..., None]
    return (np.exp(ref.log_softmax(logits)) - onehot) * mask[..., None] / max(mask.sum(), 1)


@CATALOGUE.mistake(
    "sft_step", "ascent instead of descent: W + lr * grad", hint="gradient *descent*: W - lr * grad"
)
def sft_step_ascent_descent_w_lr(W, conversations, lr):
    new_W, loss = ref.sft_step(W, conversations, lr)
    return 2 * np.asarray(W, float) - new_W, loss


@CATALOGUE.mistake(
    "sft_step", "loss reported after the update", hint="report the loss at the incoming W, before the update"
)
def sft_step_loss_reported_after_update(W, conversations, lr):
    new_W, _ = ref.sft_step(W, conversations, lr)
    return new_W, ref.sft_step(new_W, conversations, lr)[1]


@CATALOGUE.mistake(
    "sft_step",
    "mean per conversation instead of per token over the batch",
    hint="the loss is the mean per token over the whole batch, not the mean of per-conversation means: concatenate every conversation's positions first (a conversation with more assistant tokens weighs more)",
)
def sft_step_mean_per_conversation_per(W, conversations, lr):
    W = np.asarray(W, float)
    parts = [ref.sft_step(W, [c], lr) for c in conversations if np.asarray(c[1])[1:].any()]
    return np.mean([p[0] for p in parts], axis=0), float(np.mean([p[1] for p in parts]))


@CATALOGUE.mistake("sft_step", "modifies W in place", hint="")
def sft_step_modifies_w_place(W, conversations, lr):
    new_W, loss = ref.sft_step(W, conversations, lr)
    if isinstance(W, np.ndarray):
        W[...] = new_W
    return new_W, loss


@CATALOGUE.mistake("sft_step", "no validation of lr", hint="", keeps_validation=False)
def sft_step_no_validation_lr(W, conversations, lr):
    return ref.sft_step(W, conversations, abs(lr) or 1.0)


@CATALOGUE.mistake(
    "sft_step",
    "scatters the gradient with G[inputs] += g, losing repeated input tokens",
    hint="`grad[inputs] += rows` adds only one row for a token that is read at several positions (numpy buffers the repeated index): accumulate with np.add.at(grad, inputs, rows) or a loop",
)
def sft_step_scatters_gradient_g_inputs(W, conversations, lr):
    W = np.asarray(W, float)
    parts = [ref.next_token_targets(t, m) for t, m in conversations]
    inputs, targets, mask = (np.concatenate(p) for p in zip(*parts, strict=False))
    rows = ref.masked_mean_nll_grad(W[inputs], targets, mask)
    grad = np.zeros_like(W)
    grad[inputs] += rows
    return W - lr * grad, ref.masked_mean_nll(W[inputs], targets, mask)


# Correct alternatives: other right ways to write the functions, which must keep full marks.


@CATALOGUE.correct("sft_gain", "loops")
def sft_gain_loops(base_scores, mixture, max_gain=40.0, cap=100.0):
    values = [*base_scores.values(), *mixture.values(), max_gain, cap]
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise ValueError("every number (base_scores, mixture, max_gain, cap) must be finite")
    if max_gain < 0:
        raise ValueError("max_gain must be >= 0")
    total = 0.0
    for domain, weight in mixture.items():
        if weight < 0:
            raise ValueError("mixture weights must be >= 0")
        if domain not in base_scores:
            raise ValueError("every mixture domain must be in base_scores")
        total += weight
    if abs(total - 1) > 1e-6:
        raise ValueError("mixture weights must sum to 1")
    out = {}
    for domain, base in base_scores.items():
        if base < 0 or base > cap:
            raise ValueError("base_scores must lie in [0, cap]")
        out[domain] = float(min(cap, base + mixture.get(domain, 0) * max_gain))
    return out


@CATALOGUE.correct("log_softmax", "loops")
def log_softmax_loops(logits, axis=-1):
    x = np.moveaxis(np.asarray(logits, dtype=float), axis, -1)
    out = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        top = max(row)
        shifted = [v - top for v in row]
        total = sum(np.exp(s) for s in shifted)
        out[index] = [s - np.log(total) for s in shifted]
    return np.moveaxis(out, -1, axis)


@CATALOGUE.correct("next_token_targets", "loops")
def next_token_targets_loops(tokens, assistant_mask):
    tokens = list(np.asarray(tokens))
    assistant_mask = list(np.asarray(assistant_mask, dtype=bool))
    if len(tokens) != len(assistant_mask):
        raise ValueError("tokens and assistant_mask must have the same length")
    if len(tokens) < 2:
        raise ValueError("tokens needs at least 2 entries")
    inputs = np.array([tokens[i] for i in range(len(tokens) - 1)])
    targets = np.array([tokens[i + 1] for i in range(len(tokens) - 1)])
    loss_mask = np.array([assistant_mask[i + 1] for i in range(len(tokens) - 1)], dtype=bool)
    return inputs, targets, loss_mask


@CATALOGUE.correct("masked_mean_nll", "loops")
def masked_mean_nll_loops(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    if targets.shape != logits.shape[:-1] or mask.shape != targets.shape:
        raise ValueError("shapes of logits, targets and mask do not match")
    if np.any((targets < 0) | (targets >= logits.shape[-1])):
        raise ValueError("a target lies outside [0, V)")
    if not mask.any():
        raise ValueError("mask has no True entry")
    total, count = 0.0, 0
    for index in np.ndindex(targets.shape):
        if mask[index]:
            total -= ref.log_softmax(logits[index])[targets[index]]
            count += 1
    return total / count


@CATALOGUE.correct("masked_mean_nll_grad", "loops")
def masked_mean_nll_grad_loops(logits, targets, mask):
    ref.masked_mean_nll(logits, targets, mask)  # the same checks
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    grad = np.zeros_like(logits)
    count = mask.sum()
    for index in np.ndindex(targets.shape):
        if mask[index]:
            grad[index] = np.exp(ref.log_softmax(logits[index])) / count
            grad[(*index, targets[index])] -= 1 / count
    return grad


@CATALOGUE.correct("sft_step", "loops")
def sft_step_loops(W, conversations, lr):
    if not lr > 0:
        raise ValueError("lr must be > 0")
    W = np.array(W, dtype=float)
    rows, targets, masks = [], [], []
    for tokens, assistant_mask in conversations:
        inputs, target, loss_mask = ref.next_token_targets(tokens, assistant_mask)
        if np.any((np.asarray(tokens) < 0) | (np.asarray(tokens) >= len(W))):
            raise ValueError("a token in conversations lies outside [0, V)")
        rows.append(inputs)
        targets.append(target)
        masks.append(loss_mask)
    inputs, target, loss_mask = np.concatenate(rows), np.concatenate(targets), np.concatenate(masks)
    if not loss_mask.any():
        raise ValueError("conversations hold no assistant target")
    loss = ref.masked_mean_nll(W[inputs], target, loss_mask)
    grad_rows = ref.masked_mean_nll_grad(W[inputs], target, loss_mask)
    grad = np.zeros_like(W)
    for position, token in enumerate(inputs):
        grad[token] += grad_rows[position]
    return W - lr * grad, loss


@CATALOGUE.correct("masked_mean_nll", "autodiff-free matrix form")
def masked_mean_nll_matrix_form(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    if logits.shape[:-1] != targets.shape or targets.shape != mask.shape:
        raise ValueError(f"shapes differ: logits {logits.shape}, targets {targets.shape}, mask {mask.shape}")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[-1]):
        raise ValueError("every target must lie in [0, V)")
    if mask.sum() == 0:
        raise ValueError("mask must contain at least one True")
    flat = logits.reshape(-1, logits.shape[-1])[mask.reshape(-1)]
    top = flat.max(axis=1)
    lse = top + np.log(np.exp(flat - top[:, None]).sum(axis=1))
    return float(np.mean(lse - flat[np.arange(len(flat)), targets.reshape(-1)[mask.reshape(-1)]]))


@CATALOGUE.correct("sft_step", "autodiff-free matrix form")
def sft_step_matrix_form(W, conversations, lr):
    if lr <= 0:
        raise ValueError(f"lr must be positive, got {lr}")
    W = np.asarray(W, dtype=float)
    V = W.shape[0]
    counts = np.zeros((V, V))
    for tokens, assistant_mask in conversations:
        tokens, assistant_mask = np.asarray(tokens), np.asarray(assistant_mask, bool)
        if tokens.min() < 0 or tokens.max() >= V:
            raise ValueError("conversations contain a token outside [0, V)")
        np.add.at(counts, (tokens[:-1][assistant_mask[1:]], tokens[1:][assistant_mask[1:]]), 1.0)
    if counts.sum() == 0:
        raise ValueError("conversations have no assistant target")
    logp = ref.log_softmax(W, axis=1)
    loss = -float((counts * logp).sum() / counts.sum())
    grad = (counts.sum(axis=1, keepdims=True) * np.exp(logp) - counts) / counts.sum()
    return W - lr * grad, loss
