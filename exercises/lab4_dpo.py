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
a response that no pair compares keeps its reference logit.

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
    raise NotImplementedError("Lab 4: dpo_loss")


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
    raise NotImplementedError("Lab 4: implicit_reward")


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
    raise NotImplementedError("Lab 4: dpo_gradient")


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
    raise NotImplementedError("Lab 4: dpo_family_loss")


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
    raise NotImplementedError("Lab 4: dpo_family_loss_grad")


# ---------------------------------------------------------------------------------------------
# Demo: DPO on preferences sampled from known rewards, against the RLHF optimum; then the DPO family.
# ---------------------------------------------------------------------------------------------

DEMO_SHOWS = ("KL",)
"""What the demo prints, checked by tests/test_demos.py: the seed's numbers it reproduces, or its tables' labels."""
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


ORDERED_PAIRS = np.array([(c, r) for c in range(len(RESPONSES)) for r in range(len(RESPONSES)) if c != r])
"""Every (chosen, rejected) pair of two different responses: a data set is a weight for each."""
INCIDENCE = np.eye(len(RESPONSES))[ORDERED_PAIRS[:, 0]] - np.eye(len(RESPONSES))[ORDERED_PAIRS[:, 1]]
"""`d h / d logits` of each ordered pair, `onehot(chosen) - onehot(rejected)`, shape (K (K - 1), K)."""


def pair_weights(chosen: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """The fraction of the pairs that is each of `ORDERED_PAIRS`, shape (K (K - 1),)."""
    k = len(RESPONSES)
    counts = np.bincount(chosen * k + rejected, minlength=k * k).astype(np.float64)
    return counts[ORDERED_PAIRS[:, 0] * k + ORDERED_PAIRS[:, 1]] / len(chosen)


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

    plt = labkit.plotting() if args.plots else None
    if plt is not None:
        plot_convergence(plt, args.plots, checkpoints, curves)
        plot_family(plt, args.plots, ref_logits, runs)
        plot_never_compared(plt, args.plots, optimum, policies)


if __name__ == "__main__":
    labkit.run_demo(main)
