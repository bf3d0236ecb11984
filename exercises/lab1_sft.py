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

SEED_BASE_SCORES = {"coding": 45.0, "math": 40.0, "creative": 60.0, "reasoning": 35.0, "safety": 20.0}
SEED_MIXTURE = {"coding": 0.20, "math": 0.15, "creative": 0.15, "reasoning": 0.30, "safety": 0.20}
SFT_CONVERSATIONS = 400
SFT_STEPS = 150
SFT_LR = 50.0
EVAL_EVERY = 10
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
    """Mean NLL per assistant token of a batch under the bigram table `W`."""
    inputs, targets, loss_mask = _positions(batch)
    return masked_mean_nll(W[inputs], targets, loss_mask)


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


def _mixture(corpus: sft_corpus.Corpus, shares: Mapping[str, float]) -> list[sft_corpus.Conversation]:
    """Take `SFT_CONVERSATIONS` conversations from the training pool with the given domain shares."""
    return [
        c
        for domain, share in shares.items()
        for c in corpus.train[domain][: round(share * SFT_CONVERSATIONS)]
    ]


def _without_mask(batch: Batch) -> Batch:
    """The same conversations with every token marked as trainable (no assistant mask)."""
    return [(tokens, np.ones_like(mask)) for tokens, mask in batch]


def _train(
    W: np.ndarray, batch: Batch, held_out: Mapping[str, Batch] | None = None
) -> tuple[np.ndarray, list[float], dict[str, list[float]]]:
    """Run `SFT_STEPS` full-batch SFT steps from `W`.

    Returns:
        The final table, the training loss before each step and, for every domain of
        `held_out`, its assistant NLL every `EVAL_EVERY` steps (first and last step included).
    """
    held_out = held_out or {}
    losses: list[float] = []
    curves: dict[str, list[float]] = {domain: [] for domain in held_out}
    for step in range(SFT_STEPS + 1):
        if step % EVAL_EVERY == 0 or step == SFT_STEPS:
            for domain, batch_of_domain in held_out.items():
                curves[domain].append(_assistant_nll(W, batch_of_domain))
        if step < SFT_STEPS:
            W, loss = sft_step(W, batch, SFT_LR)
            losses.append(loss)
    return W, losses, curves


def _sample(W: np.ndarray, prompt: np.ndarray, rng: np.random.Generator, end: int) -> list[int]:
    """Sample a reply to `prompt` from the bigram `W`, stopping at `end` or after `MAX_REPLY` tokens."""
    probs = np.exp(log_softmax(W))
    sampled = [int(prompt[-1])]
    while len(sampled) <= MAX_REPLY and sampled[-1] != end:
        sampled.append(int(rng.choice(len(probs), p=probs[sampled[-1]])))
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
    stepped, _ = sft_step(W, batch, SFT_LR)
    return float(np.max(np.abs((W - stepped) / SFT_LR - summed)))


def _plot(folder: Path, losses: Mapping[str, list[float]], curves: Mapping[str, list[float]]) -> None:
    """Draw the training losses and the per-domain held-out NLL, when matplotlib is available."""
    plt = labkit.plotting()
    if plt is None:
        print("\n(matplotlib is not installed: no figure written)")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for label, values in losses.items():
        left.plot(range(len(values)), values, label=label)
    left.set(xlabel="step", ylabel="training loss (nats per target)", title="SFT training loss")
    left.legend()
    checkpoints = [min(i * EVAL_EVERY, SFT_STEPS) for i in range(len(next(iter(curves.values()))))]
    for domain, values in curves.items():
        right.plot(checkpoints, values, marker="o", label=f"{domain} ({SEED_MIXTURE[domain]:.0%})")
    right.set(
        xlabel="step", ylabel="held-out assistant NLL (nats)", title="Held-out NLL per domain (masked SFT)"
    )
    right.legend()
    print(f"\nwrote {labkit.save_figure(fig, folder, 'lab1_sft_loss')}")


def _seed_section() -> None:
    """Print the seed's SFT table computed with `sft_gain`."""
    labkit.heading("SFT effect (seed model): gain = share of the SFT data x 40 points")
    after = sft_gain(SEED_BASE_SCORES, SEED_MIXTURE)
    labkit.print_table(
        ["Domain", "Base", "SFT share", "After SFT", "Gain"],
        [(d, base, SEED_MIXTURE[d], after[d], after[d] - base) for d, base in SEED_BASE_SCORES.items()],
        ["", ".0f", ".0%", ".0f", "+.0f"],
    )


def _domain_section(
    models: Mapping[str, np.ndarray], held_out: Mapping[str, Batch], sft_batch: Batch, vocab_size: int
) -> None:
    """Print the held-out assistant NLL per domain before and after SFT, beside the domain shares."""
    labkit.heading(
        f"Measured SFT: a bigram model (V = {vocab_size}), held-out NLL per assistant token (nats)"
    )
    rows = []
    for d in sft_corpus.DOMAINS:
        before, now, equal = (
            _assistant_nll(models[name], held_out[d]) for name in ("base", "SFT, masked", "SFT, 20% each")
        )
        rows.append((d, SEED_MIXTURE[d], before, now, now - before, equal - before))
    labkit.print_table(
        ["Domain", "SFT share", "Base", "After SFT", "Change", "Change if 20% each"],
        rows,
        ["", ".0%", ".3f", ".3f", "+.3f", "+.3f"],
    )
    print(
        f"Base: a bigram fitted on the user turns only. SFT: {len(sft_batch)} conversations in the seed's"
        f"\nshares, {SFT_STEPS} full-batch steps at lr {SFT_LR:g}. Last column: the same SFT with equal shares."
        "\nA domain given more data (reasoning) improves more than it would at 20%; one given less"
        "\n(math, creative) improves less. How far a domain gets also depends on how predictable its"
        "\nreplies are: no mixture teaches a bigram to add numbers."
        "\n\nCheck: sft_step's gradient equals masked_mean_nll_grad summed per input token"
        f" (largest gap {_chain_rule_gap(models['base'], sft_batch):.1e})."
    )


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
        replies = [_sample(W, prompt, rng, end) for _ in range(SAMPLES)]
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


def _mask_section(models: Mapping[str, np.ndarray], corpus: sft_corpus.Corpus, sft_batch: Batch) -> None:
    """Compare SFT with and without the assistant mask on the held-out replies."""
    labkit.heading("Training without the assistant mask: the loss also fits the user's words")
    reply_words = {
        t for d in sft_corpus.DOMAINS for c in corpus.train[d] for t in sft_corpus.tokenize(c.assistant)
    }
    prompt_only = np.array([token not in reply_words | {sft_corpus.END} for token in corpus.vocab])
    held_out = _encode([c for d in sft_corpus.DOMAINS for c in corpus.held_out[d]], corpus.token_ids)
    _, _, loss_mask = _positions(sft_batch)
    trained_on = {"base": 0, "SFT, masked": int(loss_mask.sum()), "SFT, no mask": len(loss_mask)}
    labkit.print_table(
        ["Model", "Targets trained on", "Held-out assistant NLL", "P(prompt-only token)"],
        [
            (
                name,
                count,
                _assistant_nll(models[name], held_out),
                _prompt_only_mass(models[name], held_out, prompt_only),
            )
            for name, count in trained_on.items()
        ],
        ["", "d", ".3f", ".1%"],
    )
    print(
        "P(prompt-only token): probability, at held-out assistant positions, of the"
        f"\n{prompt_only.sum()} tokens that appear in prompts but never in a reply (chat markers included)."
        "\nBoth SFT runs use the same conversations, steps and learning rate."
    )


def main(argv: list[str] | None = None) -> None:
    """Print the seed's SFT table, then fine-tune a bigram model and measure what SFT changed."""
    args = labkit.demo_arguments("Lab 1 demo: supervised fine-tuning, toy model and real bigram SFT.", argv)
    _seed_section()

    corpus = sft_corpus.load_corpus()
    token_ids, vocab_size = corpus.token_ids, len(corpus.vocab)
    pool = [c for d in sft_corpus.DOMAINS for c in corpus.train[d]]
    held_out = {d: _encode(corpus.held_out[d], token_ids) for d in sft_corpus.DOMAINS}
    sft_batch = _encode(_mixture(corpus, SEED_MIXTURE), token_ids)
    equal_batch = _encode(_mixture(corpus, dict.fromkeys(sft_corpus.DOMAINS, 0.2)), token_ids)
    base = _base_model(_encode(pool, token_ids), vocab_size)
    tuned, masked_losses, curves = _train(base, sft_batch, held_out)
    tuned_equal, _, _ = _train(base, equal_batch)
    unmasked, unmasked_losses, _ = _train(base, _without_mask(sft_batch))
    models = {"base": base, "SFT, masked": tuned, "SFT, 20% each": tuned_equal, "SFT, no mask": unmasked}

    _domain_section(models, held_out, sft_batch, vocab_size)
    _sample_section(models, corpus)
    _mask_section(models, corpus, sft_batch)
    if args.plots is not None:
        _plot(args.plots, {"assistant mask": masked_losses, "no mask": unmasked_losses}, curves)


if __name__ == "__main__":
    labkit.run_demo(main)
