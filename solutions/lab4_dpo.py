"""Lab 4: Direct preference optimisation (DPO), the "SFT + DPO" route that skips the RL loop.

RLHF fits a reward model to human preferences, then runs reinforcement learning to maximise
`E_pi[r] - beta * KL(pi || pi_ref)`. That objective has a closed-form maximiser,

    pi*(y) = pi_ref(y) * exp(r(y) / beta) / Z,

and reading it backwards gives the reward in terms of the policy:
`r(y) = beta * log(pi*(y) / pi_ref(y)) + beta * log Z`. The constant `beta * log Z` is the same for
every response to a prompt, so it cancels in the Bradley–Terry preference model, which only sees
reward differences:

    P(chosen ≻ rejected) = sigmoid(beta * [log pi(c)/pi_ref(c) - log pi(r)/pi_ref(r)]).

DPO therefore trains the policy itself as a Bradley–Terry classifier on the preference pairs: no
separate reward model, no sampling, no RL. The reward model is still there, implicitly:
`beta * log(pi / pi_ref)`. In this lab you implement the DPO loss, the implicit reward and the
gradient of the loss for a policy over K candidate responses, then the DPO family (DPO,
conservative DPO, IPO and SLiC-HF's hinge) as losses of the log-ratio margin. The demo checks that
DPO lands where RLHF would, on the same preference data, and shows where it does not: with
preferences that never disagree DPO's margins grow without bound (IPO's and the hinge's stop), and
a response that no pair compares keeps its reference logit. Last come two losses that drop one of
DPO's ingredients: SimPO drops the reference model and scores a response by its mean
log-probability per token (the demo shows what that does to DPO's preference for long responses),
and KTO drops the pairs, learning from thumbs-up / thumbs-down labels (the demo splits the same
comparisons into such labels and measures how close to the optimum each loss gets).

Every invalid input raises `ValueError` with a message that names the offending argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

import labkit
import preference_kit as pk


def dpo_loss(
    policy_chosen_logps: ArrayLike,
    policy_rejected_logps: ArrayLike,
    ref_chosen_logps: ArrayLike,
    ref_rejected_logps: ArrayLike,
    beta: float,
) -> float:
    """Return the sigmoid DPO loss, averaged over preference pairs.

    Pair `i` says a labeller preferred a chosen response to a rejected one. Each `*_logps` entry is
    the log-probability of that whole response (for an LLM: the sum of its tokens' log-probs given
    the prompt) under the policy being trained or under the frozen reference (usually the SFT
    model). The margin of pair `i` is how much more the policy has raised the chosen response than
    the rejected one, each measured against the reference:

        m_i = (policy_chosen_logps[i] - ref_chosen_logps[i])
              - (policy_rejected_logps[i] - ref_rejected_logps[i])

    and the loss is the Bradley–Terry negative log-likelihood with implicit reward
    `beta * log(pi / pi_ref)`:

        loss = mean_i  -log sigmoid(beta * m_i)

    Conventions the grader checks:

    - Policy minus reference inside each bracket; chosen bracket minus rejected bracket.
    - `beta` multiplies the whole margin, reference terms included.
    - The mean over pairs, not the sum.
    - Stable for margins up to ±1e6 with no warning: write `-log sigmoid(x)` as
      `log(1 + exp(-x)) = np.logaddexp(0, -x)`. A huge positive `beta * m` gives a loss near 0,
      a huge negative one a loss near `-beta * m` (large but finite).
    - When the policy equals the reference every margin is 0 and the loss is exactly
      `log 2 ≈ 0.6931`. Swapping chosen and rejected turns `m` into `-m`, and since
      `log(1 + exp(-x)) - log(1 + exp(x)) = -x`, the loss minus the swapped loss is exactly
      `-beta * mean(m)`.

    Args:
        policy_chosen_logps: `log pi(chosen_i)` under the policy, shape (n,).
        policy_rejected_logps: `log pi(rejected_i)` under the policy, shape (n,).
        ref_chosen_logps: `log pi_ref(chosen_i)` under the reference, shape (n,).
        ref_rejected_logps: `log pi_ref(rejected_i)` under the reference, shape (n,).
        beta: Strength of the implicit KL penalty, > 0. A large `beta` keeps the optimum close to
            the reference; a small one lets it move far on little evidence.

    Returns:
        The mean loss as a Python float (>= 0).

    Raises:
        ValueError: If the four arrays differ in shape (lengths differ), if there is no pair, or
            if `beta` is not a finite number > 0. The message names the argument (e.g.
            "ref_chosen_logps must have the shape of policy_chosen_logps"); the grader checks
            that it does.

    Example:
        >>> dpo_loss([-1.0], [-2.0], [-1.0], [-2.0], beta=0.1)  # policy == reference
        0.6931471805599453
        >>> round(dpo_loss([-0.5], [-3.0], [-1.0], [-2.0], beta=1.0), 4)  # m = 0.5 + 1.0
        0.2014
    """
    ### BEGIN SOLUTION
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a finite number > 0, got {beta}")
    named = {
        "policy_chosen_logps": policy_chosen_logps,
        "policy_rejected_logps": policy_rejected_logps,
        "ref_chosen_logps": ref_chosen_logps,
        "ref_rejected_logps": ref_rejected_logps,
    }
    arrays = {name: np.asarray(value, dtype=np.float64) for name, value in named.items()}
    shape = arrays["policy_chosen_logps"].shape
    for name, array in arrays.items():
        if array.shape != shape:
            raise ValueError(f"{name} must have the shape of policy_chosen_logps {shape}, got {array.shape}")
    if arrays["policy_chosen_logps"].size == 0:
        raise ValueError("policy_chosen_logps must hold at least one pair, got none")
    margin = (arrays["policy_chosen_logps"] - arrays["ref_chosen_logps"]) - (
        arrays["policy_rejected_logps"] - arrays["ref_rejected_logps"]
    )
    return float(np.mean(np.logaddexp(0.0, -beta * margin)))
    ### END SOLUTION


def implicit_reward(logits: ArrayLike, ref_logits: ArrayLike, beta: float) -> np.ndarray:
    """Return the reward a policy implicitly assigns to each response: `beta * log(pi / pi_ref)`.

    With `pi = softmax(logits)` and `pi_ref = softmax(ref_logits)` over the same K responses:

        r_hat = beta * (log_softmax(logits) - log_softmax(ref_logits))

    Why this is "the" reward: the KL-regularised optimum for a reward `r` is
    `pi*(y) = pi_ref(y) * exp(r(y) / beta) / Z`, so `implicit_reward` of `pi*` equals
    `r - beta * log Z`, the true reward up to one additive constant shared by all K responses.
    Bradley–Terry preferences depend only on reward differences, so that constant is invisible:
    a DPO-trained policy carries its reward model inside it.

    Conventions the grader checks: policy minus reference; `beta` multiplies the difference of
    log-probabilities, not of raw logits (`beta * (logits - ref_logits)` is off by a constant,
    and the grader compares exact values); the log-softmax is stable,
    `z - max(z) - log(sum(exp(z - max(z))))`, so large logits (hundreds or thousands) give
    finite results with no warning. A policy equal to the reference has implicit reward exactly
    0 everywhere.

    Args:
        logits: Logits of the policy, shape (K,), K >= 1.
        ref_logits: Logits of the frozen reference policy, shape (K,).
        beta: The DPO/KL coefficient, > 0.

    Returns:
        The implicit rewards, float64 array of shape (K,).

    Raises:
        ValueError: If the shapes differ, if `logits` is not a non-empty 1-D array, or if `beta`
            is not a finite number > 0. The message names the argument (e.g. "beta must be
            > 0"); the grader checks that it does.

    Example:
        >>> implicit_reward([1.0, 0.0], [0.0, 0.0], beta=2.0).round(4)  # 2 * log([0.731, 0.269] / 0.5)
        array([ 0.7598, -1.2402])
    """
    ### BEGIN SOLUTION
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a finite number > 0, got {beta}")
    z = np.asarray(logits, dtype=np.float64)
    z_ref = np.asarray(ref_logits, dtype=np.float64)
    if z.ndim != 1 or z.size == 0:
        raise ValueError(f"logits must be a non-empty 1-D array, got shape {z.shape}")
    if z_ref.shape != z.shape:
        raise ValueError(f"ref_logits must have the shape of logits {z.shape}, got {z_ref.shape}")
    shifted = z - z.max()
    shifted_ref = z_ref - z_ref.max()
    log_pi = shifted - np.log(np.sum(np.exp(shifted)))
    log_ref = shifted_ref - np.log(np.sum(np.exp(shifted_ref)))
    return beta * (log_pi - log_ref)
    ### END SOLUTION


def dpo_gradient(
    logits: ArrayLike, ref_logits: ArrayLike, chosen: ArrayLike, rejected: ArrayLike, beta: float
) -> np.ndarray:
    """Return the gradient of the mean DPO loss with respect to the policy's logits.

    The policy is `pi = softmax(logits)` over K responses, the reference `pi_ref =
    softmax(ref_logits)` is frozen, and pair `i` says response `chosen[i]` was preferred to
    response `rejected[i]`. The loss is `dpo_loss` on these pairs:

        L = mean_i -log sigmoid(beta * m_i),
        m_i = (log pi(c_i) - log pi_ref(c_i)) - (log pi(r_i) - log pi_ref(r_i)).

    Derivation. The reference terms do not depend on `logits`: they are constants that only shift
    the margin. Since `log pi(y) = logits[y] - logsumexp(logits)`, `d log pi(y) / d logits =
    onehot(y) - pi`, so `d m_i / d logits = (onehot(c_i) - pi) - (onehot(r_i) - pi) =
    onehot(c_i) - onehot(r_i)`: the softmax baseline `pi` cancels between the two terms. With
    `d/dx [-log sigmoid(x)] = -sigmoid(-x)` the chain rule gives

        dL/dlogits = -(beta / n) * sum_i sigmoid(-beta * m_i) * (onehot(c_i) - onehot(r_i)).

    Each pair pushes its chosen logit up and its rejected logit down, weighted by
    `sigmoid(-beta * m_i)`: the probability the implicit reward model currently gives to the
    *wrong* order (1/2 when the policy equals the reference, near 0 once the pair is learned).

    Conventions the grader checks: the gradient of the *mean* (divide by n); `beta` both scales the
    margin and multiplies the result; pairs that share a response add up (a response index may
    appear many times in `chosen` or `rejected`); `sigmoid(-x)` is computed stably
    (`np.exp(-np.logaddexp(0, x))`), so huge margins (up to ±1e6) give finite values without
    warnings; the entries sum to 0 (adding a constant to every logit leaves the policy unchanged);
    a pair with `chosen[i] == rejected[i]` contributes nothing.

    Args:
        logits: Logits of the policy, shape (K,).
        ref_logits: Logits of the frozen reference policy, shape (K,).
        chosen: Index in [0, K) of the preferred response of every pair, ints (n,).
        rejected: Index in [0, K) of the other response of every pair, ints (n,).
        beta: The DPO/KL coefficient, > 0.

    Returns:
        `dL/dlogits`, float64 array of shape (K,).

    Raises:
        ValueError: If `logits` and `ref_logits` differ in shape, if `chosen` and `rejected`
            differ in length, if n = 0, if an index is not an integer in [0, K), or if `beta`
            is not a finite number > 0. The message names the argument (e.g. "rejected must
            hold indices in [0, K)"); the grader checks that it does. If you call your own
            `implicit_reward`, its errors (naming `logits`, `ref_logits` or `beta`) pass through.

    Example:
        >>> dpo_gradient([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0], [1], beta=1.0)  # sigmoid(0) = 1/2
        array([-0.5,  0.5,  0. ])
    """
    ### BEGIN SOLUTION
    rewards = implicit_reward(logits, ref_logits, beta)
    num_responses = rewards.size
    named = {"chosen": np.asarray(chosen), "rejected": np.asarray(rejected)}
    for name, index in named.items():
        if index.ndim != 1:
            raise ValueError(f"{name} must be a 1-D array of indices, got shape {index.shape}")
    if named["rejected"].shape != named["chosen"].shape:
        raise ValueError(
            f"rejected must have the length of chosen ({named['chosen'].size}), got {named['rejected'].size}"
        )
    if named["chosen"].size == 0:
        raise ValueError("chosen must hold at least one pair, got none")
    for name, index in named.items():
        if not np.issubdtype(index.dtype, np.integer):
            raise ValueError(f"{name} must hold integer indices, got dtype {index.dtype}")
        outside = index[(index < 0) | (index >= num_responses)]
        if outside.size:
            raise ValueError(f"{name} must hold indices in [0, {num_responses}), got {outside[0]}")
    scaled_margin = rewards[named["chosen"]] - rewards[named["rejected"]]
    p_wrong = np.exp(-np.logaddexp(0.0, scaled_margin))
    push = np.bincount(named["rejected"], weights=p_wrong, minlength=num_responses) - np.bincount(
        named["chosen"], weights=p_wrong, minlength=num_responses
    )
    return beta * push / named["chosen"].size
    ### END SOLUTION


def dpo_family_loss(
    margins: ArrayLike, beta: float, kind: str = "sigmoid", label_smoothing: float = 0.0
) -> float:
    """Return an offline preference loss of the DPO family, averaged over pairs.

    DPO, IPO and SLiC-HF's hinge all train the policy on the same quantity, the log-ratio margin
    of each pair (the `m_i` of `dpo_loss`, called `h_i` here):

        h_i = (log pi(chosen_i) - log pi_ref(chosen_i)) - (log pi(rejected_i) - log pi_ref(rejected_i))

    They differ in what they do with it:

    - `"sigmoid"` (DPO; conservative DPO when `label_smoothing` = eps > 0):
      `-(1 - eps) * log sigmoid(beta * h) - eps * log sigmoid(-beta * h)`. Conservative DPO
      assumes each label is flipped with probability eps, so the chosen-first term gets weight
      `1 - eps` and the swapped order weight `eps`. With eps = 0 this is `dpo_loss` on the same
      margins; with eps > 0 it is minimised at the finite margin `log((1 - eps) / eps) / beta`.
    - `"ipo"` (Azar et al. 2023, with their tau = `beta`): `(h - 1 / (2 * beta))**2`, a regression
      of every margin onto the target `1 / (2 * beta)`, where it is minimised.
    - `"hinge"` (SLiC-HF): `max(0, 1 - beta * h)`, zero once `h >= 1 / beta`.

    Conventions the grader checks:

    - The mean over pairs, not the sum; the result is a Python float.
    - eps multiplies the term of the *swapped* order, `-log sigmoid(-beta * h)`, and `1 - eps`
      the term of the labelled order; `label_smoothing` is only for `"sigmoid"`.
    - IPO's target is `1 / (2 * beta)`, not `1 / beta`; the hinge's `beta` multiplies `h`.
    - Stable for `|beta * h|` up to 1e6 with no warning: write `-log sigmoid(x)` as
      `np.logaddexp(0, -x)`.

    Args:
        margins: The log-ratio margins `h_i`, a 1-D array of n >= 1 floats.
        beta: The KL coefficient, > 0 (for `"ipo"`, the tau of Azar et al.).
        kind: `"sigmoid"`, `"ipo"` or `"hinge"`.
        label_smoothing: eps, the assumed probability that a label is flipped, in [0, 0.5);
            must be 0 unless `kind` is `"sigmoid"`.

    Returns:
        The mean loss as a Python float (>= 0).

    Raises:
        ValueError: If `kind` is unknown, if `beta` is not a finite number > 0, if
            `label_smoothing` is outside [0, 0.5) or non-zero with `"ipo"` or `"hinge"`, or if
            `margins` is not a 1-D array with at least one pair. The message names the argument
            (e.g. "label_smoothing must be 0 for kind='ipo'"); the grader checks that it does.

    Example:
        >>> round(dpo_family_loss([0.0], beta=0.5), 4)  # log 2, as for dpo_loss at pi = pi_ref
        0.6931
        >>> dpo_family_loss([1.0, 3.0], beta=0.5, kind="ipo")  # target 1 / (2 * 0.5) = 1
        2.0
        >>> dpo_family_loss([1.0, 3.0], beta=0.5, kind="hinge")  # mean of 0.5 and 0
        0.25
    """
    ### BEGIN SOLUTION
    if kind not in ("sigmoid", "ipo", "hinge"):
        raise ValueError(f"kind must be 'sigmoid', 'ipo' or 'hinge', got {kind!r}")
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a finite number > 0, got {beta}")
    if not 0.0 <= label_smoothing < 0.5:
        raise ValueError(f"label_smoothing must be in [0, 0.5), got {label_smoothing}")
    if kind != "sigmoid" and label_smoothing != 0:
        raise ValueError(f"label_smoothing must be 0 for kind={kind!r}, got {label_smoothing}")
    h = np.asarray(margins, dtype=np.float64)
    if h.ndim != 1 or h.size == 0:
        raise ValueError(f"margins must be a 1-D array with at least one pair, got shape {h.shape}")
    if kind == "ipo":
        return float(np.mean((h - 1.0 / (2.0 * beta)) ** 2))
    if kind == "hinge":
        return float(np.mean(np.maximum(0.0, 1.0 - beta * h)))
    eps = label_smoothing
    return float(np.mean((1.0 - eps) * np.logaddexp(0.0, -beta * h) + eps * np.logaddexp(0.0, beta * h)))
    ### END SOLUTION


def dpo_family_loss_grad(
    margins: ArrayLike, beta: float, kind: str = "sigmoid", label_smoothing: float = 0.0
) -> np.ndarray:
    """Return the gradient of `dpo_family_loss` with respect to the margins.

    With eps = `label_smoothing` and n pairs, the derivative of each pair's term divided by n:

    - `"sigmoid"`: `(beta / n) * (-(1 - eps) * sigmoid(-beta * h) + eps * sigmoid(beta * h))`,
      from `d/dx [-log sigmoid(x)] = -sigmoid(-x)`.
    - `"ipo"`: `(2 / n) * (h - 1 / (2 * beta))`.
    - `"hinge"`: `-beta / n` where `1 - beta * h > 0`, and 0 elsewhere, the kink
      `beta * h = 1` included (there the loss stops decreasing: a pair already at the margin
      `1 / beta` is left alone).

    To train a policy, chain it through the margins: for a policy over K responses
    `d h_i / d logits = onehot(chosen_i) - onehot(rejected_i)` (see `dpo_gradient`).

    Conventions the grader checks: the mean's `1 / n` is included; the result is a float64 array
    of shape (n,); `sigmoid(x)` is computed stably (`np.exp(-np.logaddexp(0, -x))`), so
    `|beta * h|` up to 1e6 gives finite values with no warning; the same argument checks as
    `dpo_family_loss`.

    Args:
        margins: The log-ratio margins `h_i`, a 1-D array of n >= 1 floats.
        beta: The KL coefficient, > 0.
        kind: `"sigmoid"`, `"ipo"` or `"hinge"`.
        label_smoothing: eps in [0, 0.5); must be 0 unless `kind` is `"sigmoid"`.

    Returns:
        `d loss / d margins`, float64 array of shape (n,).

    Raises:
        ValueError: In the cases of `dpo_family_loss` (an unknown `kind`; `beta` not a finite
            number > 0; `label_smoothing` outside [0, 0.5) or non-zero with `"ipo"` or
            `"hinge"`; `margins` not 1-D or empty). The message names the argument; the grader
            checks that it does.

    Example:
        >>> dpo_family_loss_grad([0.0, 0.0], beta=1.0)  # -(1 / 2) * sigmoid(0)
        array([-0.25, -0.25])
        >>> dpo_family_loss_grad([1.0, 2.0, 3.0], beta=0.5, kind="hinge")  # the kink h = 2 gets 0
        array([-0.16666667,  0.        ,  0.        ])
    """
    ### BEGIN SOLUTION
    dpo_family_loss(margins, beta, kind, label_smoothing)  # the same argument checks
    h = np.asarray(margins, dtype=np.float64)
    n = h.size
    if kind == "ipo":
        return 2.0 * (h - 1.0 / (2.0 * beta)) / n
    if kind == "hinge":
        return np.where(1.0 - beta * h > 0.0, -beta / n, 0.0)
    eps = label_smoothing
    sigmoid_minus = np.exp(-np.logaddexp(0.0, beta * h))
    sigmoid_plus = np.exp(-np.logaddexp(0.0, -beta * h))
    return beta * (-(1.0 - eps) * sigmoid_minus + eps * sigmoid_plus) / n
    ### END SOLUTION


def simpo_loss(
    chosen_logps: ArrayLike,
    rejected_logps: ArrayLike,
    chosen_lengths: ArrayLike,
    rejected_lengths: ArrayLike,
    beta: float = 2.0,
    gamma: float = 0.5,
) -> float:
    """Return the SimPO loss, averaged over preference pairs: DPO without a reference model.

    SimPO (Meng et al. 2024) drops `pi_ref` and uses the *length-normalised* log-probability of a
    response, its mean log-probability per token, as the implicit reward, and asks the chosen
    response to beat the rejected one by a target margin `gamma`:

        x_i = beta * (chosen_logps[i] / chosen_lengths[i] - rejected_logps[i] / rejected_lengths[i]) - gamma
        loss = mean_i  -log sigmoid(x_i)

    `chosen_logps[i]` is the summed log-probability of pair `i`'s chosen response (the sum over
    its tokens, as in `dpo_loss`) and `chosen_lengths[i]` its number of tokens; the same for the
    rejected response. Dividing by the length removes DPO's pull towards long responses: a
    summed log-probability grows (in magnitude) with every token, a mean one does not.

    Conventions the grader checks:

    - Each response's summed log-probability is divided by its *own* length before the
      difference; chosen minus rejected.
    - `beta` multiplies the difference of the normalised log-probabilities, and `gamma` is
      subtracted *after* that: `beta * diff - gamma`, not `beta * (diff - gamma)`. The loss is
      `log 2` exactly when `beta * diff == gamma`.
    - With equal lengths `L` everywhere and `gamma = 0` the loss is `dpo_loss` of the summed
      log-probabilities with the reference terms set to 0 and `beta / L` for `beta` (with
      `L = 1`, DPO's sigmoid loss itself, minus the reference).
    - Multiplying a response's summed log-probability and its length by the same factor leaves
      the loss unchanged.
    - The mean over pairs, not the sum; it decreases as `chosen_logps` grows and increases as
      `rejected_logps` grows.
    - Stable for `|beta * diff|` up to 1e6 with no warning: write `-log sigmoid(x)` as
      `np.logaddexp(0, -x)`.
    - Lengths are token counts: integers >= 1. A float that is a whole number (`3.0`) is a
      valid length.

    Args:
        chosen_logps: Summed log-probability of each chosen response under the policy, shape (n,).
        rejected_logps: Summed log-probability of each rejected response, shape (n,).
        chosen_lengths: Number of tokens of each chosen response, integers >= 1, shape (n,).
        rejected_lengths: Number of tokens of each rejected response, integers >= 1, shape (n,).
        beta: Scale of the reward, a finite number > 0 (SimPO uses 2 to 2.5).
        gamma: Target reward margin, a finite number >= 0 (SimPO uses about 0.5 to 1.5).

    Returns:
        The mean loss as a Python float (>= 0).

    Raises:
        ValueError: If the four arrays differ in length, if there is no pair, if a length is not
            an integer >= 1 (an integral float is accepted), if `beta` is not a finite number
            > 0, or if `gamma` is not a finite number >= 0. The message names the argument (e.g.
            "rejected_lengths must hold integers >= 1"); the grader checks that it does.

    Example:
        >>> round(simpo_loss([-4.0], [-4.0], [4], [2], beta=2.0, gamma=0.0), 4)  # -1 vs -2 per token
        0.1269
        >>> round(simpo_loss([-2.0], [-3.0], [1], [1], beta=0.5, gamma=0.5), 4)  # beta * 1 == gamma
        0.6931
    """
    ### BEGIN SOLUTION
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"beta must be a finite number > 0, got {beta}")
    if not (np.isfinite(gamma) and gamma >= 0):
        raise ValueError(f"gamma must be a finite number >= 0, got {gamma}")
    named = {
        "chosen_logps": chosen_logps,
        "rejected_logps": rejected_logps,
        "chosen_lengths": chosen_lengths,
        "rejected_lengths": rejected_lengths,
    }
    arrays = {name: np.asarray(value) for name, value in named.items()}
    shape = arrays["chosen_logps"].shape
    if len(shape) != 1:
        raise ValueError(f"chosen_logps must be a 1-D array, got shape {shape}")
    for name, array in arrays.items():
        if array.shape != shape:
            raise ValueError(f"{name} must have the length of chosen_logps {shape}, got {array.shape}")
    if shape[0] == 0:
        raise ValueError("chosen_logps must hold at least one pair, got none")
    for name in ("chosen_lengths", "rejected_lengths"):
        lengths = arrays[name]
        numeric = lengths.dtype.kind in "iuf"
        if not (numeric and np.all(np.isfinite(lengths)) and np.all(lengths == np.floor(lengths))):
            raise ValueError(f"{name} must hold integers >= 1 (token counts), got {lengths}")
        if np.any(lengths < 1):
            raise ValueError(f"{name} must hold integers >= 1 (token counts), got {lengths}")
    chosen_reward = arrays["chosen_logps"].astype(np.float64) / arrays["chosen_lengths"]
    rejected_reward = arrays["rejected_logps"].astype(np.float64) / arrays["rejected_lengths"]
    return float(np.mean(np.logaddexp(0.0, -(beta * (chosen_reward - rejected_reward) - gamma))))
    ### END SOLUTION


def kto_loss(
    policy_logps: ArrayLike,
    ref_logps: ArrayLike,
    desirable: ArrayLike,
    beta: float = 0.1,
    kl_ref: float = 0.0,
    lambda_d: float = 1.0,
    lambda_u: float = 1.0,
) -> float:
    """Return the KTO loss of unpaired examples, each labelled desirable or undesirable.

    KTO (Ethayarajh et al. 2024) needs no pairs: each example is one response with a thumbs-up
    (`desirable[i]` True) or a thumbs-down (False). Its log-ratio `r_i = policy_logps[i] -
    ref_logps[i]` is compared with a reference point `z0 = kl_ref` (an estimate of
    `KL(pi || pi_ref)`, a constant here) through a sigmoid "value":

        v_i = lambda_d * sigmoid(beta * (r_i - z0))    if desirable[i]
        v_i = lambda_u * sigmoid(beta * (z0 - r_i))    otherwise
        loss = mean_i (lambda_i - v_i)

    where `lambda_i` is the example's own weight (`lambda_d` for a desirable example, `lambda_u`
    for an undesirable one). A desirable example is pushed above the reference point, an
    undesirable one below it; `lambda_d` and `lambda_u` rebalance the two kinds when one is more
    frequent than the other (the paper keeps `lambda_d * n_d / (lambda_u * n_u)` in [1, 4/3]).

    Conventions the grader checks:

    - Policy minus reference in `r`; the reference point is subtracted from `r` for desirable
      examples and `r` from the reference point for undesirable ones; only `r - z0` matters.
    - Each example costs `lambda_i - v_i`, between 0 and its own `lambda_i`: a desirable example
      costs 0 as `r - z0 -> +inf` and `lambda_d` as `r - z0 -> -inf`, an undesirable one the
      other way round, and every example costs `lambda_i / 2` at `r == z0`.
    - The mean over all examples (not one mean per kind): the loss of two batches joined is the
      size-weighted mean of their losses. It decreases as a desirable example's `r` grows and
      increases as an undesirable example's `r` grows.
    - Stable for `|beta * (r - z0)|` up to 1e6 with no warning: compute `lambda - lambda *
      sigmoid(x) = lambda * sigmoid(-x)` with `sigmoid(x) = np.exp(-np.logaddexp(0, -x))`.

    Args:
        policy_logps: Log-probability of each response under the policy, shape (n,).
        ref_logps: Log-probability of each response under the frozen reference, shape (n,).
        desirable: Booleans, shape (n,): True for a thumbs-up, False for a thumbs-down.
        beta: Scale of the log-ratio, a finite number > 0.
        kl_ref: The reference point `z0`, a finite number >= 0.
        lambda_d: Weight of the desirable examples, a finite number > 0.
        lambda_u: Weight of the undesirable examples, a finite number > 0.

    Returns:
        The mean loss as a Python float, in [0, max(lambda_d, lambda_u)].

    Raises:
        ValueError: If the three arrays differ in length, if there is no example, if
            `desirable` is not an array of booleans (0 and 1 are not accepted), if `beta` is
            not a finite number > 0, if `kl_ref` is not a finite number >= 0, or if `lambda_d`
            or `lambda_u` is not a finite number > 0. The message names the argument (e.g.
            "desirable must be an array of booleans"); the grader checks that it does.

    Example:
        >>> kto_loss([-1.0, -2.0], [-1.0, -2.0], [True, False])  # r = z0: each costs lambda / 2
        0.5
        >>> round(kto_loss([0.0], [-10.0], [True], beta=1.0, kl_ref=2.0, lambda_d=2.0), 4)  # 2 * sigmoid(-8)
        0.0007
    """
    ### BEGIN SOLUTION
    scalars = {"beta": beta, "kl_ref": kl_ref, "lambda_d": lambda_d, "lambda_u": lambda_u}
    for name, value in scalars.items():
        lowest_ok = value >= 0 if name == "kl_ref" else value > 0
        if not (np.isfinite(value) and lowest_ok):
            bound = ">= 0" if name == "kl_ref" else "> 0"
            raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    policy = np.asarray(policy_logps, dtype=np.float64)
    if policy.ndim != 1:
        raise ValueError(f"policy_logps must be a 1-D array, got shape {policy.shape}")
    reference = np.asarray(ref_logps, dtype=np.float64)
    if reference.shape != policy.shape:
        raise ValueError(
            f"ref_logps must have the length of policy_logps {policy.shape}, got {reference.shape}"
        )
    labels = np.asarray(desirable)
    if labels.shape != policy.shape:
        raise ValueError(f"desirable must have the length of policy_logps {policy.shape}, got {labels.shape}")
    if policy.size == 0:
        raise ValueError("policy_logps must hold at least one example, got none")
    if labels.dtype != np.bool_:
        raise ValueError(f"desirable must be an array of booleans, got dtype {labels.dtype}")
    above = beta * ((policy - reference) - kl_ref)
    # lambda - lambda * sigmoid(x) = lambda * sigmoid(-x): sigmoid(-above) for desirable examples
    # and sigmoid(above) for undesirable ones, each as exp(-log(1 + exp(-.))) without overflow.
    shortfall = np.exp(-np.logaddexp(0.0, np.where(labels, above, -above)))
    weights = np.where(labels, lambda_d, lambda_u)
    return float(np.mean(weights * shortfall))
    ### END SOLUTION


# ---------------------------------------------------------------------------------------------
# Demo: DPO on preferences sampled from known rewards, against the RLHF optimum; then the DPO family.
# ---------------------------------------------------------------------------------------------

RESPONSES = ("detailed guide", "short answer", "too long", "off-topic", "refusal", "unsafe shortcut")
TRUE_REWARDS = np.array([1.5, 0.7, 0.4, -0.8, -0.4, -1.4])
REFERENCE_PROBS = np.array([0.10, 0.30, 0.20, 0.10, 0.15, 0.15])
BETA = 0.5
LEARNING_RATE = 8.0
SHOWN_STEPS = (0, 3, 10, 30, 100, 300, 1000)
PAIR_COUNTS = (30, 100, 300, 1000, 3000, 10000)
REPEATS = 5
BT_L2 = 1e-4
SEED = 4
LOSSES = (
    ("DPO", "sigmoid", 0.0),
    ("cDPO eps=0.1", "sigmoid", 0.1),
    ("IPO", "ipo", 0.0),
    ("hinge", "hinge", 0.0),
)
"""The members of the DPO family the demo compares: (name, kind, label_smoothing)."""
FAMILY_LEARNING_RATE = 0.2
FAMILY_STEPS = (0, 1, 3, 10, 30, 100, 300, 1000, 3000)
TOURNAMENT_STEPS = (300, 3000)
NEVER_COMPARED = 0
"""The response left out of every pair in the last experiment: the best one, 'detailed guide'."""
LENGTHS = (20, 60)
"""Token counts of the short and the long version of every answer in the SimPO experiment."""
LENGTH_PAIRS = 3000
PER_TOKEN_STEPS = 300
SIMPO_BETA = 2.0
SIMPO_GAMMAS = (0.0, 0.5, 1.0, 2.0)
PER_TOKEN_LEARNING_RATES = {"DPO": 2e-3, "SimPO": 2.0}
"""Step sizes of the per-token fits: DPO's margins carry the lengths (up to 60 times the per-token
change), so its loss curves up to 60**2 times as fast as SimPO's, whose lengths cancel."""
KTO_STEPS = (0, 10, 30, 100, 300, 1000)
KTO_KEPT_DESIRABLE = 0.1
"""The imbalanced split keeps every thumbs-down and this fraction of the thumbs-up."""


def sample_preference_pairs(
    rng: np.random.Generator, ref_probs: np.ndarray, rewards: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Draw n pairs of distinct responses from the reference and label each by Bradley–Terry.

    Args:
        rng: The random generator.
        ref_probs: Reference probabilities the two responses are drawn from, shape (K,).
        rewards: True rewards the simulated labeller judges by, shape (K,).
        n: Number of pairs.

    Returns:
        `(chosen, rejected)`, ints (n,).
    """
    first = rng.choice(len(ref_probs), size=n, p=ref_probs)
    second = rng.choice(len(ref_probs), size=n, p=ref_probs)
    while np.any(same := first == second):
        second[same] = rng.choice(len(ref_probs), size=int(same.sum()), p=ref_probs)
    first_wins = pk.sample_bradley_terry(rng, rewards[first], rewards[second])
    return np.where(first_wins, first, second), np.where(first_wins, second, first)


def train_with_dpo(
    ref_logits: np.ndarray, chosen: np.ndarray, rejected: np.ndarray, checkpoints: list[int]
) -> list[np.ndarray]:
    """Run full-batch gradient descent with `dpo_gradient`, starting from the reference.

    Args:
        ref_logits: Logits of the reference policy, shape (K,).
        chosen: Preferred responses, ints (n,).
        rejected: The other responses, ints (n,).
        checkpoints: Increasing step counts at which to keep a copy of the logits.

    Returns:
        The logits at every checkpoint, in order.
    """
    logits = ref_logits.copy()
    keep = set(checkpoints)
    snapshots = []
    for step in range(checkpoints[-1] + 1):
        if step in keep:
            snapshots.append(logits.copy())
        logits = logits - LEARNING_RATE * dpo_gradient(logits, ref_logits, chosen, rejected, BETA)
    return snapshots


def ordered_pairs(k: int) -> np.ndarray:
    """Every (chosen, rejected) pair of two different responses among k, shape (k (k - 1), 2)."""
    return np.array([(c, r) for c in range(k) for r in range(k) if c != r])


ORDERED_PAIRS = ordered_pairs(len(RESPONSES))
"""Every (chosen, rejected) pair of two different responses: a data set is a weight for each."""
INCIDENCE = np.eye(len(RESPONSES))[ORDERED_PAIRS[:, 0]] - np.eye(len(RESPONSES))[ORDERED_PAIRS[:, 1]]
"""`d h / d logits` of each ordered pair, `onehot(chosen) - onehot(rejected)`, shape (K (K - 1), K)."""


def pair_weights(chosen: np.ndarray, rejected: np.ndarray, k: int = len(RESPONSES)) -> np.ndarray:
    """The fraction of the pairs that is each of `ordered_pairs(k)`, shape (k (k - 1),)."""
    pairs = ordered_pairs(k)
    counts = np.bincount(chosen * k + rejected, minlength=k * k).astype(np.float64)
    return counts[pairs[:, 0] * k + pairs[:, 1]] / len(chosen)


def margins_of(logits: np.ndarray, ref_logits: np.ndarray) -> np.ndarray:
    """The log-ratio margin h of every ordered pair for each policy: logits (..., K) -> (..., K (K - 1))."""
    return (pk.log_softmax(logits) - pk.log_softmax(ref_logits)) @ INCIDENCE.T


def family_gradient(
    logits: np.ndarray, ref_logits: np.ndarray, weights: np.ndarray, kind: str, label_smoothing: float
) -> np.ndarray:
    """Return d(mean loss over pairs)/d logits of a loss of the DPO family for a batch of policies.

    `logits` (R, K) holds R policies, `weights` (R, K (K - 1)) the data set of each as a weight per
    ordered pair. The mean over a data set's pairs is the weighted sum over the pair types, so one
    call of `dpo_family_loss_grad` on all R * K (K - 1) margins serves every policy (times their
    number, to undo its 1 / n); the chain rule through `d h / d logits` is a product with `INCIDENCE`.
    """
    margins = margins_of(logits, ref_logits)
    per_pair = dpo_family_loss_grad(margins.ravel(), BETA, kind, label_smoothing) * margins.size
    return (weights * per_pair.reshape(margins.shape)) @ INCIDENCE


def train_family(
    ref_logits: np.ndarray,
    weights: np.ndarray,
    checkpoints: list[int],
    kind: str = "sigmoid",
    label_smoothing: float = 0.0,
    learning_rate: float = LEARNING_RATE,
) -> list[np.ndarray]:
    """Run full-batch gradient descent from the reference for R policies at once; see `family_gradient`.

    Returns:
        The logits (R, K) at every checkpoint, in order.
    """
    logits = np.tile(ref_logits, (len(weights), 1))
    keep = set(checkpoints)
    snapshots = []
    for step in range(checkpoints[-1] + 1):
        if step in keep:
            snapshots.append(logits.copy())
        logits = logits - learning_rate * family_gradient(logits, ref_logits, weights, kind, label_smoothing)
    return snapshots


def centred_error(estimate: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Return `estimate - truth` once both are shifted to mean 0 (rewards are known up to a constant)."""
    return (estimate - estimate.mean()) - (truth - truth.mean())


def show_task(optimum: np.ndarray) -> None:
    """Print the responses, their true rewards, the reference and the RLHF optimum."""
    labkit.heading(f"Lab 4 — DPO: six answers to 'How do I learn Python?', beta = {BETA}")
    labkit.print_table(
        ["response", "true reward", "pi_ref", "RLHF optimum pi*"],
        list(zip(RESPONSES, TRUE_REWARDS, REFERENCE_PROBS, optimum, strict=True)),
        ["", "+.2f", ".3f", ".3f"],
    )
    print(
        f"pi* ∝ pi_ref * exp(r / beta);  KL(pi* || pi_ref) = {pk.kl_divergence(optimum, REFERENCE_PROBS):.3f}"
    )
    print("Labellers never reveal the rewards: they compare two different answers drawn from pi_ref")
    print("and prefer a over b with probability sigmoid(r(a) - r(b)) (Bradley–Terry).")


def show_training(
    ref_logits: np.ndarray,
    optimum: np.ndarray,
    chosen: np.ndarray,
    rejected: np.ndarray,
    snapshots: list[np.ndarray],
) -> None:
    """Print the DPO loss and the policy's distance to the reference and to the optimum over steps."""
    labkit.heading(
        f"DPO on {len(chosen)} pairs: gradient descent on the logits from pi_ref (lr = {LEARNING_RATE})"
    )
    log_ref = pk.log_softmax(ref_logits)
    rows = []
    for step, logits in zip(SHOWN_STEPS, snapshots, strict=True):
        log_pi = pk.log_softmax(logits)
        loss = dpo_loss(log_pi[chosen], log_pi[rejected], log_ref[chosen], log_ref[rejected], BETA)
        pi = np.exp(log_pi)
        rows.append((step, loss, pk.kl_divergence(pi, REFERENCE_PROBS), pk.kl_divergence(pi, optimum)))
    labkit.print_table(
        ["step", "DPO loss", "KL(pi || pi_ref)", "KL(pi || pi*)"], rows, ["d", ".4f", ".4f", ".2e"]
    )
    print(f"(the loss starts at log 2 = {np.log(2):.4f}: at pi = pi_ref every margin is 0)")
    weights = pair_weights(chosen, rejected)[None, :]
    chained = family_gradient(snapshots[1][None, :], ref_logits, weights, "sigmoid", 0.0)[0]
    gap = np.max(np.abs(chained - dpo_gradient(snapshots[1], ref_logits, chosen, rejected, BETA)))
    print(f"dpo_gradient and dpo_family_loss_grad chained through the margins agree to {gap:.0e}: the rest")
    print("of the demo trains with the latter, on the pairs grouped by type (the same loss, faster).")


def show_data_sizes(
    ref_logits: np.ndarray,
    optimum: np.ndarray,
    datasets: list[tuple[np.ndarray, np.ndarray]],
    finals: dict[tuple[int, int], np.ndarray],
) -> None:
    """Print DPO's and the RLHF route's distance to the optimum as the number of pairs grows."""
    labkit.heading(f"More pairs: DPO vs the RLHF route on the same pairs (mean of {REPEATS} datasets)")
    print(f"RLHF route: fit one reward per response (Bradley–Terry, l2 = {BT_L2:g}, Newton), then pi*.")
    rows = []
    for n in PAIR_COUNTS:
        kl_dpo, kl_rlhf, kl_between, reward_error = [], [], [], []
        for repeat, (chosen, rejected) in enumerate(datasets):
            dpo_policy = pk.softmax(finals[repeat, n])
            fitted = pk.fit_bradley_terry_rewards(chosen[:n], rejected[:n], len(RESPONSES), l2=BT_L2)
            rlhf_policy = pk.closed_form_optimum(ref_logits, fitted, BETA)
            kl_dpo.append(pk.kl_divergence(dpo_policy, optimum))
            kl_rlhf.append(pk.kl_divergence(rlhf_policy, optimum))
            kl_between.append(pk.kl_divergence(dpo_policy, rlhf_policy))
            recovered = implicit_reward(finals[repeat, n], ref_logits, BETA)
            reward_error.append(np.max(np.abs(centred_error(recovered, TRUE_REWARDS))))
        rows.append((n, *(float(np.mean(column)) for column in (kl_dpo, kl_rlhf, kl_between, reward_error))))
    labkit.print_table(
        ["pairs", "DPO: KL(pi || pi*)", "RLHF: KL(pi || pi*)", "KL(DPO || RLHF)", "DPO reward error"],
        rows,
        ["d", ".2e", ".2e", ".1e", ".3f"],
    )
    print("(after 1000 steps; reward error: max |implicit reward - true reward| once both are centred)")


def show_implicit_reward(ref_logits: np.ndarray, logits: np.ndarray, n: int) -> None:
    """Print the true and the implicit reward of a DPO-trained policy, both centred."""
    labkit.heading(f"The implicit reward beta * log(pi / pi_ref) after DPO on {n} pairs")
    recovered = implicit_reward(logits, ref_logits, BETA)
    error = centred_error(recovered, TRUE_REWARDS)
    labkit.print_table(
        ["response", "true r (centred)", "implicit r (centred)", "difference"],
        list(
            zip(
                RESPONSES,
                TRUE_REWARDS - TRUE_REWARDS.mean(),
                recovered - recovered.mean(),
                error,
                strict=True,
            )
        ),
        ["", "+.3f", "+.3f", "+.3f"],
    )
    print(f"max abs error after centring: {np.max(np.abs(error)):.3f}")


def show_few_pairs(
    datasets: list[tuple[np.ndarray, np.ndarray]], checkpoints: list[int], curves: dict[int, np.ndarray]
) -> None:
    """Print, for each data size, how many pair types got one verdict only and where KL to pi* bottoms out."""
    labkit.heading(f"Few pairs: DPO's KL to pi* over training (mean of {REPEATS} datasets)")
    rows = []
    for n in PAIR_COUNTS:
        seen, one_way = [], []
        for chosen, rejected in datasets:
            forward = pair_weights(chosen[:n], rejected[:n]) > 0
            backward = pair_weights(rejected[:n], chosen[:n]) > 0
            seen.append(np.sum(forward | backward) / 2)
            one_way.append(np.sum(forward & ~backward))
        best = int(np.argmin(curves[n]))
        rows.append((n, np.mean(seen), np.mean(one_way), checkpoints[best], curves[n][best], curves[n][-1]))
    labkit.print_table(
        [
            "pairs",
            "pair types seen",
            "seen one way only",
            "best step",
            "min KL(pi || pi*)",
            "KL at step 1000",
        ],
        rows,
        ["d", ".1f", ".1f", "d", ".2e", ".2e"],
    )
    print("(pair types: the 15 unordered pairs of the 6 responses; 'one way only': all its labels agree)")


def show_family_on_one_pair(ref_logits: np.ndarray, runs: dict[str, list[np.ndarray]]) -> None:
    """Print the margin and pi(chosen) over steps when one pair is always labelled the same way."""
    labkit.heading(
        f"Deterministic preferences: '{RESPONSES[0]}' ≻ '{RESPONSES[1]}' in every pair "
        f"(beta = {BETA}, lr = {FAMILY_LEARNING_RATE})"
    )
    rows = []
    for i, step in enumerate(FAMILY_STEPS):
        margins = [margins_of(runs[name][i], ref_logits)[0, 0] for name, _, _ in LOSSES]
        rows.append((str(step), *margins, pk.softmax(runs["DPO"][i])[0, 0]))
    eps = LOSSES[1][2]
    rows.append(("minimiser", np.inf, np.log((1 - eps) / eps) / BETA, 1 / (2 * BETA), 1 / BETA, 1.0))
    labkit.print_table(
        ["step", *(f"h: {name}" for name, _, _ in LOSSES), f"DPO: pi({RESPONSES[0]})"],
        rows,
        ["", ".3f", ".3f", ".3f", ".3f", ".3f"],
    )
    print("(minimisers of each loss in h: DPO has none; cDPO log((1 - eps) / eps) / beta; IPO 1 / (2 beta);")
    print(
        " the hinge any h >= 1 / beta, where its gradient is 0, so it stops at the first step past 1 / beta)"
    )


def show_family_on_all_pairs(
    ref_logits: np.ndarray, optimum: np.ndarray, weights: np.ndarray, runs: dict[str, list[np.ndarray]]
) -> None:
    """Print where each loss of the family leaves the policy when no label ever disagrees."""
    labkit.heading(
        f"Deterministic preferences on the {PAIR_COUNTS[-1]} pairs: the higher true reward always wins"
    )
    rows = []
    present = weights[0] > 0
    for name, _, _ in LOSSES:
        for step, logits in zip(TOURNAMENT_STEPS, runs[name], strict=True):
            h = margins_of(logits, ref_logits)[0]
            pi = pk.softmax(logits[0])
            kls = pk.kl_divergence(pi, REFERENCE_PROBS), pk.kl_divergence(pi, optimum)
            rows.append((name, step, h[present].min(), weights[0] @ h, h[present].max(), pi[0], *kls))
    headers = ["loss", "step", "min h", "mean h", "max h", f"pi({RESPONSES[0]})", "KL(pi || pi_ref)"]
    labkit.print_table([*headers, "KL(pi || pi*)"], rows, ["", "d", ".2f", ".2f", ".2f", ".3f", ".3f", ".3f"])
    kl_optimum = pk.kl_divergence(optimum, REFERENCE_PROBS)
    print(
        f"(pi*: pi({RESPONSES[0]}) = {optimum[0]:.3f}, KL(pi* || pi_ref) = {kl_optimum:.3f}; mean h weighted by"
    )
    print(" how often each pair occurs)")


def show_never_compared(ref_logits: np.ndarray, optimum: np.ndarray, policies: dict[str, np.ndarray]) -> None:
    """Print the policies DPO reaches with and without the pairs that involve one response."""
    left_out = RESPONSES[NEVER_COMPARED]
    labkit.heading(f"A response never compared: the pairs that involve '{left_out}' removed")
    labkit.print_table(
        ["response", "true reward", "pi_ref", "pi*", *policies],
        list(zip(RESPONSES, TRUE_REWARDS, REFERENCE_PROBS, optimum, *policies.values(), strict=True)),
        ["", "+.2f", ".3f", ".3f", *(".3f" for _ in policies)],
    )
    without = list(policies.values())[-1]
    rewards = implicit_reward(np.log(without), ref_logits, BETA)
    moved = f"{REFERENCE_PROBS[NEVER_COMPARED]:.3f} -> {without[NEVER_COMPARED]:.3f}"
    print(f"'{left_out}' gets gradient 0 at every step: its logit stays at the reference value and its")
    print(f"probability moves only through the normaliser ({moved}). The gradient's entries sum to 0,")
    print(f"so the mean logit does not move either: the implicit reward of '{left_out}',")
    print(
        f"{rewards[NEVER_COMPARED]:+.3f}, is the mean implicit reward of the six responses, {rewards.mean():+.3f}."
    )


ANSWER_OF = np.repeat(np.arange(len(RESPONSES)), len(LENGTHS))
"""The answer of each of the 12 versions of the SimPO experiment: answer 0 short, answer 0 long, ..."""
LENGTH_OF = np.tile(np.array(LENGTHS, dtype=np.float64), len(RESPONSES))
"""The length in tokens of each version."""
VERSION_PAIRS = ordered_pairs(len(ANSWER_OF))
"""Every (chosen, rejected) pair of two different versions."""


def per_token_incidence(normalised: bool) -> np.ndarray:
    """Return `d margin / d (per-token change of each answer)` for every ordered pair of versions.

    A version's log-probability moves by its length times its answer's per-token change, so a
    pair's DPO margin moves by `L_c * onehot(a_c) - L_r * onehot(a_r)`. SimPO divides each
    log-probability by its length, which leaves `onehot(a_c) - onehot(a_r)`.

    Returns:
        Shape (12 * 11, 6).
    """
    scale = np.ones_like(LENGTH_OF) if normalised else LENGTH_OF
    scaled = scale[:, None] * np.eye(len(RESPONSES))[ANSWER_OF]
    return scaled[VERSION_PAIRS[:, 0]] - scaled[VERSION_PAIRS[:, 1]]


def fit_per_token(
    weights: np.ndarray, incidence: np.ndarray, beta: float, shifts: np.ndarray, learning_rate: float
) -> np.ndarray:
    """Fit every answer's per-token log-probability change by full-batch gradient descent.

    Row `i` of `weights` (R, 12 * 11) is a data set, a weight per ordered pair of versions. Its loss
    is the weighted mean of `-log sigmoid(beta * (margin - shifts[i]))` with `margin = changes @
    incidence.T`: DPO's loss with shift 0 on `per_token_incidence(False)`, SimPO's with shift
    `gamma / beta` on `per_token_incidence(True)`. `dpo_family_loss_grad` differentiates it in the
    margins (times their number, to undo its 1 / n).

    Returns:
        The per-token changes from the reference, (R, 6), after `PER_TOKEN_STEPS` steps.
    """
    changes = np.zeros((len(weights), len(RESPONSES)))
    for _ in range(PER_TOKEN_STEPS):
        margins = changes @ incidence.T - shifts
        per_pair = dpo_family_loss_grad(margins.ravel(), beta) * margins.size
        changes = changes - learning_rate * (weights * per_pair.reshape(margins.shape)) @ incidence
    return changes


def centred(rewards: np.ndarray) -> np.ndarray:
    """Rewards shifted to mean 0 over the last axis (a reward is known up to a constant)."""
    return rewards - rewards.mean(axis=-1, keepdims=True)


def ranking_rates(rewards: np.ndarray) -> tuple[float, float]:
    """Return how a learned reward (R, 12) orders versions of different true reward, mean over R.

    Returns:
        The fraction of such pairs it orders like the true reward, and the fraction of the pairs
        "long version of the worse answer, short version of the better one" where it puts the long
        one first.
    """
    truth = TRUE_REWARDS[ANSWER_OF]
    better = truth[:, None] > truth[None, :]
    short_better = better & (LENGTH_OF[:, None] < LENGTH_OF[None, :])
    right = rewards[:, :, None] > rewards[:, None, :]
    right_rate = np.sum(right & better, axis=(1, 2)) / better.sum()
    long_first = np.sum(~right & short_better, axis=(1, 2)) / short_better.sum()
    return float(right_rate.mean()), float(long_first.mean())


def show_lengths(
    dpo_rewards: np.ndarray, simpo_rewards: dict[float, np.ndarray], dpo_long_share: float
) -> None:
    """Print the rewards DPO and SimPO learn for short and long versions of the same answers."""
    short, long = LENGTHS
    labkit.heading(
        f"SimPO: each answer in a short ({short} tokens) and a long ({long} tokens) version of the same quality"
    )
    print(
        f"{LENGTH_PAIRS} pairs of versions drawn from pi_ref (half of each answer's probability per version),"
    )
    print("labelled by Bradley–Terry from the answer's true reward: length and quality are independent.")
    print("The model can only change each answer's per-token log-probability (the same for both versions),")
    print("as an LLM changes what it says: a version's log-prob moves by its length times that change.")
    print(
        f"Rewards after {PER_TOKEN_STEPS} steps, centred, mean of {REPEATS} data sets: DPO's beta * log(pi / pi_ref)"
    )
    print(f"(beta = {BETA}), SimPO's beta * log pi / length (beta = {SIMPO_BETA}, gamma = 0).")
    simpo = simpo_rewards[0.0]
    labkit.print_table(
        ["answer", "tokens", "true r", "DPO reward", "SimPO reward"],
        [
            (RESPONSES[answer], int(length), truth, dpo, sim)
            for answer, length, truth, dpo, sim in zip(
                ANSWER_OF,
                LENGTH_OF,
                centred(TRUE_REWARDS[ANSWER_OF]),
                centred(dpo_rewards).mean(axis=0),
                centred(simpo).mean(axis=0),
                strict=True,
            )
        ],
        ["", "d", "+.2f", "+.2f", "+.2f"],
    )
    rows = []
    for name, rewards in (
        ("DPO", dpo_rewards),
        *((f"SimPO gamma={g:g}", r) for g, r in simpo_rewards.items()),
    ):
        right, long_first = ranking_rates(rewards)
        gap = rewards[:, 1] - rewards[:, 0]  # 'detailed guide', long minus short
        spread = rewards.max(axis=1) - rewards.min(axis=1)
        rows.append((name, right, long_first, float(gap.mean()), float(spread.mean())))
    rows.append(("true reward", 1.0, 0.0, 0.0, float(np.ptp(TRUE_REWARDS))))
    labkit.print_table(
        [
            "reward",
            "pairs in true order",
            "long worse one first",
            f"{RESPONSES[0]}: long - short",
            "best - worst",
        ],
        rows,
        ["", ".3f", ".3f", "+.2f", ".2f"],
    )
    print(
        "(pairs of versions of different true reward; 'long worse one first': of the pairs 'long version of"
    )
    print(" the worse answer, short version of the better one', the fraction it ranks the long one first)")
    print(
        f"The DPO-trained policy puts {dpo_long_share:.3f} of its probability on long versions; pi_ref and pi*: 0.500."
    )


PER_TOKEN_REF = -2.0
"""The reference's log-probability per token, the same for every answer (SimPO never sees it: only
differences of per-token log-probabilities enter its loss)."""


def show_simpo_check(pairs: tuple[np.ndarray, np.ndarray], changes: np.ndarray, gamma: float) -> None:
    """Print `simpo_loss` of one fitted model on its pairs beside `dpo_family_loss` of the shifted margins."""
    chosen, rejected = pairs
    log_probs = LENGTH_OF * (PER_TOKEN_REF + changes[ANSWER_OF])
    simpo = simpo_loss(
        log_probs[chosen], log_probs[rejected], LENGTH_OF[chosen], LENGTH_OF[rejected], SIMPO_BETA, gamma
    )
    margins = log_probs[chosen] / LENGTH_OF[chosen] - log_probs[rejected] / LENGTH_OF[rejected]
    family = dpo_family_loss(margins - gamma / SIMPO_BETA, SIMPO_BETA)
    print("SimPO is DPO's sigmoid loss of the length-normalised margins minus gamma / beta: on data set 1")
    print(
        f"(gamma = {gamma}) your simpo_loss gives {simpo:.6f}, your dpo_family_loss of those margins {family:.6f}."
    )


def kto_gradient(
    logits: np.ndarray,
    ref_logits: np.ndarray,
    desirable: np.ndarray,
    undesirable: np.ndarray,
    lambda_d: np.ndarray,
    lambda_u: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return `d kto_loss / d logits` for R tabular policies, and the reference point z0 of each.

    `desirable` and `undesirable` (R, K) count the thumbs-up and thumbs-down examples of each
    response, `lambda_d` and `lambda_u` (R,) weigh them. The reference point is `z0 = KL(pi ||
    pi_ref)`, recomputed at every step and held constant in the gradient (the paper estimates it
    on the batch and does not differentiate through it). With `x = beta * (r - z0)` a thumbs-up
    costs `lambda_d * sigmoid(-x)`, a thumbs-down `lambda_u * sigmoid(x)`, so
    `d cost / d r = -+ lambda * beta * sigmoid(x) * sigmoid(-x)`, and `d r_y / d logits = onehot(y) - pi`.
    """
    log_pi = pk.log_softmax(logits)
    pi = np.exp(log_pi)
    r = log_pi - pk.log_softmax(ref_logits)
    z0 = np.sum(pi * r, axis=-1, keepdims=True)
    x = BETA * (r - z0)
    slope = BETA * np.exp(-np.logaddexp(0.0, x) - np.logaddexp(0.0, -x))
    count = desirable.sum(axis=-1, keepdims=True) + undesirable.sum(axis=-1, keepdims=True)
    d_r = slope * (lambda_u[:, None] * undesirable - lambda_d[:, None] * desirable) / count
    return d_r - pi * d_r.sum(axis=-1, keepdims=True), z0[:, 0]


def train_kto(
    ref_logits: np.ndarray,
    desirable: np.ndarray,
    undesirable: np.ndarray,
    lambda_d: np.ndarray,
    lambda_u: np.ndarray,
    checkpoints: list[int],
) -> list[np.ndarray]:
    """Run full-batch gradient descent on the KTO loss from the reference, R policies at once.

    Returns:
        The logits (R, K) at every checkpoint, in order.
    """
    logits = np.tile(ref_logits, (len(desirable), 1))
    snapshots = []
    for step in range(checkpoints[-1] + 1):
        if step in checkpoints:
            snapshots.append(logits.copy())
        gradient, _ = kto_gradient(logits, ref_logits, desirable, undesirable, lambda_d, lambda_u)
        logits = logits - LEARNING_RATE * gradient
    return snapshots


def unpaired(chosen: np.ndarray, rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split pairs into unpaired examples: each chosen response a thumbs-up, each rejected one a
    thumbs-down. Returns `(responses, desirable)`, the responses' indices and their labels."""
    return np.concatenate([chosen, rejected]), np.concatenate(
        [np.ones(len(chosen), bool), np.zeros(len(rejected), bool)]
    )


def check_kto_gradient(
    ref_logits: np.ndarray, chosen: np.ndarray, rejected: np.ndarray
) -> tuple[float, float]:
    """Compare `kto_gradient` with central differences of the learner's `kto_loss` at one policy.

    Returns:
        The largest absolute difference, and `kto_loss` at that policy.
    """
    logits = ref_logits + np.linspace(0.5, -0.5, len(ref_logits))
    responses, desirable = unpaired(chosen, rejected)
    up = np.bincount(responses[desirable], minlength=len(ref_logits))
    down = np.bincount(responses[~desirable], minlength=len(ref_logits))
    ones = np.ones(1)
    gradient, z0 = kto_gradient(logits[None, :], ref_logits, up[None, :], down[None, :], ones, ones)
    log_ref = pk.log_softmax(ref_logits)

    def loss(z: np.ndarray) -> float:
        return kto_loss(pk.log_softmax(z)[responses], log_ref[responses], desirable, BETA, float(z0[0]))

    h = 1e-5
    numeric = [(loss(logits + h * e) - loss(logits - h * e)) / (2 * h) for e in np.eye(len(logits))]
    return float(np.max(np.abs(gradient[0] - numeric))), loss(logits)


def mean_kl_to(target: np.ndarray, logits: np.ndarray) -> float:
    """The mean over R policies, `logits` (R, K), of `KL(pi || target)`."""
    return float(np.mean([pk.kl_divergence(pi, target) for pi in pk.softmax(logits)]))


def show_kto(
    optimum: np.ndarray,
    dpo_curve: np.ndarray,
    dpo_policy: np.ndarray,
    runs: dict[str, list[np.ndarray]],
    up: np.ndarray,
    down: np.ndarray,
    gradient_check: tuple[float, float],
    balancing_weight: float,
) -> None:
    """Print how close KTO on unpaired labels gets to pi*, against DPO on the same comparisons."""
    gap, loss = gradient_check
    labkit.heading(
        f"KTO: the {PAIR_COUNTS[-1]} comparisons split into unpaired thumbs-up / thumbs-down labels"
    )
    print("Each pair gives two examples: its chosen response a thumbs-up, its rejected one a thumbs-down.")
    print(
        f"KTO (beta = {BETA}) with the reference point z0 = KL(pi || pi_ref), held constant in the gradient;"
    )
    print(f"the demo's KTO gradient agrees with central differences of your kto_loss to {gap:.0e}")
    print(
        f"(kto_loss = {loss:.4f} at the policy of that check). The imbalanced split keeps every thumbs-down"
    )
    print(
        f"and {KTO_KEPT_DESIRABLE:.0%} of the thumbs-up; 'balanced' sets lambda_d = n_u / n_d "
        f"({balancing_weight:.2f} on average),"
    )
    print("so that lambda_d * n_d = lambda_u * n_u.")
    print(f"KL(pi || pi*) over gradient steps (lr = {LEARNING_RATE}), mean of {REPEATS} data sets:")
    labkit.print_table(
        ["step", "DPO on pairs", *runs],
        [
            (step, dpo, *(mean_kl_to(optimum, run[i]) for run in runs.values()))
            for i, (step, dpo) in enumerate(zip(KTO_STEPS, dpo_curve, strict=True))
        ],
        ["d", ".2e", *(".2e" for _ in runs)],
    )
    finals = {"DPO": dpo_policy} | {name: pk.softmax(run[-1]).mean(axis=0) for name, run in runs.items()}
    appearances = (up + down).sum(axis=0)
    labkit.print_table(
        ["response", "true r", "examples", "thumbs-up", "pi*", *finals],
        list(
            zip(
                RESPONSES,
                TRUE_REWARDS,
                appearances / appearances.sum(),
                up.sum(axis=0) / appearances,
                optimum,
                *finals.values(),
                strict=True,
            )
        ),
        ["", "+.2f", ".3f", ".3f", ".3f", *(".3f" for _ in finals)],
    )
    print(
        f"(policies at step {KTO_STEPS[-1]}, mean of {REPEATS} data sets; examples: the response's share of all"
    )
    print(
        " the examples; thumbs-up: the share of its own examples that are thumbs-up, with every label kept)"
    )


def plot_lengths(plt: Any, folder: Path, dpo_rewards: np.ndarray, simpo_rewards: np.ndarray) -> None:
    """Draw the true, DPO's and SimPO's centred rewards of every short and long version."""
    bars = {
        "true reward": centred(TRUE_REWARDS[ANSWER_OF]),
        "DPO": centred(dpo_rewards).mean(axis=0),
        "SimPO (gamma = 0)": centred(simpo_rewards).mean(axis=0),
    }
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(bars)
    for i, ((name, values), hatch) in enumerate(zip(bars.items(), ("", "//", ".."), strict=True)):
        ax.bar(np.arange(len(ANSWER_OF)) + i * width, values, width, label=name, hatch=hatch)
    labels = [f"{RESPONSES[a]}\n{int(n)} tokens" for a, n in zip(ANSWER_OF, LENGTH_OF, strict=True)]
    ax.set_xticks(np.arange(len(ANSWER_OF)) + 0.4 - width / 2, labels, rotation=60, fontsize=8)
    ax.axhline(0.0, color="grey", linewidth=0.8)
    ax.set(ylabel=f"reward, centred (mean of {REPEATS})")
    ax.set_title("Same answer, two lengths: DPO's summed reward grows with length, SimPO's does not")
    ax.legend()
    fig.tight_layout()
    print(f"wrote {labkit.save_figure(fig, folder, 'lab4_dpo_lengths')}")


def plot_kto(
    plt: Any, folder: Path, dpo_curve: np.ndarray, optimum: np.ndarray, runs: dict[str, list[np.ndarray]]
) -> None:
    """Draw KL(pi || pi*) against the number of steps for DPO on pairs and KTO on unpaired labels."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    steps = np.array(KTO_STEPS) + 1
    ax.plot(steps, dpo_curve, marker="o", label="DPO on pairs")
    for (name, run), style in zip(runs.items(), ("--", "-.", ":"), strict=True):
        ax.plot(steps, [mean_kl_to(optimum, logits) for logits in run], style, marker=".", label=name)
    ax.set(
        xscale="log", yscale="log", xlabel="gradient steps + 1", ylabel=f"KL(pi || pi*), mean of {REPEATS}"
    )
    ax.set_title(f"Unpaired labels from the same {PAIR_COUNTS[-1]} comparisons")
    ax.legend()
    print(f"wrote {labkit.save_figure(fig, folder, 'lab4_dpo_kto')}")


def plot_convergence(plt: Any, folder: Path, checkpoints: list[int], curves: dict[int, np.ndarray]) -> None:
    """Draw KL(pi || pi*) against the number of DPO steps, one curve per dataset size."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n, kls in curves.items():
        ax.plot(np.array(checkpoints) + 1, kls, marker=".", label=f"{n} pairs")
    ax.set(
        xscale="log", yscale="log", xlabel="gradient steps + 1", ylabel=f"KL(pi || pi*), mean of {REPEATS}"
    )
    ax.set_title(f"DPO approaching the RLHF optimum (beta = {BETA})")
    ax.legend()
    print(f"\nwrote {labkit.save_figure(fig, folder, 'lab4_dpo_convergence')}")


def plot_family(plt: Any, folder: Path, ref_logits: np.ndarray, runs: dict[str, list[np.ndarray]]) -> None:
    """Draw each loss's margin on the one deterministic pair against the number of steps."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (name, _, _), style in zip(LOSSES, ("-", "--", "-.", ":"), strict=True):
        margins = [margins_of(z, ref_logits)[0, 0] for z in runs[name]]
        ax.plot(np.array(FAMILY_STEPS) + 1, margins, style, marker="o", label=name)
    for level, label in ((1 / (2 * BETA), "1/(2 beta)"), (1 / BETA, "1/beta")):
        ax.axhline(level, color="grey", linewidth=0.8)
        ax.annotate(label, (1, level), textcoords="offset points", xytext=(2, 3), color="grey")
    ax.set(xscale="log", xlabel="gradient steps + 1", ylabel="margin h of the pair")
    ax.set_title(f"One pair, always the same verdict (beta = {BETA})")
    ax.legend()
    print(f"wrote {labkit.save_figure(fig, folder, 'lab4_dpo_family')}")


def plot_never_compared(plt: Any, folder: Path, optimum: np.ndarray, policies: dict[str, np.ndarray]) -> None:
    """Draw pi_ref, pi* and the DPO policies with and without the left-out response, side by side."""
    bars = {"pi_ref": REFERENCE_PROBS, "pi*": optimum, **policies}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    width = 0.8 / len(bars)
    for i, ((name, probs), hatch) in enumerate(zip(bars.items(), ("", "//", "..", "xx"), strict=True)):
        ax.bar(np.arange(len(RESPONSES)) + i * width, probs, width, label=name, hatch=hatch)
    ax.set_xticks(np.arange(len(RESPONSES)) + 0.4 - width / 2, RESPONSES, rotation=20)
    ax.set(ylabel="probability")
    ax.set_title(f"DPO with every pair involving '{RESPONSES[NEVER_COMPARED]}' removed")
    ax.legend()
    print(f"wrote {labkit.save_figure(fig, folder, 'lab4_dpo_never_compared')}")


def main(argv: list[str] | None = None) -> None:
    """Train a policy with DPO, compare it with the RLHF optimum and the RLHF route, then the DPO family."""
    args = labkit.demo_arguments("Lab 4: DPO recovers the RLHF optimum from preference pairs.", argv)
    rng = np.random.default_rng(SEED)
    ref_logits = np.log(REFERENCE_PROBS)
    optimum = pk.closed_form_optimum(ref_logits, TRUE_REWARDS, BETA)
    datasets = [
        sample_preference_pairs(rng, REFERENCE_PROBS, TRUE_REWARDS, PAIR_COUNTS[-1]) for _ in range(REPEATS)
    ]
    checkpoints = sorted({*SHOWN_STEPS, *np.geomspace(1, SHOWN_STEPS[-1], 30).astype(int).tolist()})
    chosen, rejected = datasets[0]

    show_task(optimum)
    show_training(
        ref_logits, optimum, chosen, rejected, train_with_dpo(ref_logits, chosen, rejected, list(SHOWN_STEPS))
    )
    weights = np.array([pair_weights(c[:n], r[:n]) for c, r in datasets for n in PAIR_COUNTS])
    snapshots = np.array(train_family(ref_logits, weights, checkpoints)).reshape(
        len(checkpoints), REPEATS, len(PAIR_COUNTS), len(RESPONSES)
    )
    finals = {
        (repeat, n): snapshots[-1, repeat, j] for repeat in range(REPEATS) for j, n in enumerate(PAIR_COUNTS)
    }
    show_data_sizes(ref_logits, optimum, datasets, finals)
    show_implicit_reward(ref_logits, finals[0, PAIR_COUNTS[-1]], PAIR_COUNTS[-1])
    kl_to_optimum = np.sum(pk.softmax(snapshots) * (pk.log_softmax(snapshots) - np.log(optimum)), axis=-1)
    curves = dict(zip(PAIR_COUNTS, kl_to_optimum.mean(axis=1).T, strict=True))
    show_few_pairs(datasets, checkpoints, curves)

    one_pair = pair_weights(np.array([0]), np.array([1]))[None, :]
    runs = {
        name: train_family(ref_logits, one_pair, list(FAMILY_STEPS), kind, eps, FAMILY_LEARNING_RATE)
        for name, kind, eps in LOSSES
    }
    show_family_on_one_pair(ref_logits, runs)
    better = TRUE_REWARDS[chosen] > TRUE_REWARDS[rejected]
    deterministic = pair_weights(np.where(better, chosen, rejected), np.where(better, rejected, chosen))[
        None, :
    ]
    tournament = {
        name: train_family(ref_logits, deterministic, list(TOURNAMENT_STEPS), kind, eps, FAMILY_LEARNING_RATE)
        for name, kind, eps in LOSSES
    }
    show_family_on_all_pairs(ref_logits, optimum, deterministic, tournament)

    kept = (chosen != NEVER_COMPARED) & (rejected != NEVER_COMPARED)
    without = train_family(ref_logits, pair_weights(chosen[kept], rejected[kept])[None, :], [SHOWN_STEPS[-1]])
    policies = {
        "DPO, all pairs": pk.softmax(finals[0, PAIR_COUNTS[-1]]),
        "DPO, without": pk.softmax(without[-1][0]),
    }
    show_never_compared(ref_logits, optimum, policies)

    versions_ref = np.repeat(REFERENCE_PROBS / len(LENGTHS), len(LENGTHS))
    version_data = [
        sample_preference_pairs(rng, versions_ref, TRUE_REWARDS[ANSWER_OF], LENGTH_PAIRS)
        for _ in range(REPEATS)
    ]
    version_weights = np.array([pair_weights(c, r, len(ANSWER_OF)) for c, r in version_data])
    dpo_changes = fit_per_token(
        version_weights, per_token_incidence(False), BETA, np.zeros((1, 1)), PER_TOKEN_LEARNING_RATES["DPO"]
    )
    simpo_changes = fit_per_token(
        np.tile(version_weights, (len(SIMPO_GAMMAS), 1)),
        per_token_incidence(True),
        SIMPO_BETA,
        np.repeat(SIMPO_GAMMAS, REPEATS)[:, None] / SIMPO_BETA,
        PER_TOKEN_LEARNING_RATES["SimPO"],
    ).reshape(len(SIMPO_GAMMAS), REPEATS, len(RESPONSES))
    dpo_rewards = BETA * LENGTH_OF * dpo_changes[:, ANSWER_OF]
    simpo_rewards = {
        g: SIMPO_BETA * changes[:, ANSWER_OF] for g, changes in zip(SIMPO_GAMMAS, simpo_changes, strict=True)
    }
    dpo_versions = pk.softmax(np.log(versions_ref) + LENGTH_OF * dpo_changes[:, ANSWER_OF])
    show_lengths(
        dpo_rewards, simpo_rewards, float(dpo_versions[:, LENGTH_OF == LENGTHS[1]].sum(axis=1).mean())
    )
    show_simpo_check(version_data[0], simpo_changes[1, 0], SIMPO_GAMMAS[1])

    up = np.array([np.bincount(c, minlength=len(RESPONSES)) for c, _ in datasets])
    down = np.array([np.bincount(r, minlength=len(RESPONSES)) for _, r in datasets])
    kept_up = np.array(
        [
            np.bincount(c[rng.random(len(c)) < KTO_KEPT_DESIRABLE], minlength=len(RESPONSES))
            for c, _ in datasets
        ]
    )
    balancing = down.sum(axis=1) / kept_up.sum(axis=1)
    ones = np.ones(REPEATS)
    snapshots_kto = train_kto(
        ref_logits,
        np.concatenate([up, kept_up, kept_up]),
        np.concatenate([down, down, down]),
        np.concatenate([ones, ones, balancing]),
        np.concatenate([ones, ones, ones]),
        list(KTO_STEPS),
    )
    kept = f"{KTO_KEPT_DESIRABLE:.0%} up"
    names = ("KTO all labels", f"KTO {kept}, lambda_d=1", f"KTO {kept}, balanced")
    kto_runs = {
        name: [s[i * REPEATS : (i + 1) * REPEATS] for s in snapshots_kto] for i, name in enumerate(names)
    }
    dpo_curve = curves[PAIR_COUNTS[-1]][[checkpoints.index(step) for step in KTO_STEPS]]
    dpo_policy = pk.softmax(np.array([finals[repeat, PAIR_COUNTS[-1]] for repeat in range(REPEATS)])).mean(
        axis=0
    )
    show_kto(
        optimum,
        dpo_curve,
        dpo_policy,
        kto_runs,
        up,
        down,
        check_kto_gradient(ref_logits, chosen, rejected),
        float(balancing.mean()),
    )

    plt = labkit.plotting() if args.plots else None
    if plt is not None:
        plot_convergence(plt, args.plots, checkpoints, curves)
        plot_family(plt, args.plots, ref_logits, runs)
        plot_never_compared(plt, args.plots, optimum, policies)
        plot_lengths(plt, args.plots, dpo_rewards, simpo_rewards[0.0])
        plot_kto(plt, args.plots, dpo_curve, optimum, kto_runs)


if __name__ == "__main__":
    labkit.run_demo(main)
