"""Correct alternative implementations of Lab 1's functions: each group must keep full marks.

The known mistakes are in `autograder/labs/lab1_sft/catalogue.py`. Each group replaces reference
functions; the submission's header imports `math`, `numpy as np` and the reference module as
`_reference` (and star-imports it).
"""

import numpy as np

from tests.variants import correct

# --- correct alternatives -------------------------------------------------------------------


@correct("loops")
def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
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


@correct("loops")
def log_softmax(logits, axis=-1):
    x = np.moveaxis(np.asarray(logits, dtype=float), axis, -1)
    out = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        top = max(row)
        shifted = [v - top for v in row]
        total = sum(np.exp(s) for s in shifted)
        out[index] = [s - np.log(total) for s in shifted]
    return np.moveaxis(out, -1, axis)


@correct("loops")
def next_token_targets(tokens, assistant_mask):
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


@correct("loops")
def masked_mean_nll(logits, targets, mask):
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
            total -= log_softmax(logits[index])[targets[index]]
            count += 1
    return total / count


@correct("loops")
def masked_mean_nll_grad(logits, targets, mask):
    masked_mean_nll(logits, targets, mask)  # the same checks
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    grad = np.zeros_like(logits)
    count = mask.sum()
    for index in np.ndindex(targets.shape):
        if mask[index]:
            grad[index] = np.exp(log_softmax(logits[index])) / count
            grad[(*index, targets[index])] -= 1 / count
    return grad


@correct("loops")
def sft_step(W, conversations, lr):
    if not lr > 0:
        raise ValueError("lr must be > 0")
    W = np.array(W, dtype=float)
    rows, targets, masks = [], [], []
    for tokens, assistant_mask in conversations:
        inputs, target, loss_mask = next_token_targets(tokens, assistant_mask)
        if np.any((np.asarray(tokens) < 0) | (np.asarray(tokens) >= len(W))):
            raise ValueError("a token in conversations lies outside [0, V)")
        rows.append(inputs)
        targets.append(target)
        masks.append(loss_mask)
    inputs, target, loss_mask = np.concatenate(rows), np.concatenate(targets), np.concatenate(masks)
    if not loss_mask.any():
        raise ValueError("conversations hold no assistant target")
    loss = masked_mean_nll(W[inputs], target, loss_mask)
    grad_rows = masked_mean_nll_grad(W[inputs], target, loss_mask)
    grad = np.zeros_like(W)
    for position, token in enumerate(inputs):
        grad[token] += grad_rows[position]
    return W - lr * grad, loss


@correct("autodiff-free matrix form")
def masked_mean_nll(logits, targets, mask):
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


@correct("autodiff-free matrix form")
def sft_step(W, conversations, lr):
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
    logp = log_softmax(W, axis=1)
    loss = -float((counts * logp).sum() / counts.sum())
    grad = (counts.sum(axis=1, keepdims=True) * np.exp(logp) - counts) / counts.sum()
    return W - lr * grad, loss
