"""Provided helpers for the preference-learning demos: softmax, KL, Bradley–Terry and the RLHF optimum.

Nothing here is graded and nothing here is a lab exercise. These are small, pure building blocks
that more than one demo needs (sampling preferences from known rewards, fitting per-response
rewards to them, the closed-form optimum of the KL-regularised objective), kept in one place so
that no lab file has to import another lab.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def log_softmax(logits: ArrayLike) -> np.ndarray:
    """Return `log softmax(logits)` along the last axis, computed stably (max subtracted first).

    Args:
        logits: Real scores, shape (..., K) with K >= 1.

    Returns:
        Log-probabilities, float64, same shape as `logits`.
    """
    z = np.asarray(logits, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: ArrayLike) -> np.ndarray:
    """Return `softmax(logits)` along the last axis (probabilities summing to 1).

    Args:
        logits: Real scores, shape (..., K) with K >= 1.

    Returns:
        Probabilities, float64, same shape as `logits`.
    """
    return np.exp(log_softmax(logits))


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """Return `KL(p || q) = sum p * log(p / q)` for two distributions over the same outcomes.

    Terms with `p = 0` count 0; a `p > 0` facing `q = 0` makes the divergence `inf`.

    Args:
        p: Probabilities, shape (K,).
        q: Probabilities, shape (K,).

    Returns:
        The divergence in nats, >= 0.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * (np.log(p[support]) - np.log(q[support]))))


def closed_form_optimum(ref_logits: ArrayLike, rewards: ArrayLike, beta: float) -> np.ndarray:
    """Return the maximiser of `E_pi[r] - beta * KL(pi || pi_ref)`: `softmax(ref_logits + r / beta)`.

    This is `pi*(y) ∝ pi_ref(y) * exp(r(y) / beta)`, the policy RLHF aims for.

    Args:
        ref_logits: Logits of the reference policy, shape (K,).
        rewards: Reward of every response, shape (K,).
        beta: KL coefficient, > 0.

    Returns:
        Probabilities, shape (K,).
    """
    return softmax(np.asarray(ref_logits, dtype=np.float64) + np.asarray(rewards, dtype=np.float64) / beta)


def sample_bradley_terry(rng: np.random.Generator, reward_a: ArrayLike, reward_b: ArrayLike) -> np.ndarray:
    """Sample an annotator's verdicts: `True` where response a is preferred to response b.

    Each verdict is independent, with `P(a ≻ b) = sigmoid(reward_a - reward_b)` (Bradley–Terry).

    Args:
        rng: The random generator to draw from.
        reward_a: True rewards of the first responses, shape (n,).
        reward_b: True rewards of the second responses, shape (n,).

    Returns:
        Boolean array, shape (n,).
    """
    gap = np.asarray(reward_a, dtype=np.float64) - np.asarray(reward_b, dtype=np.float64)
    prob_a = np.exp(-np.logaddexp(0.0, -gap))
    return rng.random(gap.shape) < prob_a


def fit_bradley_terry_rewards(
    chosen: ArrayLike, rejected: ArrayLike, num_responses: int, l2: float = 1e-3, tol: float = 1e-10
) -> np.ndarray:
    """Fit one reward per response to preference pairs by l2-regularised Bradley–Terry (Newton's method).

    Minimises `mean_i -log sigmoid(r[chosen_i] - r[rejected_i]) + (l2 / 2) * ||r||^2`, a logistic
    regression on one-hot features. The loss ignores a common shift of all rewards and the penalty
    removes it, so the fitted rewards sum to 0. Newton steps are halved until the loss decreases.

    Args:
        chosen: Index of the preferred response of every pair, ints (n,).
        rejected: Index of the other response of every pair, ints (n,).
        num_responses: Number of responses K.
        l2: Strength of the penalty, > 0 (it keeps the optimum finite when some response always wins).
        tol: Stop when the gradient's norm falls below this.

    Returns:
        The fitted rewards, shape (K,).
    """
    diff = np.zeros((np.shape(chosen)[0], num_responses))
    rows = np.arange(np.shape(chosen)[0])
    diff[rows, np.asarray(chosen)] += 1.0
    diff[rows, np.asarray(rejected)] -= 1.0

    def loss(r: np.ndarray) -> float:
        return float(np.mean(np.logaddexp(0.0, -diff @ r)) + 0.5 * l2 * r @ r)

    rewards = np.zeros(num_responses)
    for _ in range(100):
        margin = diff @ rewards
        p_wrong = np.exp(-np.logaddexp(0.0, margin))
        grad = -diff.T @ p_wrong / len(margin) + l2 * rewards
        if np.linalg.norm(grad) < tol:
            break
        hessian = (diff.T * (p_wrong * (1.0 - p_wrong))) @ diff / len(margin) + l2 * np.eye(num_responses)
        step = np.linalg.solve(hessian, grad)
        scale = 1.0
        while loss(rewards - scale * step) > loss(rewards) and scale > 1e-8:
            scale /= 2
        rewards = rewards - scale * step
    return rewards
