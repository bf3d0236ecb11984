"""Lab 5: Reinforcement learning from verifiable rewards with GRPO.

Reasoning models (OpenAI's o1 in September 2024, DeepSeek-R1 in January 2025) add a stage to SFT
and preference tuning: reinforcement learning against a *program* that checks each answer. The
reward is verifiable (1 correct, 0 wrong), so there is no learned reward model whose errors the
policy could exploit (the checker's own loopholes remain). GRPO (Group Relative Policy
Optimisation) is the algorithm: sample a group of G answers per prompt, score each with the
checker, turn the rewards into advantages by comparing every answer with the rest of its group
(no value network), and take several epochs of PPO-style clipped steps on the sampled batch.

You implement the group advantages (GRPO's and Dr. GRPO's), the unbiased pass@k estimator used to
evaluate such models, the clipped surrogate with its three ways of averaging over tokens, and its
gradient; then the 2025 variants of the surrogate (DAPO's clip-higher, GSPO, CISPO) with their
gradient, the policy's mean token entropy, and the first-order entropy change of one
policy-gradient step. The demo trains a small token-level policy on arithmetic prompts and shows
the known effects: pass@1 rising, groups that carry no signal, std normalisation reweighting
prompts by difficulty, the length bias of averaging each response over its own length, and the
second round's comparisons (entropy under each clip, GSPO's ratio by length, dynamic sampling).

Every `ValueError` a function raises has a message that names the offending argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

import labkit


def group_advantages(rewards: ArrayLike, normalize_std: bool = True, eps: float = 1e-6) -> np.ndarray:
    """Return each response's advantage relative to the other responses to the same prompt.

    Row `p` of `rewards` holds the rewards of the G responses sampled for prompt `p`. The group's
    mean is the baseline (it replaces PPO's value network):

        GRPO     (normalize_std=True):   (r - mean(row)) / (std(row) + eps)
        Dr. GRPO (normalize_std=False):  r - mean(row)

    Conventions the grader checks:

    - The mean and the standard deviation are taken over each row (each prompt's group), never
      over the whole batch.
    - `std` is the *sample* standard deviation, `ddof = 1` (as TRL and CS336 compute it):
      `sqrt(sum((r - mean)**2) / (G - 1))`.
    - A group whose rewards are all equal gets exactly 0.0 for every response, whatever `eps`
      (0 included) and in both modes: such a group carries no learning signal. Note that
      `mean([0.1, 0.1, 0.1])` is not exactly 0.1 in floating point, so test for equality first.
    - Adding a constant to a row changes nothing; scaling a row by `a > 0` scales Dr. GRPO's
      advantages by `a` and leaves GRPO's unchanged (up to `eps`).

    Args:
        rewards: Rewards, shape (P, G): P prompts, G >= 2 responses each; finite numbers.
        normalize_std: Divide by the group's standard deviation (GRPO) or not (Dr. GRPO).
        eps: Added to the standard deviation before dividing, >= 0.

    Returns:
        The advantages, float64 array of shape (P, G).

    Raises:
        ValueError: If `rewards` is not 2-D, has fewer than 2 columns (G < 2) or holds a non-finite
            value, or if `eps` < 0. The message names the offending argument.

    Example:
        >>> group_advantages([[1.0, 0.0, 0.0, 0.0]], normalize_std=False)
        array([[ 0.75, -0.25, -0.25, -0.25]])
    """
    raise NotImplementedError("Lab 5: group_advantages")


def pass_at_k(n: int, c: int, k: int) -> float:
    """Return the unbiased estimate of pass@k from n samples of which c are correct (Chen et al. 2021).

    pass@k is the probability that at least one of k samples is correct. Drawing k of the n
    samples without replacement, all k are wrong with probability `C(n - c, k) / C(n, k)`, so

        pass@k = 1 - C(n - c, k) / C(n, k) = 1 - prod_{i = n - c + 1}^{n} (1 - k / i).

    Conventions the grader checks:

    - Exactly 1.0 when `n - c < k` (every draw of k holds a correct sample).
    - Computed as the product above (or its logarithm), never from binomial coefficients as
      floats: `C(1e6, 5e5)` overflows any float. Relative error <= 1e-9 for n up to 1e6, tiny
      values included.
    - Not `1 - (1 - c / n)**k`: that is sampling *with* replacement, a biased estimate.
    - pass@1 is `c / n`; pass@k never decreases as k or c grows.

    Args:
        n: Number of samples drawn, an integer >= 1 (an integral float such as 8.0 is accepted).
        c: Number of correct samples, an integer in [0, n].
        k: The k of pass@k, an integer in [1, n].

    Returns:
        The estimate, a Python float in [0, 1].

    Raises:
        ValueError: If an argument is not integral (2.5), `n` < 1, `c` is outside [0, n] or `k` is
            outside [1, n]. The message names the offending argument.

    Example:
        >>> pass_at_k(4, 1, 2)  # 1 - C(3, 2) / C(4, 2) = 1 - 3 / 6
        0.5
    """
    raise NotImplementedError("Lab 5: pass_at_k")


def grpo_objective(
    logp_new: ArrayLike,
    logp_old: ArrayLike,
    advantages: ArrayLike,
    mask: ArrayLike,
    clip_eps: float = 0.2,
    aggregation: str = "token",
) -> float:
    """Return GRPO's clipped surrogate objective (to be maximised) over a batch of responses.

    Response `b` has tokens at the positions where `mask[b]` is True; each token gets the
    response's advantage `A_b` and the probability ratio `rho = exp(logp_new - logp_old)`:

        o[b, t] = min(rho * A_b, clip(rho, 1 - clip_eps, 1 + clip_eps) * A_b)

    (PPO's pessimistic bound: for `A > 0` the gain stops growing once `rho > 1 + clip_eps`, for
    `A < 0` once `rho < 1 - clip_eps`). The tokens' values are then averaged by `aggregation`:

    - `"sequence"` (GRPO as published): each response's mean over its own L_b tokens, then the
      mean over the B responses: `mean_b (sum_t o[b, t] / L_b)`;
    - `"token"` (DAPO): the sum over all response tokens divided by their number, `sum(L_b)`;
    - `"constant"` (Dr. GRPO): the sum divided by `B * T`, a constant standing for the maximum
      generation length.

    Conventions the grader checks:

    - Values at padding positions (mask False) are ignored, whatever they are (nan and inf
      included): select the response tokens before computing anything with them.
    - The minimum of the two terms, not the maximum.
    - When `logp_new == logp_old` (rho = 1), the objective is the advantages averaged with the
      aggregation's weights (for `"sequence"`, `mean(advantages)`).
    - If every response has the same length, `"sequence"` equals `"token"`; if every mask row is
      full, `"constant"` equals `"token"` too.
    - No overflow warning: compute `min(rho, 1 + clip_eps) * A` for `A >= 0` and
      `max(rho, 1 - clip_eps) * A` for `A < 0` (the same values) on the log scale.

    Args:
        logp_new: Per-token log-probabilities under the policy being trained, shape (B, T).
        logp_old: Per-token log-probabilities under the policy that sampled the responses, (B, T).
        advantages: One advantage per response, shape (B,), shared by its tokens.
        mask: True on response tokens, False on padding, bool array (B, T).
        clip_eps: Clipping range, in (0, 1).
        aggregation: `"sequence"`, `"token"` or `"constant"`.

    Returns:
        The objective, a Python float.

    Raises:
        ValueError: If the shapes do not match (`logp_new`, `logp_old`, `mask` of one 2-D shape
            (B, T), `advantages` of shape (B,)), B = 0, a row of `mask` has no True, `clip_eps` is
            outside (0, 1), or `aggregation` is unknown. The message names the offending argument.

    Example:
        >>> grpo_objective([[0.0, 0.0]], [[0.0, 0.0]], [0.5], [[True, False]])
        0.5
    """
    raise NotImplementedError("Lab 5: grpo_objective")


def grpo_objective_grad(
    logp_new: ArrayLike,
    logp_old: ArrayLike,
    advantages: ArrayLike,
    mask: ArrayLike,
    clip_eps: float = 0.2,
    aggregation: str = "token",
) -> np.ndarray:
    """Return the gradient of `grpo_objective` with respect to `logp_new`, shape (B, T).

    Since `d rho / d logp_new = rho`, a token whose unclipped term is the minimum gets

        grad[b, t] = w[b, t] * rho[b, t] * A_b

    where `w` is the token's weight in the aggregation: `1 / (B * L_b)` for `"sequence"`,
    `1 / sum(L_b)` for `"token"`, `1 / (B * T)` for `"constant"`.

    Conventions the grader checks:

    - The unclipped term is the minimum, so the token carries gradient, where
      `rho * A <= clip(rho) * A`: everywhere inside the clip range, for `A > 0` when
      `rho < 1 - clip_eps`, for `A < 0` when `rho > 1 + clip_eps`.
    - A token whose clipped term is strictly smaller (for `A > 0`: `rho > 1 + clip_eps`; for
      `A < 0`: `rho < 1 - clip_eps`) is clipped and gets exactly 0.0.
    - Padding positions get exactly 0.0, whatever their values.
    - The factor `rho` is part of the gradient: the derivative is taken with respect to the
      log-probability, not with respect to `rho`.
    - Away from the clip boundaries it equals finite differences of `grpo_objective`.

    Args:
        logp_new: Per-token log-probabilities under the policy being trained, shape (B, T).
        logp_old: Per-token log-probabilities under the policy that sampled the responses, (B, T).
        advantages: One advantage per response, shape (B,).
        mask: True on response tokens, False on padding, bool array (B, T).
        clip_eps: Clipping range, in (0, 1).
        aggregation: `"sequence"`, `"token"` or `"constant"`.

    Returns:
        The gradient, float64 array of shape (B, T).

    Raises:
        ValueError: The errors of `grpo_objective`. The message names the offending argument.

    Example:
        >>> grpo_objective_grad([[0.0, 0.0]], [[0.0, 0.0]], [0.5], [[True, True]])
        array([[0.25, 0.25]])
    """
    raise NotImplementedError("Lab 5: grpo_objective_grad")


def ratio_objective(
    logp_new: ArrayLike,
    logp_old: ArrayLike,
    advantages: ArrayLike,
    mask: ArrayLike,
    method: str = "ppo",
    clip_low: float = 0.2,
    clip_high: float = 0.28,
) -> float:
    """Return the policy objective (to be maximised) of a 2025 variant of GRPO's clipped surrogate.

    The shapes are those of `grpo_objective`. On response tokens (mask True) let
    `log_ratio = logp_new - logp_old` and `rho = exp(log_ratio)`; `A_b` is response b's advantage
    and N the number of response tokens of the batch. The clip range is asymmetric:
    `clip(x) = clip(x, 1 - clip_low, 1 + clip_high)`.

    - `"ppo"`, with clip-higher (DAPO): per token `min(rho * A_b, clip(rho) * A_b)`, summed over
      the response tokens and divided by N (the `"token"` aggregation). With
      `clip_high == clip_low` this is `grpo_objective(..., aggregation="token")`.
    - `"gspo"` (GSPO): one ratio per response, the *geometric mean* of its token ratios,
      `s_b = exp(mean of log_ratio over response b's tokens)`, and the objective
      `mean_b min(s_b * A_b, clip(s_b) * A_b)`. A response of one token has `s_b = rho`.
    - `"cispo"` (CISPO): the importance weight `w = clip(rho)` is a constant (no gradient flows
      through it), so the objective is the REINFORCE-style `sum_tokens w * A_b * logp_new / N`,
      and every token keeps a gradient, `w * A_b / N`, however large its ratio.

    Conventions the grader checks:

    - Values at padding positions are ignored, whatever they hold (nan and inf included).
    - `"ppo"` and `"gspo"` take the minimum of the two terms (the pessimistic bound).
    - The geometric mean, not the product: `exp(sum of log_ratio)` grows with the length.
    - `clip_low` bounds the ratio from below (`1 - clip_low`), `clip_high` from above.
    - Finite, with no overflow warning, when a positive advantage meets a huge ratio: cap the
      log-ratio before `exp`, as in `grpo_objective`.

    Args:
        logp_new: Per-token log-probabilities under the policy being trained, shape (B, T).
        logp_old: Per-token log-probabilities under the policy that sampled the responses, (B, T).
        advantages: One advantage per response, shape (B,), shared by its tokens.
        mask: True on response tokens, False on padding, bool array (B, T).
        method: `"ppo"`, `"gspo"` or `"cispo"`.
        clip_low: The ratio's lower bound is `1 - clip_low`, in (0, 1).
        clip_high: The ratio's upper bound is `1 + clip_high`, > 0 (DAPO: 0.28 with clip_low 0.2).

    Returns:
        The objective, a Python float.

    Raises:
        ValueError: If the shapes do not match (`logp_new`, `logp_old`, `mask` of one 2-D shape
            (B, T), `advantages` of shape (B,)), B = 0, a row of `mask` has no True, `method` is
            unknown, `clip_low` is outside (0, 1) or `clip_high` <= 0. The message names the
            offending argument.

    Example:
        >>> ratio_objective([[0.0, 0.0]], [[0.0, 0.0]], [0.5], [[True, False]], "gspo")
        0.5
    """
    raise NotImplementedError("Lab 5: ratio_objective")


def ratio_objective_grad(
    logp_new: ArrayLike,
    logp_old: ArrayLike,
    advantages: ArrayLike,
    mask: ArrayLike,
    method: str = "ppo",
    clip_low: float = 0.2,
    clip_high: float = 0.28,
) -> np.ndarray:
    """Return the gradient of `ratio_objective` with respect to `logp_new`, shape (B, T).

    With N the number of response tokens, B the number of responses and L_b response b's length:

    - `"ppo"`: `rho * A_b / N` on a token whose unclipped term is the minimum, else 0;
    - `"gspo"`: every token of response b gets `d s_b / d logp_new[b, t] * A_b / B`, where
      `s_b` is the geometric mean of the response's ratios (work out `d s_b / d logp_new[b, t]`),
      when the response's unclipped term is the minimum, else 0;
    - `"cispo"`: `w * A_b / N` on every response token, `w = clip(rho, 1 - clip_low, 1 + clip_high)`
      held constant (the stop-gradient of CISPO): no gradient flows through `w`.

    Conventions the grader checks:

    - Where the unclipped and clipped terms are equal (a ratio exactly on a bound), the gradient
      is the unclipped term's, as in `grpo_objective_grad`; a term clipped strictly below the
      unclipped one gives exactly 0.0.
    - Padding positions get exactly 0.0, whatever their values.
    - For `"ppo"` and `"gspo"` it equals finite differences of `ratio_objective` away from the
      clip bounds; for `"cispo"`, finite differences of `sum w * A_b * logp_new / N` with `w`
      frozen at its current value.
    - Finite, with no overflow warning, when a positive advantage meets a huge ratio.

    Args:
        logp_new: Per-token log-probabilities under the policy being trained, shape (B, T).
        logp_old: Per-token log-probabilities under the policy that sampled the responses, (B, T).
        advantages: One advantage per response, shape (B,).
        mask: True on response tokens, False on padding, bool array (B, T).
        method: `"ppo"`, `"gspo"` or `"cispo"`.
        clip_low: The ratio's lower bound is `1 - clip_low`, in (0, 1).
        clip_high: The ratio's upper bound is `1 + clip_high`, > 0.

    Returns:
        The gradient, float64 array of shape (B, T).

    Raises:
        ValueError: The errors of `ratio_objective`. The message names the offending argument.

    Example:
        >>> ratio_objective_grad([[0.0, 0.0]], [[0.0, 0.0]], [0.5], [[True, True]], "gspo")
        array([[0.25, 0.25]])
    """
    raise NotImplementedError("Lab 5: ratio_objective_grad")


def token_entropy(logits: ArrayLike, mask: ArrayLike) -> float:
    """Return the mean entropy of the policy's next-token distributions over the response tokens.

    Position `(b, t)` has the distribution `pi = softmax(logits[b, t])` over the V tokens and
    the entropy `H = -sum_v pi_v * log pi_v` (in nats). The result is the mean of H over the
    positions where `mask` is True: a sum over them divided by their number, every response token
    weighing the same (DAPO's `"token"` aggregation). A policy whose entropy falls to 0 has stopped
    exploring (entropy collapse).

    Conventions the grader checks:

    - Natural logarithm; a uniform distribution over V tokens has entropy `log(V)`, a one-hot
      distribution 0. Adding a constant to a position's logits changes nothing.
    - Logits at padding positions (mask False) do not enter the mean.
    - Finite, with no warning, for logits up to +-1e3: never take `log` of a probability that
      may underflow to 0. Compute `log pi` as a log-softmax (subtract the maximum, then the
      log-sum-exp) and use `pi * log pi` with that `log pi`.

    Args:
        logits: Next-token logits, shape (B, T, V).
        mask: True on response tokens, bool array (B, T).

    Returns:
        The mean entropy, a Python float >= 0.

    Raises:
        ValueError: If `logits` is not 3-D, `mask` is not of shape (B, T) or `mask` has no True.
            The message names the offending argument.

    Example:
        >>> round(token_entropy([[[0.0, 0.0], [5.0, 5.0]]], [[True, False]]), 6)  # log 2
        0.693147
    """
    raise NotImplementedError("Lab 5: token_entropy")


def entropy_change(logits: ArrayLike, advantages: ArrayLike, lr: float) -> float:
    """Return the first-order change of a softmax policy's entropy under one policy-gradient step.

    The policy is `pi = softmax(logits)` over K actions and action a has advantage `A(a)`. One
    exact gradient-ascent step on `E_pi[A]` with learning rate `lr` moves the logits by

        delta(a) = lr * pi(a) * (A(a) - E_pi[A])

    (the gradient of `E_pi[A]` with respect to the logits). Return the entropy's first-order
    change `grad H . delta`, with `H = -sum_a pi(a) log pi(a)`: differentiate H with respect to
    the logits, take the dot product with delta, and you will find that the result is minus a
    covariance under `a ~ pi` (Cui et al. 2025: confident actions with a positive advantage make
    the entropy fall).

    Conventions the grader checks:

    - It is the first-order term: it matches `(H(logits + h * delta) - H(logits - h * delta)) / (2 h)`
      for a small h, and it is proportional to `lr`.
    - It is 0 for a uniform policy and for equal advantages (then delta = 0).
    - Finite for logits up to +-1e3 (use a log-softmax for `log pi`).

    Args:
        logits: The policy's logits, shape (K,), K >= 1.
        advantages: One advantage per action, shape (K,).
        lr: The learning rate, > 0.

    Returns:
        The first-order entropy change of the step, a Python float (negative: entropy falls).

    Raises:
        ValueError: If the shapes differ (or are not 1-D and non-empty), `lr` <= 0, or an input
            is not finite. The message names the offending argument.

    Example:
        >>> round(entropy_change([1.0, 0.0], [1.0, 0.0], 1.0), 4)  # the likelier action is rewarded
        -0.0773
    """
    raise NotImplementedError("Lab 5: entropy_change")


# --- the demo: GRPO on a token-level policy over arithmetic prompts ----------------------------

DEMO_SHOWS = (
    "pass@1",
    "pass@256",
    "clip fraction",
    "all wrong",
    "factor 1/std",
    "sequence wrong",
    "clip-higher",
    "CISPO",
    "zero-gradient tokens",
    "entropy_change",
    "std log s (GSPO)",
    "drawn in all",
)
"""What the demo prints, checked by tests/test_demos.py: the seed's numbers it reproduces, or its tables' labels."""
SEED = 5
PROMPTS = ("7+5", "9+8", "6+7", "8+8", "23+19", "58+67")
"""The prompts; the checker's answer is their sum, written in decimal digits and ended by EOS."""
BOOSTS = (3.0, 2.6, 2.2, 1.8, 1.4, 0.8)
"""How much the starting policy (the "SFT model") already favours each prompt's answer tokens."""
EOS = 10
VOCAB = 11
BOS = VOCAB
"""The previous token at position 0 (not a token the policy can emit)."""
LENGTH = 8
"""T: the longest response, in tokens (EOS included)."""
GROUP = 8
STEPS = 60
EPOCHS = 4
LR = 8.0
CLIP_EPS = 0.2
EVAL_SAMPLES = 4096
LENGTH_SAMPLES = 1024
LENGTH_SEEDS = tuple(range(5, 15))
KS = (1, 16, 256)
CHECKPOINTS = (0, 10, 20, 30, 45, 60)
AGGREGATIONS = ("sequence", "token", "constant")
RECIPE_SEEDS = tuple(range(5, 15))
"""The seeds of the third round's comparisons: one seed's run can go either way."""
CLIP_HIGH = 0.28
"""DAPO's upper clip range (its lower one is CLIP_EPS = 0.2)."""
RECIPES: tuple[dict[str, Any], ...] = (
    {"name": "symmetric", "method": "ppo", "clip_high": CLIP_EPS},
    {"name": "clip-higher", "method": "ppo", "clip_high": CLIP_HIGH},
    {"name": "CISPO", "method": "cispo", "clip_high": CLIP_HIGH},
    {"name": "dynamic", "method": "ppo", "clip_high": CLIP_EPS, "dynamic": True},
)
"""The third round's training recipes: `ratio_objective_grad`'s method and clip_high, and whether
all-equal groups are drawn again (DAPO's dynamic sampling: "dynamic" is the symmetric clip with it)."""
GSPO_LENGTHS = (2, 8, 32, 128, 512)
GSPO_DRIFT = 0.1
"""The standard deviation of each token's log-ratio in the GSPO comparison (a policy that moved)."""
GSPO_RESPONSES = 2000
GSPO_CLIPS = (3e-4, 4e-4)
"""GSPO's own clip range (Zheng et al. 2025)."""
ENTROPY_PROMPTS = (0, 3)
ENTROPY_LRS = (0.5, 2.0)
ENTROPY_STEPS = 4
DYNAMIC_TRIES = 3
"""How many times dynamic sampling draws a group again while its rewards are all equal."""


def answer_tokens(prompt: str) -> list[int]:
    """The correct response to `prompt`: the digits of the sum, then EOS."""
    left, right = prompt.split("+")
    return [int(d) for d in str(int(left) + int(right))] + [EOS]


def initial_logits() -> dict[str, np.ndarray]:
    """The starting policy: logits = shared[t, prev] + own[prompt, t, prev], the answer favoured a little.

    The policy picks token t from the prompt, the position t and the previous token (BOS at
    t = 0). `shared` (T, V + 1, V) is used by every prompt, like the weights of a real model;
    `own` (P, T, V + 1, V) is each prompt's own table. EOS is a little more likely than a digit
    everywhere, so responses of every length occur.
    """
    shared = np.zeros((LENGTH, VOCAB + 1, VOCAB))
    shared[..., EOS] = 0.7
    own = np.zeros((len(PROMPTS), LENGTH, VOCAB + 1, VOCAB))
    for p, (prompt, boost) in enumerate(zip(PROMPTS, BOOSTS, strict=True)):
        answer = answer_tokens(prompt)
        for t, (previous, token) in enumerate(zip([BOS, *answer[:-1]], answer, strict=True)):
            own[p, t, previous, token] += boost
    return {"shared": shared, "own": own}


def policy_log_probs(params: dict[str, np.ndarray]) -> np.ndarray:
    """log pi(token | prompt, position, previous token), shape (P, T, V + 1, V)."""
    z = params["shared"][None] + params["own"]
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True))


def sample_responses(rng: np.random.Generator, log_probs: np.ndarray, prompts: np.ndarray) -> dict[str, Any]:
    """Sample one response per entry of `prompts`: tokens (B, T), mask (B, T), lengths (B,).

    A response stops at its first EOS (included); one without EOS runs to T tokens.
    """
    tokens = np.zeros((prompts.size, LENGTH), dtype=np.int64)
    previous = np.full(prompts.size, BOS)
    for t in range(LENGTH):
        cumulative = np.cumsum(np.exp(log_probs[prompts, t, previous]), axis=-1)
        u = rng.random((prompts.size, 1)) * cumulative[:, -1:]
        tokens[:, t] = previous = np.minimum((cumulative < u).sum(axis=-1), VOCAB - 1)
    is_eos = tokens == EOS
    lengths = np.where(is_eos.any(axis=1), is_eos.argmax(axis=1) + 1, LENGTH)
    mask = np.arange(LENGTH)[None, :] < lengths[:, None]
    return {"prompts": prompts, "tokens": np.where(mask, tokens, 0), "mask": mask, "lengths": lengths}


def _states(batch: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(prompt, position, previous token) of every token of a batch, each (B, T), for indexing."""
    tokens = batch["tokens"]
    previous = np.concatenate([np.full((tokens.shape[0], 1), BOS), tokens[:, :-1]], axis=1)
    positions = np.broadcast_to(np.arange(LENGTH), tokens.shape)
    return np.broadcast_to(batch["prompts"][:, None], tokens.shape), positions, previous


def verify(prompts: np.ndarray, tokens: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The checker program: 1.0 for a response that is exactly the sum's digits then EOS, else 0.0.

    `prompts` (B,) index PROMPTS; `tokens` (B, T) hold 0 after each response's end.
    """
    answers = [answer_tokens(prompt) for prompt in PROMPTS]
    expected = np.array([answer + [0] * (LENGTH - len(answer)) for answer in answers])[prompts]
    right_length = lengths == np.array([len(answer) for answer in answers])[prompts]
    return (right_length & np.all(tokens == expected, axis=1)).astype(np.float64)


def rewards_of(batch: dict[str, Any]) -> np.ndarray:
    """The checker's reward for every response of a batch, shape (B,)."""
    return verify(batch["prompts"], batch["tokens"], batch["lengths"])


def token_log_probs(log_probs: np.ndarray, batch: dict[str, Any]) -> np.ndarray:
    """Per-token log-probabilities of a batch's responses, shape (B, T); 0 on padding."""
    picked = log_probs[(*_states(batch), batch["tokens"])]
    return np.where(batch["mask"], picked, 0.0)


def ascent_step(
    params: dict[str, np.ndarray], log_probs: np.ndarray, batch: dict[str, Any], grad_logp: np.ndarray
) -> None:
    """Chain rule from d J / d logp (B, T) to the logits, then one gradient-ascent step in place.

    `d logp[b, t] / d z[state] = onehot(token) - pi(. | state)` for the token's state; `log_probs`
    is `policy_log_probs(params)`.
    """
    states = _states(batch)
    pi = np.exp(log_probs[states])
    onehot = np.eye(VOCAB)[batch["tokens"]]
    grad_own = np.zeros_like(params["own"])
    np.add.at(grad_own, states, grad_logp[..., None] * (onehot - pi))
    params["own"] += LR * grad_own
    params["shared"] += LR * grad_own.sum(axis=0)


def clip_fraction(
    logp_new: np.ndarray, logp_old: np.ndarray, advantages: np.ndarray, mask: np.ndarray
) -> float:
    """The fraction of response tokens whose clipped term is the minimum (they carry no gradient)."""
    log_ratio = np.where(mask, logp_new - logp_old, 0.0)
    a = advantages[:, None]
    clipped = ((a > 0) & (log_ratio > np.log1p(CLIP_EPS))) | ((a < 0) & (log_ratio < np.log1p(-CLIP_EPS)))
    return float(np.sum(clipped & mask) / mask.sum())


def evaluate(rng: np.random.Generator, params: dict[str, np.ndarray], samples: int) -> dict[str, Any]:
    """pass@k per prompt from `samples` samples each, and the mean lengths of right and wrong answers."""
    prompts = np.repeat(np.arange(len(PROMPTS)), samples)
    batch = sample_responses(rng, policy_log_probs(params), prompts)
    correct = rewards_of(batch).reshape(len(PROMPTS), samples)
    lengths = batch["lengths"].reshape(len(PROMPTS), samples)
    pass_k = np.array([[pass_at_k(samples, int(c), k) for k in KS] for c in correct.sum(axis=1)])
    right, wrong = correct == 1, correct == 0
    return {
        "pass_k": pass_k,
        "right_length": float(lengths[right].mean()) if right.any() else float("nan"),
        "wrong_length": float(lengths[wrong].mean()) if wrong.any() else float("nan"),
    }


def draw_groups(rng: np.random.Generator, log_probs: np.ndarray, dynamic: bool) -> tuple[dict[str, Any], int]:
    """GROUP responses per prompt, and how many responses were drawn to get them.

    With `dynamic` (DAPO's dynamic sampling), a group whose rewards are all equal is drawn again,
    up to DYNAMIC_TRIES times, so that more groups carry a learning signal; every draw is counted.
    """
    batch = sample_responses(rng, log_probs, np.repeat(np.arange(len(PROMPTS)), GROUP))
    drawn = batch["prompts"].size
    for _ in range(DYNAMIC_TRIES if dynamic else 0):
        rewards = rewards_of(batch).reshape(len(PROMPTS), GROUP)
        flat = np.flatnonzero(np.all(rewards == rewards[:, :1], axis=1))
        if flat.size == 0:
            break
        again = sample_responses(rng, log_probs, np.repeat(flat, GROUP))
        rows = (flat[:, None] * GROUP + np.arange(GROUP)).reshape(-1)
        for key in ("tokens", "mask", "lengths"):
            batch[key][rows] = again[key]
        drawn += again["prompts"].size
    return batch, drawn


def train(
    aggregation: str = "token",
    seed: int = SEED,
    samples: int = EVAL_SAMPLES,
    verbose: bool = False,
    recipe: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """GRPO from the starting policy; returns the evaluations at CHECKPOINTS and per-step statistics.

    Every step samples GROUP responses per prompt from the current policy, scores them with the
    checker, and takes EPOCHS gradient-ascent steps on the surrogate of that batch: GRPO's
    (`grpo_objective_grad` with `aggregation`), or with a `recipe` of RECIPES, `ratio_objective_grad`.
    """
    rng, eval_rng = np.random.default_rng(seed), np.random.default_rng(seed + 1000)
    params = initial_logits()
    statistics = ("all_right", "all_wrong", "clip", "entropy", "zero_gradient", "drawn")
    history: dict[str, Any] = {"evals": {}, "first_batch": None, **{key: [] for key in statistics}}
    name = aggregation if recipe is None else recipe["name"]
    for step in range(STEPS + 1):
        if step in CHECKPOINTS:
            history["evals"][step] = evaluate(eval_rng, params, samples)
            if verbose or step == STEPS:
                pass_1 = history["evals"][step]["pass_k"][:, 0].mean()
                print(f"  {name!r}, seed {seed}: step {step:3d}, pass@1 {pass_1:.3f}", flush=True)
        if step == STEPS:
            return history
        log_probs = policy_log_probs(params)
        batch, drawn = draw_groups(rng, log_probs, recipe is not None and recipe.get("dynamic", False))
        history["drawn"].append(drawn)
        history["entropy"].append(token_entropy(log_probs[_states(batch)], batch["mask"]))
        rewards = rewards_of(batch).reshape(len(PROMPTS), GROUP)
        advantages = group_advantages(rewards).reshape(-1)
        if history["first_batch"] is None:
            history["first_batch"] = rewards
        history["all_right"].append(float(np.mean(np.all(rewards == 1, axis=1))))
        history["all_wrong"].append(float(np.mean(np.all(rewards == 0, axis=1))))
        logp_old = token_log_probs(log_probs, batch)
        fractions, zeros = [], []
        learning = batch["mask"] & (advantages[:, None] != 0)  # tokens that an unclipped update moves
        for _ in range(EPOCHS):
            log_probs = policy_log_probs(params)
            logp_new = token_log_probs(log_probs, batch)
            fractions.append(clip_fraction(logp_new, logp_old, advantages, batch["mask"]))
            if recipe is None:
                grad = grpo_objective_grad(
                    logp_new, logp_old, advantages, batch["mask"], CLIP_EPS, aggregation
                )
            else:
                grad = ratio_objective_grad(
                    logp_new,
                    logp_old,
                    advantages,
                    batch["mask"],
                    recipe["method"],
                    CLIP_EPS,
                    recipe["clip_high"],
                )
            if learning.any():
                zeros.append(float(np.sum(learning & (grad == 0)) / learning.sum()))
            ascent_step(params, log_probs, batch, grad)
        history["clip"].append(float(np.mean(fractions[1:])))  # the first epoch is on-policy: rho = 1
        history["zero_gradient"].append(float(np.mean(zeros[1:])) if len(zeros) > 1 else 0.0)
    return history


def window_mean(values: list[float], step: int, width: int = 10) -> float:
    """The mean of `values` over the `width` steps up to `step` (the first `width` steps for step 0)."""
    start = max(0, min(step, len(values)) - width)
    return float(np.mean(values[start : start + width]))


def show_training(history: dict[str, Any]) -> None:
    """Effects 1 and 2, and the clip fraction: pass@k, groups without signal and clipping over training."""
    labkit.heading("GRPO ('token' aggregation): pass@k, groups with no signal, clip fraction")
    rows = []
    for step, evaluation in history["evals"].items():
        stats = [window_mean(history[key], step) for key in ("all_right", "all_wrong", "clip")]
        rows.append([step, *evaluation["pass_k"].mean(axis=0), sum(stats[:2]), *stats])
    headers = ["step", *(f"pass@{k}" for k in KS), "no signal", "all right", "all wrong", "clip fraction"]
    labkit.print_table(headers, rows, ["d", *[".3f"] * len(KS), ".2f", ".2f", ".2f", ".3f"])
    print(
        f"(pass@k: mean over the {len(PROMPTS)} prompts of the unbiased estimate from {EVAL_SAMPLES} samples"
    )
    print(" each; 'no signal': fraction of groups whose rewards are all equal, split into all right and all")
    print(" wrong, and the clip fraction over epochs 2-4: means over the 10 training steps up to the step)")
    labkit.heading(f"pass@1 and pass@{KS[-1]} per prompt, before and after training")
    first, last = history["evals"][CHECKPOINTS[0]]["pass_k"], history["evals"][CHECKPOINTS[-1]]["pass_k"]
    rows = [[PROMPTS[p], first[p, 0], last[p, 0], first[p, -1], last[p, -1]] for p in range(len(PROMPTS))]
    labkit.print_table(
        ["prompt", "pass@1 before", "after", f"pass@{KS[-1]} before", "after"],
        rows,
        ["", ".3f", ".3f", ".3f", ".3f"],
    )


def show_weights(rewards: np.ndarray) -> None:
    """Effect 3: how std normalisation reweights groups by their success rate."""
    labkit.heading(f"Std normalisation reweights prompts by difficulty (groups of G = {GROUP})")
    correct = np.arange(1, GROUP)
    groups = (np.arange(GROUP)[None, :] < correct[:, None]).astype(float)
    plain = np.abs(group_advantages(groups, normalize_std=False)).mean(axis=1)
    scaled = np.abs(group_advantages(groups, normalize_std=True)).mean(axis=1)
    rows = [[f"{c}/{GROUP}", a, b, b / a] for c, a, b in zip(correct, plain, scaled, strict=True)]
    labkit.print_table(
        ["correct", "mean |A| Dr. GRPO", "mean |A| GRPO", "factor 1/std"], rows, ["", ".3f", ".3f", ".2f"]
    )
    labkit.heading("The first training batch, prompt by prompt")
    plain = np.abs(group_advantages(rewards, normalize_std=False)).mean(axis=1)
    scaled = np.abs(group_advantages(rewards, normalize_std=True)).mean(axis=1)
    rows = [
        [PROMPTS[p], f"{int(rewards[p].sum())}/{GROUP}", plain[p], scaled[p]] for p in range(len(PROMPTS))
    ]
    labkit.print_table(["prompt", "correct", "weight Dr. GRPO", "weight GRPO"], rows, ["", "", ".3f", ".3f"])
    print("(weight: mean |advantage| of the group, i.e. how hard its responses push the policy)")


def mean_lengths(runs: list[dict[str, Any]], step: int, kind: str) -> float:
    """The mean length of `kind` ("wrong" or "right") answers at `step`, averaged over runs."""
    return float(np.mean([run["evals"][step][f"{kind}_length"] for run in runs]))


def show_lengths(runs: dict[str, list[dict[str, Any]]]) -> None:
    """Effect 4: mean lengths of wrong and right answers under each aggregation, same seeds and steps."""
    labkit.heading("Why: the weight of each token of two wrong answers (A = -1) at rho = 1, T = 8")
    mask = np.arange(LENGTH)[None, :] < np.array([[2], [6]])
    zeros = np.zeros(mask.shape)
    rows = []
    for aggregation in AGGREGATIONS:
        grad = grpo_objective_grad(zeros, zeros, np.array([-1.0, -1.0]), mask, CLIP_EPS, aggregation)
        rows.append([aggregation, -grad[0, 0], -grad[0].sum(), -grad[1, 0], -grad[1].sum()])
    labkit.print_table(
        ["aggregation", "per token, L = 2", "whole answer", "per token, L = 6", "whole answer"],
        rows,
        ["", ".4f", ".4f", ".4f", ".4f"],
    )
    print("(the push down on each token is -gradient: 'sequence' pushes each token of the short answer")
    print(" three times harder than each token of the long one)")
    labkit.heading("Length bias: mean length (tokens, EOS included) of wrong and right answers")
    rows = [
        [step, *(mean_lengths(runs[a], step, kind) for a in AGGREGATIONS for kind in ("wrong", "right"))]
        for step in CHECKPOINTS
    ]
    headers = ["step"] + [f"{a} {kind}" for a in AGGREGATIONS for kind in ("wrong", "right")]
    labkit.print_table(headers, rows, ["d", *[".2f"] * 6])
    final = np.array([[run["evals"][STEPS]["wrong_length"] for run in runs[a]] for a in AGGREGATIONS])
    longest = np.argmax(final, axis=0)
    rows = []
    for i, a in enumerate(AGGREGATIONS):
        pass_1 = np.mean([run["evals"][STEPS]["pass_k"][:, 0].mean() for run in runs[a]])
        grew = final[i] - np.array([run["evals"][0]["wrong_length"] for run in runs[a]])
        rows.append(
            [
                a,
                np.mean(grew),
                final[i].min(),
                final[i].max(),
                f"{np.sum(longest == i)}/{len(LENGTH_SEEDS)}",
                pass_1,
            ]
        )
    headers = [
        "aggregation",
        "wrong: growth",
        "lowest seed",
        "highest seed",
        "longest of the three",
        "pass@1",
    ]
    labkit.print_table(headers, rows, ["", "+.2f", ".2f", ".2f", "", ".3f"])
    print(
        f"(means over seeds {LENGTH_SEEDS[0]}-{LENGTH_SEEDS[-1]} and {LENGTH_SAMPLES} samples per prompt; every aggregation"
    )
    print(
        f" has the same seeds, {STEPS} steps of {EPOCHS} epochs and lr {LR}; growth: wrong answers' mean length at"
    )
    print(
        f" step {STEPS} minus at step 0; longest: the seeds in which its wrong answers are the longest at step {STEPS})"
    )


def seeds_mean(runs: list[dict[str, Any]], key: str, step: int) -> float:
    """`window_mean` of the statistic `key` at `step`, averaged over the runs (one per seed)."""
    return float(np.mean([window_mean(run[key], step) for run in runs]))


def final_pass(runs: list[dict[str, Any]]) -> np.ndarray:
    """pass@k for each k of KS at the last step, mean over prompts and runs."""
    return np.mean([run["evals"][STEPS]["pass_k"].mean(axis=0) for run in runs], axis=0)


def show_recipes(recipes: dict[str, list[dict[str, Any]]]) -> None:
    """Clip-higher and CISPO against the symmetric clip: entropy over training, pass@k, zero gradients."""
    names = [recipe["name"] for recipe in RECIPES if not recipe.get("dynamic")]
    labkit.heading(f"Entropy of the sampled tokens during training (mean over {len(RECIPE_SEEDS)} seeds)")
    rows = [
        [step, *(np.mean([run["entropy"][min(step, STEPS - 1)] for run in recipes[name]]) for name in names)]
        for step in CHECKPOINTS
    ]
    labkit.print_table(["step", *names], rows, ["d", *[".3f"] * len(names)])
    print(f"(token_entropy of the batch sampled at the step (at step {STEPS - 1} for {STEPS}), in nats;")
    print(f" clip_low {CLIP_EPS} everywhere, clip_high {CLIP_EPS} for 'symmetric', {CLIP_HIGH} otherwise)")
    labkit.heading(f"At step {STEPS}: pass@k, and the tokens that get no gradient")
    rows = []
    base = [run["entropy"][-10:] for run in recipes["symmetric"]]
    for name in names:
        runs = recipes[name]
        higher = sum(np.mean(run["entropy"][-10:]) > np.mean(b) for run, b in zip(runs, base, strict=True))
        zero = float(np.mean([np.mean(run["zero_gradient"]) for run in runs]))
        rows.append([name, *final_pass(runs), zero, f"{higher}/{len(runs)}" if name != "symmetric" else "-"])
    headers = ["recipe", *(f"pass@{k}" for k in KS), "zero-gradient tokens", "entropy above symmetric"]
    labkit.print_table(headers, rows, ["", *[".3f"] * len(KS), ".4f", ""])
    print(
        f"(means over seeds {RECIPE_SEEDS[0]}-{RECIPE_SEEDS[-1]}; zero-gradient tokens: the fraction of tokens with a"
    )
    print(
        " non-zero advantage whose gradient is exactly 0, epochs 2-4 of every step; entropy above symmetric:"
    )
    print(" the seeds whose last 10 steps have a higher mean entropy than the symmetric clip's, same seed)")


def show_dynamic(recipes: dict[str, list[dict[str, Any]]]) -> None:
    """Dynamic sampling against the same recipe without it: pass@1, groups with no signal, samples drawn."""
    plain, dynamic = recipes["symmetric"], recipes["dynamic"]
    labkit.heading(f"Dynamic sampling (all-equal groups drawn again, up to {DYNAMIC_TRIES} times)")
    rows = []
    for step in CHECKPOINTS:
        no_signal = [
            seeds_mean(runs, "all_right", step) + seeds_mean(runs, "all_wrong", step)
            for runs in (plain, dynamic)
        ]
        pass_1 = [
            np.mean([run["evals"][step]["pass_k"][:, 0].mean() for run in runs]) for runs in (plain, dynamic)
        ]
        drawn = float(np.mean([np.sum(run["drawn"][:step]) for run in dynamic]))
        rows.append([step, *pass_1, *no_signal, seeds_mean(dynamic, "drawn", step), drawn])
    headers = [
        "step",
        "pass@1 plain",
        "dynamic",
        "no signal plain",
        "dynamic",
        "drawn per step",
        "drawn in all",
    ]
    labkit.print_table(headers, rows, ["d", ".3f", ".3f", ".2f", ".2f", ".1f", ".0f"])
    plain_total = STEPS * GROUP * len(PROMPTS)
    dynamic_total = float(np.mean([np.sum(run["drawn"]) for run in dynamic]))
    ratio = dynamic_total / plain_total
    print(
        f"(means over {len(RECIPE_SEEDS)} seeds; 'no signal' and 'drawn per step' over the 10 steps up to the step;"
    )
    print(
        f" without dynamic sampling every step draws {GROUP * len(PROMPTS)} responses, {plain_total} in all;"
    )
    print(f" with it {dynamic_total:.0f}, {ratio:.2f} times as many)")


def first_token_policy(params: dict[str, np.ndarray], prompt: int) -> tuple[np.ndarray, np.ndarray]:
    """The logits of a prompt's first token, and each first token's exact value as its advantage.

    The value of first token a is the probability that the policy then completes the correct answer
    (0 unless a is the answer's first digit); `entropy_change` subtracts the baseline E_pi[A] itself.
    """
    log_probs = policy_log_probs(params)
    logits = params["shared"][0, BOS] + params["own"][prompt, 0, BOS]
    answer = answer_tokens(PROMPTS[prompt])
    rest = sum(log_probs[prompt, t, answer[t - 1], answer[t]] for t in range(1, len(answer)))
    advantages = np.zeros(VOCAB)
    advantages[answer[0]] = np.exp(rest)
    return logits, advantages


def entropy_of(logits: np.ndarray) -> float:
    """The entropy of softmax(logits), through `token_entropy` on a one-token batch."""
    return token_entropy(logits[None, None], np.ones((1, 1), dtype=bool))


def entropy_steps(params: dict[str, np.ndarray]) -> list[list[Any]]:
    """Rows (prompt, lr, step, entropy, predicted change, measured change) of exact steps on the first token."""
    rows = []
    for prompt in ENTROPY_PROMPTS:
        for lr in ENTROPY_LRS:
            logits, advantages = first_token_policy(params, prompt)
            for step in range(ENTROPY_STEPS):
                pi = np.exp(logits - logits.max())
                pi /= pi.sum()
                moved = logits + lr * pi * (advantages - pi @ advantages)
                predicted = entropy_change(logits, advantages, lr)
                measured = entropy_of(moved) - entropy_of(logits)
                rows.append([PROMPTS[prompt], lr, step, entropy_of(logits), predicted, measured])
                logits = moved
    return rows


def show_entropy_change(rows: list[list[Any]]) -> None:
    """entropy_change's first-order prediction against the change that one exact step makes."""
    labkit.heading("entropy_change: predicted and measured entropy change of exact steps on the first token")
    formats = ["", "g", "d", ".4f", "+.5f", "+.5f"]
    labkit.print_table(["prompt", "lr", "step", "entropy", "predicted", "measured"], rows, formats)
    print("(the first token's policy with each token's exact advantage, the probability of then completing")
    print(" the right answer; each step moves the logits by lr * pi * (A - E_pi[A]))")


def gspo_rows(rng: np.random.Generator) -> list[list[Any]]:
    """For responses of each length: the spread of each kind of ratio, and the fraction without gradient."""
    rows = []
    for length in GSPO_LENGTHS:
        log_ratio = rng.normal(0.0, GSPO_DRIFT, (GSPO_RESPONSES, length))
        old = np.full(log_ratio.shape, -1.0)
        advantages = np.where(np.arange(GSPO_RESPONSES) % 2 == 0, 1.0, -1.0)
        mask = np.ones(log_ratio.shape, dtype=bool)
        zero = {}
        for method, clips in (
            ("ppo", (CLIP_EPS, CLIP_HIGH)),
            ("gspo", (CLIP_EPS, CLIP_HIGH)),
            ("small", GSPO_CLIPS),
        ):
            grad = ratio_objective_grad(
                old + log_ratio, old, advantages, mask, "gspo" if method == "small" else method, *clips
            )
            zero[method] = float(np.mean(grad == 0))
        product = log_ratio.sum(axis=1)
        clipped = np.where(advantages > 0, product > np.log1p(CLIP_HIGH), product < np.log1p(-CLIP_EPS))
        spreads = (np.std(log_ratio), np.std(log_ratio.mean(axis=1)), np.std(product))
        rows.append([length, *spreads, zero["ppo"], zero["gspo"], zero["small"], float(np.mean(clipped))])
    return rows


def show_gspo(rows: list[list[Any]]) -> None:
    """GSPO's sequence ratio against token ratios on responses of very different lengths."""
    labkit.heading("GSPO against token ratios, responses of very different lengths")
    headers = ["length", "std log rho", "std log s (GSPO)", "std log product", "zero grad 'ppo'"]
    headers += ["'gspo'", "'gspo' 3e-4/4e-4", "product clipped"]
    labkit.print_table(headers, rows, ["d", ".4f", ".4f", ".4f", ".4f", ".4f", ".4f", ".4f"])
    print(
        f"({GSPO_RESPONSES} responses per length, each token's log-ratio drawn from N(0, {GSPO_DRIFT}**2), advantages +1 and"
    )
    print(
        f" -1 in turn; clip range [{1 - CLIP_EPS:g}, {1 + CLIP_HIGH:g}] unless stated; zero grad: the fraction of tokens"
    )
    print(
        " whose ratio_objective_grad is exactly 0; product clipped: the responses a product ratio would clip)"
    )


def plot_all(plt: Any, folder: Path, history: dict[str, Any], runs: dict[str, list[dict[str, Any]]]) -> None:
    """The figures: pass@k, signal and clipping over training; the reweighting; the lengths."""
    steps = list(history["evals"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, k in enumerate(KS):
        curve = [history["evals"][s]["pass_k"][:, i].mean() for s in steps]
        left.plot(steps, curve, marker="o", label=f"pass@{k}")
    left.set(xlabel="training step", ylabel="mean over prompts", title="pass@k during GRPO")
    left.legend()
    right.plot(np.add(history["all_right"], history["all_wrong"]), label="groups with all-equal rewards")
    right.plot(history["all_wrong"], label="... all wrong", linestyle="--")
    right.plot(history["clip"], label="clip fraction (epochs 2-4)")
    right.set(xlabel="training step", ylabel="fraction", title="No signal, and clipping")
    right.legend()
    labkit.save_figure(fig, folder, "lab5_grpo_training")
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    correct = np.arange(1, GROUP)
    groups = (np.arange(GROUP)[None, :] < correct[:, None]).astype(float)
    for normalize, label in ((False, "Dr. GRPO: r - mean"), (True, "GRPO: (r - mean) / std")):
        weight = np.abs(group_advantages(groups, normalize_std=normalize)).mean(axis=1)
        ax.plot(correct / GROUP, weight, marker="o", label=label)
    ax.set(xlabel="fraction of the group correct", ylabel="mean |advantage|", title="Weight of a group")
    ax.legend()
    labkit.save_figure(fig, folder, "lab5_grpo_weights")
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for aggregation in AGGREGATIONS:
        lengths = [mean_lengths(runs[aggregation], s, "wrong") for s in CHECKPOINTS]
        ax.plot(CHECKPOINTS, lengths, marker="o", label=f"'{aggregation}'")
    ax.set(xlabel="training step", ylabel="mean length of wrong answers", title="Length bias")
    ax.legend()
    labkit.save_figure(fig, folder, "lab5_grpo_lengths")


def plot_third_round(
    plt: Any,
    folder: Path,
    recipes: dict[str, list[dict[str, Any]]],
    entropy_rows: list[list[Any]],
    length_rows: list[list[Any]],
) -> None:
    """The third round's figures: entropy over training, entropy_change, GSPO's ratios, dynamic sampling."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, runs in recipes.items():
        if name != "dynamic":
            left.plot(np.mean([run["entropy"] for run in runs], axis=0), label=name)
    left.set(
        xlabel="training step", ylabel="entropy (nats)", title=f"Entropy, mean of {len(RECIPE_SEEDS)} seeds"
    )
    left.legend()
    predicted, measured = (
        np.array([row[4] for row in entropy_rows]),
        np.array([row[5] for row in entropy_rows]),
    )
    right.scatter(predicted, measured)
    line = [min(predicted.min(), measured.min()), max(predicted.max(), measured.max())]
    right.plot(line, line, linestyle="--", color="grey", label="measured = predicted")
    right.set(xlabel="entropy_change (first order)", ylabel="measured change", title="One exact step")
    right.legend()
    labkit.save_figure(fig, folder, "lab5_grpo_entropy")
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    lengths = [row[0] for row in length_rows]
    labels = ("token ratios ('ppo')", "GSPO, same range", "GSPO, 3e-4 / 4e-4", "product of the ratios")
    for column, label in enumerate(labels, start=4):
        left.plot(lengths, [row[column] for row in length_rows], marker="o", label=label)
    left.set(
        xscale="log", xlabel="response length (tokens)", ylabel="fraction clipped", title="Ratios and length"
    )
    left.legend()
    for name in ("symmetric", "dynamic"):
        runs = recipes[name]
        drawn = np.mean([np.cumsum(run["drawn"]) for run in runs], axis=0)
        curve = [np.mean([run["evals"][step]["pass_k"][:, 0].mean() for run in runs]) for step in CHECKPOINTS]
        right.plot([0, *drawn[[step - 1 for step in CHECKPOINTS[1:]]]], curve, marker="o", label=name)
    right.set(xlabel="responses drawn", ylabel="pass@1", title="Dynamic sampling and its cost")
    right.legend()
    labkit.save_figure(fig, folder, "lab5_grpo_third_round")


def main(argv: list[str] | None = None) -> None:
    """Train the policy with GRPO under each aggregation and print the effects."""
    args = labkit.demo_arguments("Lab 5: GRPO with verifiable rewards on arithmetic prompts.", argv)
    print(f"Prompts {', '.join(PROMPTS)}: {GROUP} samples each per step, {STEPS} steps of {EPOCHS} epochs.")
    print("Training with aggregation='token' (evaluated with pass@k):", flush=True)
    history = train("token", verbose=True)
    print("Training with each aggregation and seed for the length comparison:", flush=True)
    runs = {a: [train(a, seed, LENGTH_SAMPLES) for seed in LENGTH_SEEDS] for a in AGGREGATIONS}
    print("Training each recipe of the third round over seeds:", flush=True)
    recipes = {
        r["name"]: [train(seed=seed, samples=LENGTH_SAMPLES, recipe=r) for seed in RECIPE_SEEDS]
        for r in RECIPES
    }
    show_training(history)
    show_weights(history["first_batch"])
    show_lengths(runs)
    show_recipes(recipes)
    entropy_rows = entropy_steps(initial_logits())
    show_entropy_change(entropy_rows)
    length_rows = gspo_rows(np.random.default_rng(SEED))
    show_gspo(length_rows)
    show_dynamic(recipes)
    plt = labkit.plotting() if args.plots else None
    if plt is not None:
        plot_all(plt, args.plots, history, runs)
        plot_third_round(plt, args.plots, recipes, entropy_rows, length_rows)


if __name__ == "__main__":
    labkit.run_demo(main)
