"""Lab 1 — Supervised fine-tuning (SFT): teaching a base model to answer like an assistant.

SFT is next-token prediction on curated conversations, with one twist: the loss counts only the
tokens the assistant wrote. You first implement the seed's toy model (each domain improves in
proportion to its share of the SFT data), then the real thing on a bigram language model whose
parameters are one logit table `W` of shape (V, V): a stable log-softmax, the shift that turns a
conversation into (input, target) pairs with a loss mask, the masked per-token negative
log-likelihood and its gradient, and a full-batch gradient-descent step. The demo fine-tunes a
base bigram on a bundled corpus and measures what changed, per domain and with or without the mask.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

import labkit
import sft_corpus


def sft_gain(
    base_scores: Mapping[str, float],
    mixture: Mapping[str, float],
    max_gain: float = 40.0,
    cap: float = 100.0,
) -> dict[str, float]:
    """Predict each domain's score after SFT with the seed's toy model.

    A domain improves in proportion to its share of the SFT data:
    `after = min(cap, base + mixture.get(domain, 0) * max_gain)`. A domain missing from
    `mixture` gets no SFT data and keeps its base score.

    Args:
        base_scores: Score of the base model per domain, each in `[0, cap]`.
        mixture: Share of the SFT data per domain: weights >= 0 that sum to 1 (absolute
            tolerance 1e-6). Every domain of `mixture` must be a key of `base_scores`.
        max_gain: Points a domain would gain if it were all of the SFT data, >= 0.
        cap: The best possible score.

    Returns:
        The score after SFT for every domain of `base_scores`, as Python floats, with the same
        keys in the same order as `base_scores`.

    Raises:
        ValueError: If any number is not finite, a mixture weight is negative, the weights do
            not sum to 1, a mixture domain is absent from `base_scores`, a base score lies
            outside `[0, cap]`, or `max_gain` < 0. The message names the argument.

    Example:
        >>> sft_gain({"coding": 45, "safety": 20}, {"coding": 0.25, "safety": 0.75})
        {'coding': 55.0, 'safety': 50.0}
    """
    raise NotImplementedError("Lab 1: sft_gain")


def log_softmax(logits: ArrayLike, axis: int = -1) -> np.ndarray:
    """Return `log softmax(logits)` along `axis`, computed stably.

    `log_softmax(x)_i = x_i - log(sum_j exp(x_j))`. Computing `exp(x)` directly overflows for
    `x` around 710 and up; subtracting the maximum first (`x - max(x)` is <= 0, so its `exp` is
    <= 1) gives the same result without overflow. The result is finite for every finite input,
    including magnitudes up to 1e300 and entries of both signs (e.g. `[1e300, -1e300]`), and
    adding the same constant to every entry along `axis` does not change it.

    Args:
        logits: Real scores, any shape with at least one entry along `axis`.
        axis: The axis that holds the scores of one distribution (default: the last).

    Returns:
        Log-probabilities, float64, same shape as `logits`; `exp` of them sums to 1 along `axis`.

    Raises:
        ValueError: If `logits` has no entry along `axis`. The message names the argument.

    Example:
        >>> log_softmax([0.0, np.log(3.0)]).round(4)
        array([-1.3863, -0.2877])
    """
    raise NotImplementedError("Lab 1: log_softmax")


def next_token_targets(
    tokens: ArrayLike, assistant_mask: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn one conversation into next-token training pairs and their loss mask.

    Position `t` reads token `t` and predicts token `t + 1`, so `inputs = tokens[:-1]` and
    `targets = tokens[1:]`. A position is trained on when the token it *predicts* was written by
    the assistant: `loss_mask = assistant_mask[1:]` (shifted like `targets`, not like `inputs`).

    Args:
        tokens: Token ids of the conversation, ints (T,).
        assistant_mask: True where the assistant wrote the token, bools (T,).

    Returns:
        `(inputs, targets, loss_mask)`, new arrays of length T - 1: `inputs` and `targets` with
        the dtype of `tokens`, `loss_mask` bool.

    Raises:
        ValueError: If `tokens` or `assistant_mask` is not 1-D, their lengths differ, or
            `tokens` holds fewer than 2 tokens (there is nothing to predict). The message names
            the argument.

    Example:
        >>> inputs, targets, loss_mask = next_token_targets([7, 3, 5, 2], [False, False, True, True])
        >>> inputs, targets, loss_mask
        (array([7, 3, 5]), array([3, 5, 2]), array([False,  True,  True]))
    """
    raise NotImplementedError("Lab 1: next_token_targets")


def masked_mean_nll(logits: ArrayLike, targets: ArrayLike, mask: ArrayLike) -> float:
    """Return the mean negative log-likelihood of the targets over the masked-in positions.

    `NLL = -(1 / mask.sum()) * sum over positions p with mask[p] of log softmax(logits[p])[targets[p]]`.
    The mean is per token over everything passed in: a batch of sequences counts each of its
    masked-in tokens once, however the tokens are split into rows (not a mean per row or per
    sequence). Positions where `mask` is False contribute nothing.

    Args:
        logits: Scores, float (..., V): `logits[p]` holds the next-token logits at position `p`.
        targets: The true next token at every position, ints (...) in `[0, V)`.
        mask: True where the position counts, bools (...), the same shape as `targets`.

    Returns:
        The mean NLL in nats, a Python float >= 0.

    Raises:
        ValueError: If `logits` has no axis, the shapes of `targets` and `mask` are not
            `logits.shape[:-1]`, `targets` are not integers, a target (masked in or not) lies
            outside `[0, V)`, or `mask` holds no True. The message names the argument.

    Example:
        >>> round(masked_mean_nll([[0.0, 0.0], [0.0, 0.0]], [0, 1], [True, False]), 4)
        0.6931
    """
    raise NotImplementedError("Lab 1: masked_mean_nll")


def masked_mean_nll_grad(logits: ArrayLike, targets: ArrayLike, mask: ArrayLike) -> np.ndarray:
    """Return the gradient of `masked_mean_nll` with respect to `logits`.

    `grad = (softmax(logits) - onehot(targets)) * mask[..., None] / mask.sum()`: at a masked-in
    position the predicted distribution minus the one-hot target, scaled by one over the number
    of masked-in tokens in the whole input (the mean is per token over everything); every
    masked-out position gets a row of zeros. Each masked-in row sums to 0.

    Args:
        logits: Scores, float (..., V).
        targets: The true next token at every position, ints (...) in `[0, V)`.
        mask: True where the position counts, bools (...), the same shape as `targets`.

    Returns:
        The gradient, float64, the same shape as `logits`.

    Raises:
        ValueError: The same errors as `masked_mean_nll`: shapes that do not match, targets that
            are not integers or lie outside `[0, V)`, or no True in `mask`. The message names
            the argument.

    Example:
        >>> masked_mean_nll_grad([[0.0, 0.0], [0.0, 0.0]], [0, 1], [True, False])
        array([[-0.5,  0.5],
               [ 0. ,  0. ]])
    """
    raise NotImplementedError("Lab 1: masked_mean_nll_grad")


def sft_step(
    W: ArrayLike, conversations: Sequence[tuple[ArrayLike, ArrayLike]], lr: float
) -> tuple[np.ndarray, float]:
    """Take one full-batch gradient-descent step of SFT on a bigram logit table.

    The model: `W` has shape (V, V) and row `W[a]` holds the logits of the token that follows
    token `a`. Every conversation `(tokens, assistant_mask)` is shifted with
    `next_token_targets`; the loss `L` is the mean NLL per token over every assistant target of
    every conversation together (a conversation with more assistant tokens weighs more), i.e.
    `masked_mean_nll(W[inputs], targets, loss_mask)` on all positions concatenated. Since the
    position reading token `a` uses the logits `W[a]`, the gradient of `L` with respect to `W[a]`
    is the sum of the rows of `masked_mean_nll_grad` at the positions whose input is `a`:
    `dL/dW[a] = (n[a] * softmax(W[a]) - C[a]) / N`, where `C[a, b]` counts the assistant targets
    `b` read from token `a`, `n[a] = C[a].sum()` and `N = C.sum()`.

    Args:
        W: The bigram logit table, float (V, V). It is not modified.
        conversations: The batch: a sequence of `(tokens, assistant_mask)` pairs, tokens ints
            (T,) in `[0, V)` and assistant_mask bools (T,) (T may differ between conversations).
        lr: The learning rate, > 0.

    Returns:
        `(W - lr * dL/dW, L)`: the updated table as a new float64 (V, V) array and the loss `L`
        at the incoming `W`, a Python float.

    Raises:
        ValueError: If `lr` <= 0 (or is not finite), `W` is not a square 2-D table, a
            conversation is malformed (see `next_token_targets`), a token is not an integer in
            `[0, V)`, or the batch has no assistant target at all. The message names the
            argument.

    Example:
        >>> W_new, loss = sft_step(np.zeros((3, 3)), [([0, 1, 2], [False, True, True])], lr=1.0)
        >>> round(loss, 4), W_new[0].round(3)
        (1.0986, array([-0.167,  0.333, -0.167]))
    """
    raise NotImplementedError("Lab 1: sft_step")


# ---------------------------------------------------------------------------------------------
# Demo
# ---------------------------------------------------------------------------------------------

DEMO_SHOWS = ("45", "53", "+8", "35", "47", "+12", "20", "28")
"""What the demo prints, checked by tests/test_demos.py: the seed's numbers it reproduces, or its tables' labels."""
SEED_BASE_SCORES = {"coding": 45.0, "math": 40.0, "creative": 60.0, "reasoning": 35.0, "safety": 20.0}
SEED_MIXTURE = {"coding": 0.20, "math": 0.15, "creative": 0.15, "reasoning": 0.30, "safety": 0.20}
SFT_CONVERSATIONS = 100
EXTRA_CONVERSATIONS = 10
ADAM_LR = 1.0
ADAM_BETAS = (0.5, 0.9)
CONVERGED_GAP = 0.01
MAX_STEPS = 100
PLAIN_GD_LR = 100.0
"""The learning rate of the plain gradient-descent comparison (at 300 it had not converged after 3000 steps)."""
PLAIN_GD_MAX_STEPS = 2000
PROGRESS_EVERY = 5
BASE_SMOOTHING = 1.0
SAMPLE_SEED = 8
SAMPLES = 200
MAX_REPLY = 24

Batch = list[tuple[np.ndarray, np.ndarray]]


def _encode(conversations: Sequence[sft_corpus.Conversation], token_ids: Mapping[str, int]) -> Batch:
    """Encode conversations as `(tokens, assistant_mask)` pairs."""
    return [sft_corpus.encode(conversation, token_ids) for conversation in conversations]


def _positions(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate the `(inputs, targets, loss_mask)` of every conversation of a batch."""
    inputs, targets, loss_mask = zip(*(next_token_targets(t, m) for t, m in batch), strict=True)
    return np.concatenate(inputs), np.concatenate(targets), np.concatenate(loss_mask)


def _assistant_nll(W: np.ndarray, batch: Batch) -> float:
    """Mean NLL per assistant token of a batch under the bigram table `W`.

    The same number as `masked_mean_nll(W[inputs], targets, loss_mask)`, read from the (V, V)
    table of log-probabilities instead of one row per position, which is cheaper.
    """
    inputs, targets, loss_mask = _positions(batch)
    return float(-np.mean(log_softmax(W)[inputs[loss_mask], targets[loss_mask]]))


def _base_model(batch: Batch, vocab_size: int) -> np.ndarray:
    """Fit the 'pretrained' base bigram on the text of a batch that the assistant did not write.

    A base model has read plenty of text but no assistant replies. Ours is the add-one smoothed
    bigram of the user turns and chat markers (the positions whose target the assistant did not
    write): it knows how questions go and has never seen an answer, so every token that only
    occurs in replies, `<assistant>` included, is followed by a uniform guess.
    """
    inputs, targets, loss_mask = _positions(batch)
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (inputs[~loss_mask], targets[~loss_mask]), 1.0)
    smoothed = counts + BASE_SMOOTHING
    return np.log(smoothed / smoothed.sum(axis=1, keepdims=True))


def _mixture(corpus: sft_corpus.Corpus, counts: Mapping[str, int]) -> list[sft_corpus.Conversation]:
    """Take the first `counts[domain]` conversations of every domain's training pool."""
    return [c for domain, count in counts.items() for c in corpus.train[domain][:count]]


def _seed_counts() -> dict[str, int]:
    """Conversations per domain for `SFT_CONVERSATIONS` conversations in the seed's shares."""
    return {domain: round(share * SFT_CONVERSATIONS) for domain, share in SEED_MIXTURE.items()}


def _without_mask(batch: Batch) -> Batch:
    """The same conversations with every token marked as trainable (no assistant mask)."""
    return [(tokens, np.ones_like(mask)) for tokens, mask in batch]


def _loss_floor(batch: Batch, vocab_size: int) -> float:
    """The lowest training loss any bigram table reaches on a batch (its limit as training goes on).

    With a free row per token, the best table predicts, after each token `a`, the empirical
    distribution of the targets read from `a`; its loss is the conditional entropy of the targets
    given their inputs.
    """
    inputs, targets, loss_mask = _positions(batch)
    pairs = inputs[loss_mask] * vocab_size + targets[loss_mask]
    counts = np.bincount(pairs, minlength=vocab_size * vocab_size).reshape(vocab_size, vocab_size)
    seen = counts > 0
    conditional = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    return float(-np.sum(counts[seen] * np.log(conditional[seen])) / counts.sum())


def _train(
    W: np.ndarray, batch: Batch, label: str, held_out: Mapping[str, Batch] | None = None
) -> tuple[np.ndarray, list[float], dict[str, list[float]], float]:
    """Fine-tune `W` on a batch with Adam until the training loss is within `CONVERGED_GAP` of its floor.

    Every step calls `sft_step(W, batch, lr=1.0)` for the loss and the gradient (the step it takes
    is minus the gradient) and moves `W` with Adam. Adam divides each entry's step by the running
    size of its gradient, so rows of rarely read tokens move as fast as frequent ones, and the
    scale of the loss (a mean over the assistant targets or over all targets) changes nothing:
    runs with and without the mask take steps of the same size. Progress goes to stderr.

    Returns:
        The final table, the training loss at each step (the last one at the final table), every
        domain of `held_out`'s assistant NLL at each of those tables, and the loss floor.
    """
    floor = _loss_floor(batch, W.shape[0])
    held_out = held_out or {}
    losses: list[float] = []
    curves: dict[str, list[float]] = {domain: [] for domain in held_out}
    first, second = np.zeros_like(W), np.zeros_like(W)
    step = 0
    while True:
        stepped, loss = sft_step(W, batch, 1.0)
        losses.append(loss)
        for domain, domain_batch in held_out.items():
            curves[domain].append(_assistant_nll(W, domain_batch))
        done = loss - floor <= CONVERGED_GAP or step == MAX_STEPS
        if done or step % PROGRESS_EVERY == 0:
            print(
                f"  {label}: step {step:3d}, loss {loss:.3f} ({loss - floor:.3f} above its floor)",
                file=sys.stderr,
            )
        if done:
            return W, losses, curves, floor
        grad = W - stepped
        first = ADAM_BETAS[0] * first + (1 - ADAM_BETAS[0]) * grad
        second = ADAM_BETAS[1] * second + (1 - ADAM_BETAS[1]) * grad**2
        unbiased_first = first / (1 - ADAM_BETAS[0] ** (step + 1))
        unbiased_second = second / (1 - ADAM_BETAS[1] ** (step + 1))
        W = W - ADAM_LR * unbiased_first / (np.sqrt(unbiased_second) + 1e-12)
        step += 1


def _sample(cumulative: np.ndarray, prompt: np.ndarray, rng: np.random.Generator, end: int) -> list[int]:
    """Sample a reply to `prompt` from a bigram, stopping at `end` or after `MAX_REPLY` tokens.

    `cumulative[a]` is the cumulative sum of `softmax(W[a])`: a token is drawn by finding where a
    uniform number falls in it (inverse-CDF sampling).
    """
    sampled = [int(prompt[-1])]
    while len(sampled) <= MAX_REPLY and sampled[-1] != end:
        row = cumulative[sampled[-1]]
        sampled.append(min(int(np.searchsorted(row, rng.random() * row[-1], side="right")), len(row) - 1))
    return sampled[1:]


def _prompt_only_mass(W: np.ndarray, batch: Batch, prompt_only: np.ndarray) -> float:
    """Mean probability, over a batch's assistant targets, of the tokens that never occur in a reply."""
    inputs, _, loss_mask = _positions(batch)
    probs = np.exp(log_softmax(W[inputs[loss_mask]]))
    return float(np.mean(probs[:, prompt_only].sum(axis=1)))


def _chain_rule_gap(W: np.ndarray, batch: Batch) -> float:
    """Largest gap between `sft_step`'s gradient and `masked_mean_nll_grad` summed per input token."""
    inputs, targets, loss_mask = _positions(batch)
    per_token = masked_mean_nll_grad(W[inputs], targets, loss_mask)
    summed = np.zeros_like(W)
    np.add.at(summed, inputs, per_token)
    stepped, _ = sft_step(W, batch, 1.0)
    return float(np.max(np.abs((W - stepped) - summed)))


def _plot(folder: Path, losses: Mapping[str, list[float]], curves: Mapping[str, list[float]]) -> None:
    """Draw the training losses and the per-domain held-out NLL, one panel above the other."""
    plt = labkit.plotting()
    if plt is None:
        print("\n(matplotlib is not installed: no figure written)")
        return
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-."), ("v", (0, (5, 1)))]
    with plt.rc_context({"font.size": 13, "axes.titlesize": 14, "legend.fontsize": 12}):
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 8.5), constrained_layout=True)
        for (label, values), (marker, line) in zip(losses.items(), styles, strict=False):
            top.plot(values, marker=marker, linestyle=line, label=label)
        top.set(xlabel="Adam step", ylabel="training loss (nats per target)", title="SFT training loss")
        top.legend()
        for (domain, values), (marker, line) in zip(curves.items(), styles, strict=True):
            bottom.plot(values, marker=marker, linestyle=line, label=f"{domain} ({SEED_MIXTURE[domain]:.0%})")
        bottom.set(
            xlabel="Adam step",
            ylabel="held-out assistant NLL (nats)",
            title="Held-out NLL per domain (masked SFT)",
        )
        bottom.set_ylim(top=1.4 * max(max(values) for values in curves.values()))
        bottom.legend(title="domain (share of SFT data)", ncols=2, loc="upper right")
        print(f"\nwrote {labkit.save_figure(fig, folder, 'lab1_sft_loss')}")


def _plot_domains(folder: Path, rows: Sequence[tuple]) -> None:
    """Draw each domain's held-out change after SFT and the further change from its own extra data."""
    plt = labkit.plotting()
    if plt is None:
        return
    labels = [f"{row[0]}\n{row[1]:.0%}" for row in rows]
    panels = (
        ("Change in held-out NLL after SFT", [row[5] for row in rows], ""),
        (
            f"Further change with {EXTRA_CONVERSATIONS} more conversations of that domain only",
            [row[8] for row in rows],
            "//",
        ),
    )
    with plt.rc_context({"font.size": 13, "axes.titlesize": 14}):
        fig, axes = plt.subplots(2, 1, figsize=(7, 7.5), constrained_layout=True)
        for ax, (title, values, hatch) in zip(axes, panels, strict=True):
            ax.bar(labels, values, hatch=hatch, edgecolor="black")
            ax.axhline(0.0, color="black", linewidth=0.8)
            ax.set(title=title, ylabel="nats per assistant token")
        axes[1].set_xlabel("domain and its share of the SFT data")
        print(f"wrote {labkit.save_figure(fig, folder, 'lab1_sft_domains')}")


def _seed_section() -> None:
    """Print the seed's SFT table computed with `sft_gain`."""
    labkit.heading("SFT effect (seed model): gain = share of the SFT data x 40 points")
    after = sft_gain(SEED_BASE_SCORES, SEED_MIXTURE)
    labkit.print_table(
        ["Domain", "Base", "SFT share", "After SFT", "Gain"],
        [(d, base, SEED_MIXTURE[d], after[d], after[d] - base) for d, base in SEED_BASE_SCORES.items()],
        ["", ".0f", ".0%", ".0f", "+.0f"],
    )
    gains = {d: after[d] - base for d, base in SEED_BASE_SCORES.items()}
    largest = max(gains, key=gains.__getitem__)
    print(
        f"Largest gain: {largest} ({gains[largest]:+.0f}). Safety gains {gains['safety']:+.0f}, coding"
        f" {gains['coding']:+.0f}:\nat the same 20% share, the formula gives them the same gain."
    )


def _domain_section(
    models: Mapping[str, np.ndarray],
    more_data: Mapping[str, np.ndarray],
    held_out: Mapping[str, Batch],
    curves: Mapping[str, list[float]],
    counts: Mapping[str, int],
    sft_batch: Batch,
) -> list[tuple]:
    """Print held-out NLL per domain before and after SFT, and the effect of more data of that domain.

    Returns:
        The table's rows.
    """
    labkit.heading(
        f"Measured SFT: a bigram model (V = {models['base'].shape[0]}), held-out NLL per assistant token (nats)"
    )
    rows = []
    for d in sft_corpus.DOMAINS:
        before, now, more = (
            _assistant_nll(W, held_out[d]) for W in (models["base"], models["SFT, masked"], more_data[d])
        )
        lowest = int(np.argmin(curves[d]))
        rows.append(
            (d, SEED_MIXTURE[d], counts[d], before, now, now - before, curves[d][lowest], lowest, more - now)
        )
    labkit.print_table(
        [
            "Domain",
            "Share",
            "Convs",
            "Base",
            "After SFT",
            "Change",
            "Lowest",
            "At step",
            f"+{EXTRA_CONVERSATIONS} own convs",
        ],
        rows,
        ["", ".0%", "d", ".3f", ".3f", "+.3f", ".3f", "d", "+.3f"],
    )
    print(
        f"Base: a bigram fitted on the user turns only. SFT: {sum(counts.values())} conversations in the seed's"
        f"\nshares, Adam until the training loss is within {CONVERGED_GAP} nats of its floor. Lowest: the"
        "\nlowest held-out NLL on the way, and the step it was reached at. Last column: the"
        f"\nfurther change in that domain's held-out NLL when SFT also gets {EXTRA_CONVERSATIONS} more conversations"
        "\nof that domain and nothing else changes (a run per domain): the effect of its own data."
        "\n\nCheck: sft_step's gradient equals masked_mean_nll_grad summed per input token"
        f" (largest gap {_chain_rule_gap(models['base'], sft_batch):.1e})."
    )
    return rows


def _sample_section(models: Mapping[str, np.ndarray], corpus: sft_corpus.Corpus) -> None:
    """Print sampled replies to one held-out prompt and how the replies start and stop."""
    labkit.heading("Sampled replies (seeded): SFT teaches the format; a bigram cannot read the question")
    token_ids, vocab = corpus.token_ids, corpus.vocab
    conversation = corpus.held_out["safety"][0]
    tokens, assistant_mask = sft_corpus.encode(conversation, token_ids)
    prompt = tokens[~assistant_mask]
    print(f"{'prompt':>15}: {sft_corpus.decode(prompt, vocab)}")
    print(f"{'reference':>15}: {conversation.assistant}")
    end = token_ids[sft_corpus.END]
    rows = []
    for name in ("base", "SFT, masked", "SFT, no mask"):
        W = models[name]
        rng = np.random.default_rng(SAMPLE_SEED)
        cumulative = np.cumsum(np.exp(log_softmax(W)), axis=1)
        replies = [_sample(cumulative, prompt, rng, end) for _ in range(SAMPLES)]
        for reply in replies[:3]:
            print(f"{name:>15}: {sft_corpus.decode(reply, vocab)}")
        first = np.exp(log_softmax(W[prompt[-1]]))
        likeliest = np.argsort(-first, kind="stable")[:3]
        rows.append(
            (
                name,
                ", ".join(f"{vocab[t]} {first[t]:.3f}" for t in likeliest),
                np.mean([reply[-1] == end for reply in replies]),
                np.mean([len(reply) for reply in replies]),
            )
        )
    print(f"\nOver {SAMPLES} sampled replies each (at most {MAX_REPLY} tokens):")
    labkit.print_table(
        ["Model", "Likeliest first tokens, P(token | <assistant>)", "Ends with <end>", "Mean length"],
        rows,
        ["", "", ".0%", ".1f"],
    )
    print(
        "The base model has never seen a reply: after <assistant> every token is equally likely, and it"
        "\nrarely stops. After SFT a reply opens the way the assistant's replies do and stops far more"
        "\noften. A bigram sees only the previous token, so what it writes ignores the question."
    )


def _plain_gd_steps(W: np.ndarray, batch: Batch) -> int:
    """Steps of plain gradient descent (`sft_step` at PLAIN_GD_LR) until the loss is within CONVERGED_GAP of its floor."""
    floor = _loss_floor(batch, W.shape[0])
    for step in range(PLAIN_GD_MAX_STEPS + 1):
        stepped, loss = sft_step(W, batch, PLAIN_GD_LR)
        if loss - floor <= CONVERGED_GAP:
            return step
        W = stepped
    return PLAIN_GD_MAX_STEPS


def _optimiser_section(W: np.ndarray, batch: Batch, adam_steps: int) -> None:
    """Adam against plain gradient descent: the steps each needs to bring the SFT loss near its floor."""
    labkit.heading(f"Steps to within {CONVERGED_GAP} nats of the loss floor (SFT, masked)")
    plain = _plain_gd_steps(W, batch)
    rows = [
        ("Adam", f"{ADAM_LR:g}", f"{adam_steps}"),
        ("plain gradient descent", f"{PLAIN_GD_LR:g}", f"{plain}"),
    ]
    labkit.print_table(["Optimiser", "Learning rate", "Steps"], rows)
    print(
        "(plain gradient descent moves each row in proportion to how often its token is read, so the rows of"
    )
    print(" rare tokens lag; Adam divides each entry's step by the size of its own gradient)")


def _mask_section(
    models: Mapping[str, np.ndarray],
    corpus: sft_corpus.Corpus,
    runs: Mapping[str, tuple[Batch, list[float], float]],
) -> None:
    """Compare SFT with and without the assistant mask on the held-out replies, both trained to convergence."""
    labkit.heading("Training without the assistant mask: the loss also fits the user's words")
    reply_words = {
        t for d in sft_corpus.DOMAINS for c in corpus.train[d] for t in sft_corpus.tokenize(c.assistant)
    }
    prompt_only = np.array([token not in reply_words | {sft_corpus.END} for token in corpus.vocab])
    held_out = _encode([c for d in sft_corpus.DOMAINS for c in corpus.held_out[d]], corpus.token_ids)
    rows = [
        (
            "base",
            "0",
            "-",
            "-",
            f"{_assistant_nll(models['base'], held_out):.3f}",
            f"{_prompt_only_mass(models['base'], held_out, prompt_only):.1%}",
        )
    ]
    for name, (batch, losses, floor) in runs.items():
        _, _, loss_mask = _positions(batch)
        rows.append(
            (
                name,
                f"{loss_mask.sum()}",
                f"{len(losses) - 1}",
                f"{losses[-1] - floor:.3f}",
                f"{_assistant_nll(models[name], held_out):.3f}",
                f"{_prompt_only_mass(models[name], held_out, prompt_only):.1%}",
            )
        )
    labkit.print_table(
        [
            "Model",
            "Targets trained on",
            "Adam steps",
            "Above floor",
            "Held-out assistant NLL",
            "P(prompt-only)",
        ],
        rows,
    )
    print(
        "Both runs: the same conversations, Adam at the same learning rate (its steps do not depend on"
        "\nwhether the loss is averaged over the assistant targets or over all targets), trained until the"
        f"\ntraining loss is within {CONVERGED_GAP} nats of its floor. P(prompt-only): probability, at held-out"
        f"\nassistant positions, of the {prompt_only.sum()} tokens that appear in prompts but never in a reply"
        "\n(chat markers included)."
    )


def main(argv: list[str] | None = None) -> None:
    """Print the seed's SFT table, then fine-tune a bigram model and measure what SFT changed."""
    args = labkit.demo_arguments("Lab 1 demo: supervised fine-tuning, toy model and real bigram SFT.", argv)
    _seed_section()

    corpus = sft_corpus.load_corpus()
    token_ids, vocab_size = corpus.token_ids, len(corpus.vocab)
    pool = [c for d in sft_corpus.DOMAINS for c in corpus.train[d]]
    held_out = {d: _encode(corpus.held_out[d], token_ids) for d in sft_corpus.DOMAINS}
    counts = _seed_counts()
    sft_batch = _encode(_mixture(corpus, counts), token_ids)
    base = _base_model(_encode(pool, token_ids), vocab_size)
    print("\nTraining (progress on stderr) ...", file=sys.stderr)
    tuned, masked_losses, curves, masked_floor = _train(base, sft_batch, "SFT, masked", held_out)
    unmasked_batch = _without_mask(sft_batch)
    unmasked, unmasked_losses, _, unmasked_floor = _train(base, unmasked_batch, "SFT, no mask")
    models = {"base": base, "SFT, masked": tuned, "SFT, no mask": unmasked}
    more_data = {}
    for d in sft_corpus.DOMAINS:
        more = _encode(_mixture(corpus, {**counts, d: counts[d] + EXTRA_CONVERSATIONS}), token_ids)
        more_data[d] = _train(base, more, f"SFT, +{EXTRA_CONVERSATIONS} {d}")[0]

    rows = _domain_section(models, more_data, held_out, curves, counts, sft_batch)
    _sample_section(models, corpus)
    _mask_section(
        models,
        corpus,
        {
            "SFT, masked": (sft_batch, masked_losses, masked_floor),
            "SFT, no mask": (unmasked_batch, unmasked_losses, unmasked_floor),
        },
    )
    _optimiser_section(base, sft_batch, len(masked_losses) - 1)
    if args.plots is not None:
        _plot(args.plots, {"assistant mask": masked_losses, "no mask": unmasked_losses}, curves)
        _plot_domains(args.plots, rows)


if __name__ == "__main__":
    labkit.run_demo(main)
