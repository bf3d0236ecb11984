"""Lab 3 — RLHF: optimising a policy against a reward while staying close to a reference.

The seed course module pictures RLHF as a loop that nudges four capability scores towards a
weighted reward. This lab first reproduces that picture, then builds the real thing on a
policy over K candidate responses: the KL-regularised objective
`J = E_pi[r] - beta * KL(pi || pi_ref)`, its exact gradient, gradient ascent converging to
the closed-form optimum `pi* ∝ pi_ref * exp(r / beta)`, the sampled REINFORCE gradient
with a leave-one-out baseline, PPO's clipped surrogate and the k1/k2/k3 KL estimators.
Two more graded functions answer questions practitioners get wrong: what a KL estimator gives
when it is differentiated in the loss (`kl_loss_gradient`), and the exact distribution of
best-of-n sampling (`best_of_n_policy`). The demo ends with what the KL penalty is for: the
reward–KL trade-off across `beta`, best-of-n beside it, and over-optimisation of a proxy reward
fitted on comparisons. Every `ValueError` names the offending argument in its message.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

import labkit
import preference_kit


def rlhf_capability_step(
    capabilities: dict[str, float],
    reward_weights: dict[str, float],
    step_size: float = 5.0,
    kl_penalty: float = 0.5,
    cap: float = 100.0,
) -> dict[str, float]:
    """One iteration of the seed module's toy RLHF loop on capability scores.

    Every capability moves up in proportion to its reward weight, damped by a constant
    factor `(1 - kl_penalty)`, and is clipped to `[0, cap]`:
    `clip(c + reward_weights[k] * step_size * (1 - kl_penalty), 0, cap)`.
    The name is the seed's: this factor is *not* a KL divergence, only a smaller step.

    Args:
        capabilities: Capability name -> current score.
        reward_weights: Capability name -> weight of that capability in the reward; must have
            exactly the keys of `capabilities`.
        step_size: Points gained per iteration by a capability of weight 1 (>= 0).
        kl_penalty: Fraction of every step that is removed, in `[0, 1]`.
        cap: The largest score a capability can reach.

    Returns:
        The new scores as Python floats, with the keys in the order of `capabilities`.
        The inputs are not modified.

    Raises:
        ValueError: If the two key sets differ, `kl_penalty` is outside `[0, 1]`,
            `step_size` < 0, or any number is not finite. The message names the
            argument (`reward_weights`, `kl_penalty`, ...).

    Example:
        >>> rlhf_capability_step({"Safety": 55.0}, {"Safety": 0.35})
        {'Safety': 55.875}
    """
    raise NotImplementedError("Lab 3: rlhf_capability_step")


def kl_divergence(p: ArrayLike, q: ArrayLike) -> float:
    """The Kullback–Leibler divergence `KL(p || q) = sum_i p_i * log(p_i / q_i)`.

    The first argument is the distribution the expectation is taken under: in RLHF it is
    `kl_divergence(pi, pi_ref)`, the policy first. KL is not symmetric, so the order matters.

    Conventions:
        - Terms with `p_i = 0` contribute 0 (`0 * log(0 / q) = 0`), whatever `q_i` is.
        - If some `p_i > 0` meets `q_i = 0` the divergence is `inf` (returned without
          a numpy warning).
        - Compute `log(p_i) - log(q_i)`, not `log(p_i / q_i)`: the ratio of two tiny
          probabilities can overflow.

    Args:
        p: Probabilities, any shape; non-negative, summing to 1 (abs tol 1e-6).
        q: Probabilities of the same shape, same requirements.

    Returns:
        `KL(p || q)` as a Python float: >= 0 (up to rounding), 0 when `p == q`, possibly
        `inf`.

    Raises:
        ValueError: If the shapes differ, an entry is negative, or `p` or `q` does not sum
            to 1 within 1e-6. The message names the argument (`p` or `q`).

    Example:
        >>> round(kl_divergence([0.5, 0.5], [0.9, 0.1]), 4)
        0.5108
        >>> kl_divergence([0.5, 0.5], [1.0, 0.0])
        inf
    """
    raise NotImplementedError("Lab 3: kl_divergence")


def kl_regularized_objective(
    logits: ArrayLike, ref_logits: ArrayLike, rewards: ArrayLike, beta: float
) -> float:
    """The KL-regularised RLHF objective `J = E_pi[r] - beta * KL(pi || pi_ref)`.

    `pi = softmax(logits)` is the policy over K responses, `pi_ref = softmax(ref_logits)`
    the frozen reference (the SFT model). The KL is `KL(pi || pi_ref)`: the policy first,
    the expectation under the policy. Work with log-probabilities from a stable log-softmax
    (`log_pi = logits - logsumexp(logits)`) and write
    `J = sum_y pi(y) * (r(y) - beta * (log_pi(y) - log_pi_ref(y)))`. Going through
    probabilities instead (`np.log(softmax(...))`) breaks for large logits: `pi_ref` can
    underflow to 0 where `pi` is not, and the KL becomes inf. Here `J` is finite, and
    computed without a numpy warning, for logits up to ±1e3.

    Args:
        logits: Policy logits, shape (K,).
        ref_logits: Reference logits, shape (K,).
        rewards: Reward of each response, shape (K,).
        beta: KL coefficient, >= 0 (0 means plain reward maximisation).

    Returns:
        `J` as a Python float. Adding a constant to `logits` or `ref_logits` leaves it
        unchanged; adding `c` to every reward adds `c`.

    Raises:
        ValueError: If the three shapes differ (or are not a non-empty (K,)), or `beta` < 0.
            The message names the argument (`ref_logits`, `rewards` or `beta`).

    Example:
        >>> kl_regularized_objective([0.0, 0.0], [0.0, 0.0], [1.0, 3.0], beta=0.5)
        2.0
    """
    raise NotImplementedError("Lab 3: kl_regularized_objective")


def kl_regularized_gradient(
    logits: ArrayLike, ref_logits: ArrayLike, rewards: ArrayLike, beta: float
) -> np.ndarray:
    """The exact gradient `dJ/dlogits` of `kl_regularized_objective`.

    Derivation. Write `J = sum_y pi(y) * (r(y) - beta * (log pi(y) - log pi_ref(y)))`.
    Treating the probabilities as free variables,
    `dJ/dpi(y) = a(y)` with `a = r - beta * (log pi - log pi_ref) - beta`
    (the last `-beta` comes from differentiating the `log pi` inside the sum).
    The softmax Jacobian is `dpi(y)/dz(k) = pi(y) * ([y == k] - pi(k))`, so

        dJ/dz = pi * (a - E_pi[a]),  with E_pi[a] = sum_y pi(y) * a(y).

    Subtracting `E_pi[a]` is what makes the gradient sum to 0 (adding the same constant to
    every logit changes nothing); the constant `-beta` in `a` cancels in that subtraction.
    Use log-probabilities from a stable log-softmax so that the result is finite, with no numpy
    warning, for logits up to ±1e3.

    Args:
        logits: Policy logits, shape (K,).
        ref_logits: Reference logits, shape (K,).
        rewards: Reward of each response, shape (K,).
        beta: KL coefficient, >= 0.

    Returns:
        `dJ/dlogits`, a float64 array of shape (K,) whose entries sum to 0 (up to rounding).
        Adding a constant to `logits`, to `ref_logits` or to every reward leaves it unchanged.
        It is zero exactly at `logits = log optimal_policy(...) + constant`.

    Raises:
        ValueError: If the three shapes differ (or are not a non-empty (K,)), or `beta` < 0.
            The message names the argument (`ref_logits`, `rewards` or `beta`).

    Example:
        >>> kl_regularized_gradient([0.0, 0.0], [0.0, 0.0], [1.0, 3.0], beta=0.5)
        array([-0.5,  0.5])
    """
    raise NotImplementedError("Lab 3: kl_regularized_gradient")


def rlhf_update(
    logits: ArrayLike, ref_logits: ArrayLike, rewards: ArrayLike, beta: float, lr: float
) -> np.ndarray:
    """One step of gradient *ascent* on `J`: `logits + lr * kl_regularized_gradient(...)`.

    `J` is maximised, so the step adds the gradient: a small enough step never lowers `J`.
    At the optimum, `logits = log optimal_policy(...)`, the gradient is 0 and the logits do
    not move. The input `logits` are not modified; a new array is returned.

    Args:
        logits: Policy logits, shape (K,).
        ref_logits: Reference logits, shape (K,).
        rewards: Reward of each response, shape (K,).
        beta: KL coefficient, >= 0.
        lr: Step size, > 0.

    Returns:
        The updated logits, a float64 array of shape (K,).

    Raises:
        ValueError: If the three shapes differ, `beta` < 0, or `lr` <= 0. The message names
            the argument; a `ValueError` raised by your `kl_regularized_gradient` (if you
            call it) names its own argument, which is one of this function's too.

    Example:
        >>> rlhf_update([0.0, 0.0], [0.0, 0.0], [1.0, 3.0], beta=0.5, lr=2.0)
        array([-1.,  1.])
    """
    raise NotImplementedError("Lab 3: rlhf_update")


def optimal_policy(ref_logits: ArrayLike, rewards: ArrayLike, beta: float) -> np.ndarray:
    """The maximiser of `J`: `pi*(y) = pi_ref(y) * exp(r(y) / beta) / Z`.

    Work in log space: `log pi*(y) = log pi_ref(y) + r(y) / beta - log Z`, and since a
    softmax ignores constants, `pi* = softmax(ref_logits + rewards / beta)`. Subtract the
    maximum before exponentiating so that large `r / beta` (small `beta`) cannot overflow
    (no numpy warning). As `beta -> 0` the policy puts all its mass on the best-rewarded
    response(s); as `beta -> inf` it tends to `pi_ref`.

    Args:
        ref_logits: Reference logits, shape (K,).
        rewards: Reward of each response, shape (K,).
        beta: KL coefficient, > 0.

    Returns:
        The probabilities `pi*`, a float64 array of shape (K,) summing to 1. At this policy
        `J = beta * log E_pi_ref[exp(r / beta)]`, the largest value `J` can take.

    Raises:
        ValueError: If `beta` <= 0 or the shapes differ (or are not a non-empty (K,)). The
            message names the argument (`beta` or `rewards`).

    Example:
        >>> optimal_policy([0.0, 0.0], [0.0, np.log(3.0)], beta=1.0)
        array([0.25, 0.75])
    """
    raise NotImplementedError("Lab 3: optimal_policy")


def reinforce_kl_gradient(
    logits: ArrayLike, ref_logits: ArrayLike, samples: ArrayLike, sample_rewards: ArrayLike, beta: float
) -> np.ndarray:
    """The sampled (REINFORCE) estimate of `dJ/dlogits` with a leave-one-out baseline.

    `samples` are responses drawn from `pi = softmax(logits)`. For each sample `y_i`:

    - the shaped reward folds the KL in:
      `s_i = r_i - beta * (log pi(y_i) - log pi_ref(y_i))` (log-probabilities from a stable
      log-softmax);
    - the leave-one-out baseline is the mean shaped reward of the *other* samples,
      `b_i = (sum_j s_j - s_i) / (n - 1)` (not the mean of all n: including `s_i` itself
      correlates the baseline with the sample and biases the estimate by a factor (n-1)/n);
    - the score function of a softmax is `d log pi(y_i) / dlogits = onehot(y_i) - pi`.

    The estimate is `mean_i (s_i - b_i) * (onehot(y_i) - pi)`. Because `b_i` does not
    depend on `y_i`, its expectation is exactly `kl_regularized_gradient(...)`.

    Args:
        logits: Policy logits, shape (K,).
        ref_logits: Reference logits, shape (K,).
        samples: Sampled response indices, integers in `[0, K)`, shape (n,), n >= 2.
        sample_rewards: Reward of each sample, shape (n,).
        beta: KL coefficient, >= 0.

    Returns:
        The gradient estimate, a float64 array of shape (K,).

    Raises:
        ValueError: If n < 2, a sample is not an integer in `[0, K)`, `beta` < 0, the
            lengths of `samples` and `sample_rewards` differ, or `logits` and
            `ref_logits` differ in shape. The message names the argument (`samples`,
            `sample_rewards`, `beta` or `ref_logits`).

    Example:
        >>> reinforce_kl_gradient([0.0, 0.0], [0.0, 0.0], [0, 1], [1.0, 3.0], beta=0.5)
        array([-1.,  1.])
    """
    raise NotImplementedError("Lab 3: reinforce_kl_gradient")


def ppo_clip_objective(
    logp_new: ArrayLike, logp_old: ArrayLike, advantages: ArrayLike, clip_eps: float = 0.2
) -> float:
    """PPO's clipped surrogate objective (to be maximised).

    With the probability ratio `rho = exp(logp_new - logp_old)` per sample:

        mean(min(rho * A, clip(rho, 1 - clip_eps, 1 + clip_eps) * A))

    It is the *minimum* (the pessimistic bound) of the unclipped and clipped terms, not the
    maximum: for `A > 0` the gain stops growing once `rho > 1 + clip_eps`; for `A < 0`
    the loss keeps growing for large `rho` and is only capped from below by
    `rho >= 1 - clip_eps`. Equivalently, per sample: `min(rho, 1 + clip_eps) * A` when
    `A >= 0` and `max(rho, 1 - clip_eps) * A` when `A < 0`; computing it that way never
    exponentiates a log-ratio larger than needed, so no overflow for positive advantages.

    Args:
        logp_new: Log-probabilities of the sampled responses under the policy being
            optimised, shape (n,).
        logp_old: Log-probabilities under the policy that drew the samples, shape (n,).
        advantages: Advantage estimate `A` of each sample, shape (n,).
        clip_eps: Clipping range, in `(0, 1)`.

    Returns:
        The mean clipped surrogate as a Python float; equals `mean(A)` when
        `logp_new == logp_old`.

    Raises:
        ValueError: If the three lengths differ or `clip_eps` is outside `(0, 1)`. The
            message names the argument (`logp_old`, `advantages` or `clip_eps`).

    Example:
        >>> ppo_clip_objective([np.log(2.0)], [0.0], [1.0])  # rho = 2 clipped to 1.2
        1.2
    """
    raise NotImplementedError("Lab 3: ppo_clip_objective")


def kl_estimators(logp: ArrayLike, logp_ref: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-sample estimators of `KL(pi || pi_ref)` for samples drawn from `pi` (Schulman).

    With `log_ratio = logp - logp_ref = log(pi(y) / pi_ref(y))` for each sample:

    - `k1 = log_ratio`: unbiased, but a single value can be negative and its variance is high;
    - `k2 = log_ratio**2 / 2`: always >= 0, low variance, biased (exact only to second order);
    - `k3 = exp(-log_ratio) - 1 + log_ratio`: unbiased (`E_pi[pi_ref / pi] = 1`) and
      always >= 0 (because `exp(x) >= 1 + x`); low variance near `pi_ref`, but a heavy tail
      when `pi` is far from it. Note the minus sign inside the exponential: the ratio is
      `pi_ref / pi`.

    Which estimator is best for *measuring* the KL is a different question from which one to
    put in a loss and differentiate: see `kl_loss_gradient`.

    The samples must come from `pi`, the first distribution of the KL; the mean of an
    estimator over many samples approximates the KL.

    Args:
        logp: `log pi(y_i)` for each sample, any shape.
        logp_ref: `log pi_ref(y_i)` for the same samples, the same shape.

    Returns:
        `(k1, k2, k3)`, three float64 arrays of the shape of `logp`.

    Raises:
        ValueError: If the shapes differ. The message names the arguments (`logp` and
            `logp_ref`).

    Example:
        >>> k1, k2, k3 = kl_estimators([0.0], [np.log(2.0)])
        >>> round(float(k1[0]), 4), round(float(k2[0]), 4), round(float(k3[0]), 4)
        (-0.6931, 0.2402, 0.3069)
    """
    raise NotImplementedError("Lab 3: kl_estimators")


def kl_loss_gradient(logits: ArrayLike, ref_logits: ArrayLike, estimator: str) -> np.ndarray:
    """The expected gradient of a per-sample KL estimator put in the *loss* (as GRPO does).

    Trainers such as GRPO do not fold the KL into the reward; they add `beta * k(y)` to the
    loss for each sampled response `y` and let automatic differentiation take its gradient.
    The sample `y` is held fixed (no gradient flows through the sampling), so what they get, in
    expectation over `y ~ pi = softmax(logits)`, is

        sum_y pi(y) * d k(y) / d logits,

    where `k(y)` is `k1`, `k2` or `k3` of `kl_estimators`, evaluated at `logp = log pi(y)`
    (a function of `logits`) and `logp_ref = log pi_ref(y)` (a constant). Use the chain rule:
    `d log pi(y) / d logits = onehot(y) - pi`, and `d k / d logp` is `1` for `k1`,
    `log_ratio` for `k2` and `1 - exp(-log_ratio)` for `k3`.

    Derive what each estimator gives (the grader checks the result, not your derivation):
    one of them gives no gradient at all, one gives the gradient of `KL(pi || pi_ref)`, and one
    gives the gradient of the *reverse* divergence `KL(pi_ref || pi)`. The estimator that is
    best for *measuring* the KL is not the one whose gradient is right. Where a formula has
    `pi * exp(-log_ratio)`, write it as `pi_ref`: `exp(-log_ratio)` overflows when `pi` is
    tiny. The result must be finite, with no numpy warning, for logits up to ±1e3.

    Args:
        logits: Policy logits, shape (K,).
        ref_logits: Reference logits, shape (K,).
        estimator: `"k1"`, `"k2"` or `"k3"`, as in `kl_estimators`.

    Returns:
        The expected gradient with respect to `logits`, a float64 array of shape (K,) whose
        entries sum to 0 (up to rounding). Adding a constant to `logits` or to `ref_logits`
        leaves it unchanged.

    Raises:
        ValueError: If `logits` is not a non-empty 1-D array, `ref_logits` has another
            shape, or `estimator` is not one of `"k1"`, `"k2"`, `"k3"`. The message names
            the argument.

    Example:
        >>> kl_loss_gradient([0.0, 0.0], [0.0, np.log(3.0)], "k3")
        array([ 0.25, -0.25])
    """
    raise NotImplementedError("Lab 3: kl_loss_gradient")


def best_of_n_policy(ref_logits: ArrayLike, rewards: ArrayLike, n: int) -> np.ndarray:
    """The exact distribution of best-of-n sampling from the reference policy.

    Best-of-n draws `n` responses independently from `pi_ref = softmax(ref_logits)` and keeps
    one with the highest reward; when several of the draws share the highest reward, one of
    them is picked uniformly at random. Group the responses by reward level `v` (responses with
    *exactly* equal rewards share a level) and let `F(v)` be the reference mass with reward
    `<= v` and `F(v-)` the mass with reward `< v`. The best of the n draws lies at level `v`
    with probability `F(v)**n - F(v-)**n`, and that probability is shared among the responses of
    the level in proportion to `pi_ref` (not equally). `n = 1` gives back `pi_ref`.

    Precision: the result must be accurate to 1e-12 (absolute) for `n` up to 1e6 and logits up
    to ±1e3. `1 - F` computed by subtraction loses every digit below 1e-16, which `**n` then
    magnifies: compute the tail mass `T(v) = 1 - F(v)` (reward `> v`) directly as a sum, and
    `F(v)**n` as `exp(n * log1p(-T(v)))` where `T(v)` is small. Share a level's probability
    using `pi_ref(y) / mass(level)` from log-probabilities, so that a level whose mass
    underflows does not divide 0 by 0.

    Args:
        ref_logits: Reference logits, shape (K,).
        rewards: Reward of each response, shape (K,); ties allowed.
        n: Number of draws, an integer >= 1.

    Returns:
        The probabilities of the kept response, a float64 array of shape (K,) summing to 1.

    Raises:
        ValueError: If `n` is not an integer >= 1, `ref_logits` is not a non-empty 1-D
            array, or `rewards` has another shape. The message names the argument.

    Example:
        >>> best_of_n_policy([0.0, 0.0], [0.0, 1.0], n=2)  # keeps the better one unless both are bad
        array([0.25, 0.75])
    """
    raise NotImplementedError("Lab 3: best_of_n_policy")


# --------------------------------------------------------------------------------------------
# Demo
# --------------------------------------------------------------------------------------------

DEMO_SHOWS = ("58.8", "62.2", "+3.4")
"""What the demo prints, checked by tests/test_demos.py: the seed's numbers it reproduces, or its tables' labels."""
SEED_CAPABILITIES = {"Helpfulness": 65.0, "Clarity": 70.0, "Safety": 55.0, "Refusal Robustness": 40.0}
SEED_REWARD_WEIGHTS = {"Helpfulness": 0.30, "Clarity": 0.20, "Safety": 0.35, "Refusal Robustness": 0.15}
SEED_ITERATIONS = 5

# K candidate answers to one prompt: the seed's response styles and a few more, each scored on
# the seed's four attributes (0-100). The true reward is the seed's weighted sum of them, in tens
# of points; the reference (SFT) policy's expected attributes are the seed's SFT scores.
RESPONSES = (
    "Generic",
    "Detailed",
    "Too long",
    "Unsafe",
    "Concise",
    "Over-refusal",
    "Hallucinated",
    "Sycophantic",
)
ATTRIBUTES = np.array(
    [
        [70.0, 60.0, 55.0, 44.0],
        [92.0, 86.0, 60.0, 55.0],
        [75.0, 33.0, 60.0, 40.0],
        [85.0, 70.0, 5.0, 9.0],
        [75.0, 90.0, 60.0, 50.0],
        [10.0, 60.0, 95.0, 61.0],
        [40.0, 76.0, 40.0, 20.0],
        [73.0, 72.0, 45.0, 25.0],
    ]
)
REFERENCE_PROBS = np.array([0.26, 0.10, 0.04, 0.06, 0.14, 0.12, 0.08, 0.20])
TRUE_REWARDS = ATTRIBUTES @ np.array(list(SEED_REWARD_WEIGHTS.values())) / 10
DEMO_BETA = 0.5
BEST_OF = (1, 2, 4, 8, 16, 64, 256)
COMPARISON_COUNTS = (25, 100, 400, 1600)
PROXIES_PER_COUNT = 30
SWEEP_BETAS = np.logspace(-2, 1, 30)


def _probabilities(logits: np.ndarray) -> np.ndarray:
    return np.exp(logits - np.logaddexp.reduce(logits))


def _seed_reward(capabilities: dict[str, float]) -> float:
    return sum(SEED_REWARD_WEIGHTS[k] * capabilities[k] for k in SEED_REWARD_WEIGHTS)


def _seed_section() -> None:
    labkit.heading("1. The seed's RLHF table (rlhf_capability_step, 5 iterations)")
    history = [dict(SEED_CAPABILITIES)]
    for _ in range(SEED_ITERATIONS):
        history.append(rlhf_capability_step(history[-1], SEED_REWARD_WEIGHTS))
    rows = [[i, *caps.values(), _seed_reward(caps)] for i, caps in enumerate(history)]
    labkit.print_table(
        ["Iteration", *SEED_CAPABILITIES, "Total reward"], rows, ["d", ".1f", ".1f", ".1f", ".1f", ".1f"]
    )
    start, end = _seed_reward(history[0]), _seed_reward(history[-1])
    print(f"\nTotal reward {start:.1f} -> {end:.1f} ({end - start:+.1f}).")
    steps_to_cap = 0
    caps = dict(SEED_CAPABILITIES)
    while any(value < 100.0 for value in caps.values()):
        caps = rlhf_capability_step(caps, SEED_REWARD_WEIGHTS)
        steps_to_cap += 1
    print(
        "What this toy misses: its 'kl_penalty' only halves every step; no distribution is compared\n"
        "with a reference, so nothing pulls the model back and nothing converges. Each score grows\n"
        "by the same amount every iteration until the clip: after "
        f"{steps_to_cap} iterations all four sit at 100.\n"
        "The rest of the demo optimises a real policy against a real KL penalty."
    )


def _policy_section(ref_logits: np.ndarray) -> np.ndarray:
    labkit.heading(
        f"2a. A policy over {len(RESPONSES)} responses, exact gradient ascent (beta = {DEMO_BETA})"
    )
    ref = np.exp(ref_logits)
    target = optimal_policy(ref_logits, TRUE_REWARDS, DEMO_BETA)
    logits = ref_logits.copy()
    rows = []
    for step in range(1001):
        if step in (0, 1, 2, 5, 10, 20, 50, 100, 300, 1000):
            pi = _probabilities(logits)
            objective = kl_regularized_objective(logits, ref_logits, TRUE_REWARDS, DEMO_BETA)
            rows.append(
                [step, pi @ TRUE_REWARDS, kl_divergence(pi, ref), objective, kl_divergence(pi, target)]
            )
        logits = rlhf_update(logits, ref_logits, TRUE_REWARDS, DEMO_BETA, lr=5.0)
    labkit.print_table(
        ["Step", "E_pi[r]", "KL(pi||ref)", "J", "KL(pi||pi*)"], rows, ["d", ".4f", ".4f", ".4f", ".2e"]
    )
    best_j = DEMO_BETA * np.log(ref @ np.exp(TRUE_REWARDS / DEMO_BETA))
    print(
        f"Closed form at pi*: J* = beta * log E_ref[exp(r / beta)] = {best_j:.4f}. The last steps are slow:\n"
        "the gradient of a logit is proportional to its probability, so rare responses move slowly."
    )
    final = _probabilities(logits)
    labkit.print_table(
        ["Response", "reward", "pi_ref", "pi after 1000 steps", "optimal_policy"],
        [[name, TRUE_REWARDS[k], ref[k], final[k], target[k]] for k, name in enumerate(RESPONSES)],
        ["", "+.1f", ".3f", ".3f", ".3f"],
    )
    return target


def _reinforce_section(ref_logits: np.ndarray, target: np.ndarray) -> None:
    labkit.heading("2b. The sampled route: REINFORCE with a leave-one-out baseline (8 samples/step)")
    rng = np.random.default_rng(3)
    batch, lr = 8, 0.5
    ref = np.exp(ref_logits)
    logits = ref_logits.copy()
    rows = []
    for step in range(3001):
        pi = _probabilities(logits)
        if step in (0, 100, 300, 1000, 3000):
            rows.append([step, pi @ TRUE_REWARDS, kl_divergence(pi, ref), kl_divergence(pi, target)])
        samples = rng.choice(len(RESPONSES), size=batch, p=pi)
        grad = reinforce_kl_gradient(logits, ref_logits, samples, TRUE_REWARDS[samples], DEMO_BETA)
        logits = logits + lr / (1 + step / 500) * grad
    labkit.print_table(["Step", "E_pi[r]", "KL(pi||ref)", "KL(pi||pi*)"], rows, ["d", ".4f", ".4f", ".2e"])
    print("Noisy steps, but the same optimum: KL to pi* shrinks as the step size decays.")

    print("\nEstimating KL(pi||ref) from 500 samples of a policy (what an RLHF trainer logs):")
    trained = logits - np.logaddexp.reduce(logits)
    near = np.log(optimal_policy(ref_logits, TRUE_REWARDS, 3.0))
    est_rows = []
    for label, log_pi in (("near ref (pi* at beta=3)", near), ("trained above", trained)):
        pi = np.exp(log_pi)
        samples = rng.choice(len(RESPONSES), size=500, p=pi)
        sampled = kl_estimators(log_pi[samples], ref_logits[samples])
        expected = [pi @ values for values in kl_estimators(log_pi, ref_logits)]
        exact = kl_divergence(pi, ref)
        for name, values, mean in zip(("k1", "k2", "k3"), sampled, expected, strict=True):
            std_error = values.std() / np.sqrt(values.size)
            est_rows.append([label, name, values.mean(), std_error, np.mean(values < 0), mean, exact])
    labkit.print_table(
        ["Policy", "Estimator", "sample mean", "std error", "share < 0", "E_pi[estimator]", "exact KL"],
        est_rows,
        ["", "", ".4f", ".4f", ".2f", ".4f", ".4f"],
    )
    print(
        "E_pi[k1] and E_pi[k3] equal the KL exactly (unbiased); E_pi[k2] does not (biased, more so far\n"
        "from the reference). Single k1 values are often negative; k3 never is. Near the reference k3 is\n"
        "far less noisy than k1; far from it, rare samples with a large pi_ref / pi give k3 a heavy tail\n"
        "and here a larger standard error than k1's. No estimator is best everywhere (see also 2c)."
    )


def _frontier(ref_logits: np.ndarray, rewards: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """Rows (beta, E_pi*[r], KL(pi*||ref), index of the likeliest response, its probability)."""
    ref = np.exp(ref_logits)
    rows = []
    for beta in betas:
        pi = optimal_policy(ref_logits, rewards, beta)
        rows.append([beta, pi @ rewards, kl_divergence(pi, ref), np.argmax(pi), pi.max()])
    return np.array(rows)


def _frontier_section(ref_logits: np.ndarray, plt, folder) -> None:
    labkit.heading("3. The reward-KL frontier: optimal_policy across beta")
    betas = np.array([0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    frontier = _frontier(ref_logits, TRUE_REWARDS, betas)
    rows = [[beta, reward, kl, RESPONSES[int(top)], prob] for beta, reward, kl, top, prob in frontier]
    labkit.print_table(
        ["beta", "E_pi*[r]", "KL(pi*||ref)", "top response", "its prob"],
        rows,
        [".2f", ".4f", ".4f", "", ".3f"],
    )
    ref = np.exp(ref_logits)
    best = int(np.argmax(TRUE_REWARDS))
    print(
        f"Reference policy: E_ref[r] = {ref @ TRUE_REWARDS:.4f}, best response '{RESPONSES[best]}' "
        f"(reward {TRUE_REWARDS[best]:+.1f}).\n"
        f"Too weak a penalty (beta -> 0): the policy collapses onto '{RESPONSES[best]}' (probability 1)\n"
        f"and KL climbs to its ceiling -log pi_ref({RESPONSES[best]}) = {-np.log(ref[best]):.3f}; with the\n"
        "astronomically many answers of a real language model there is no such ceiling and KL explodes.\n"
        "Too strong (beta = 10): KL ~ 0 and the reward barely moves from the reference's."
    )
    if plt is not None:
        dense = _frontier(ref_logits, TRUE_REWARDS, np.logspace(-2, 1, 60))
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(dense[:, 2], dense[:, 1], "-")
        ax.plot(frontier[:, 2], frontier[:, 1], "o")
        for beta, reward, kl, _, _ in frontier[frontier[:, 0] >= 0.1]:
            label, offset = ("beta <= 0.1", (-40, 8)) if beta == 0.1 else (f"beta = {beta:g}", (6, -12))
            ax.annotate(label, (kl, reward), textcoords="offset points", xytext=offset, fontsize=8)
        ax.margins(x=0.1, y=0.12)  # room for the labels of the end points
        ax.set_xlabel("KL(pi* || pi_ref)")
        ax.set_ylabel("expected reward E_pi*[r]")
        ax.set_title("Reward-KL frontier of the RLHF optimum")
        print(f"wrote {labkit.save_figure(fig, folder, 'lab3_reward_kl_frontier')}")


def _capability_section(ref_logits: np.ndarray, plt, folder) -> None:
    labkit.heading("1b. The seed's table made real: optimal_policy on attribute-scored responses")
    names = list(SEED_REWARD_WEIGHTS)
    labkit.print_table(
        ["Response", *names, "pi_ref", "true reward"],
        [[name, *ATTRIBUTES[k], REFERENCE_PROBS[k], TRUE_REWARDS[k]] for k, name in enumerate(RESPONSES)],
        ["", ".0f", ".0f", ".0f", ".0f", ".2f", ".3f"],
    )
    ref = np.exp(ref_logits)
    weights = np.array(list(SEED_REWARD_WEIGHTS.values()))
    start = ref @ ATTRIBUTES
    rows = [["pi_ref (SFT)", 0.0, *start, start @ weights]]
    gains = {}
    for beta in (3.0, 1.0, 0.5, 0.3, 0.1):
        pi = optimal_policy(ref_logits, TRUE_REWARDS, beta)
        expected = pi @ ATTRIBUTES
        if beta in (3.0, 1.0, 0.3):
            gains[beta] = expected - start
        rows.append([f"pi*, beta = {beta:g}", kl_divergence(pi, ref), *expected, expected @ weights])
    print(
        "\nThe reward is the seed's weights on these attributes (divided by 10). Expected attributes under\n"
        "the optimum for each beta; the first row is the seed's SFT row:"
    )
    labkit.print_table(["Policy", "KL(pi||ref)", *names, "Total reward"], rows, ["", ".3f", *[".1f"] * 5])
    centred = ATTRIBUTES - start
    covariance = centred.T @ (ref[:, None] * centred)
    spread = np.sqrt(np.diag(covariance))
    with_helpfulness = covariance[0] / spread / spread[0]
    labkit.print_table(
        ["Attribute", "weight", *[f"gain, beta = {b:g}" for b in gains], "corr. with Helpfulness"],
        [
            [name, weights[k], *[gains[b][k] for b in gains], with_helpfulness[k]]
            for k, name in enumerate(names)
        ],
        ["", ".2f", *["+.1f"] * len(gains), "+.2f"],
    )
    best = int(np.argmax(TRUE_REWARDS))
    print(
        "(Correlations under pi_ref.) The gains are not in the order of the weights. As beta falls the\n"
        f"policy concentrates on '{RESPONSES[best]}' and every attribute tends to its score there: Safety,\n"
        f"the largest weight, stops at {ATTRIBUTES[best, 2]:.0f}, because the safest answer, "
        f"'{RESPONSES[5]}' (Safety {ATTRIBUTES[5, 2]:.0f}),\nis the least helpful one "
        f"(Helpfulness {ATTRIBUTES[5, 0]:.0f}): Safety is anti-correlated with Helpfulness."
    )
    if plt is not None:
        dense = np.logspace(-2, 1, 60)
        policies = [optimal_policy(ref_logits, TRUE_REWARDS, b) for b in dense]
        kls = [kl_divergence(pi, ref) for pi in policies]
        fig, ax = plt.subplots(figsize=(6, 4))
        for k, (name, style) in enumerate(zip(names, ("-", "--", "-.", ":"), strict=True)):
            ax.plot(
                kls, [pi @ ATTRIBUTES[:, k] for pi in policies], style, label=f"{name} (w = {weights[k]:g})"
            )
        ax.set_xlabel("KL(pi* || pi_ref)")
        ax.set_ylabel("expected attribute score under pi*")
        ax.set_title("The seed's four attributes along the RLHF optimum")
        ax.legend()
        print(f"wrote {labkit.save_figure(fig, folder, 'lab3_attributes')}")


def _kl_in_loss_section(ref_logits: np.ndarray, target: np.ndarray, plt, folder) -> None:
    labkit.heading(
        f"2c. KL in the reward or in the loss: ascent with each estimator's gradient (beta = {DEMO_BETA})"
    )
    ref = np.exp(ref_logits)
    steps, lr = 3000, 5.0
    rows, curves = [], {}
    for estimator in ("k1", "k2", "k3"):
        logits, curve = ref_logits.copy(), []
        for _ in range(steps):
            reward_gradient = kl_regularized_gradient(logits, ref_logits, TRUE_REWARDS, 0.0)
            logits = logits + lr * (
                reward_gradient - DEMO_BETA * kl_loss_gradient(logits, ref_logits, estimator)
            )
            curve.append(kl_divergence(_probabilities(logits), target))
        curves[estimator] = curve
        pi = _probabilities(logits)
        top = int(np.argmax(pi))
        rows.append(
            [
                estimator,
                pi @ TRUE_REWARDS,
                kl_divergence(pi, ref),
                curve[-1],
                f"{RESPONSES[top]} {pi[top]:.3f}",
            ]
        )
    rows.append(
        [
            "optimal_policy",
            target @ TRUE_REWARDS,
            kl_divergence(target, ref),
            0.0,
            f"{RESPONSES[1]} {target[1]:.3f}",
        ]
    )
    print(f"Each policy after {steps} steps of ascent on E_pi[r] - beta * (the estimator in the loss):")
    labkit.print_table(
        ["KL term in the loss", "E_pi[r]", "KL(pi||ref)", "KL(pi||pi*)", "top response"],
        rows,
        ["", ".4f", ".4f", ".2e", ""],
    )
    log_target = np.log(target)
    exact = kl_divergence(target, ref)
    estimates = kl_estimators(log_target, ref_logits)
    print(f"\nThe same estimators as estimators of KL(pi*||ref) = {exact:.4f}, one sample y ~ pi*:")
    labkit.print_table(
        ["Estimator", "E[k] - KL (bias)", "std of one sample"],
        [
            [name, target @ k - exact, np.sqrt(target @ (k - target @ k) ** 2)]
            for name, k in zip(("k1", "k2", "k3"), estimates, strict=True)
        ],
        ["", "+.4f", ".4f"],
    )
    print(
        "In the loss, k2's gradient is the KL's: it reaches optimal_policy. k3's is the gradient of the\n"
        "reverse KL(ref||pi): it ends elsewhere. k1's is zero in expectation: no penalty at all, the\n"
        "policy collapses onto the best response. As estimators, k1 and k3 are unbiased and k2 is not;\n"
        "here, at pi*, k3 has the largest spread. Which estimator to log and which to differentiate\n"
        "are different questions."
    )
    if plt is not None:
        fig, ax = plt.subplots(figsize=(6, 4))
        for (estimator, curve), style in zip(curves.items(), ("-", "--", ":"), strict=True):
            ax.plot(np.arange(1, steps + 1), curve, style, label=f"{estimator} in the loss")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("KL(pi || pi*)")
        ax.set_title("Which KL estimator in the loss reaches the RLHF optimum")
        ax.legend()
        print(f"wrote {labkit.save_figure(fig, folder, 'lab3_kl_in_the_loss')}")


def _clipped_surrogate_gradient(logits, samples, logp_old, advantages, clip_eps) -> tuple[np.ndarray, float]:
    """The gradient of PPO's clipped surrogate with respect to the logits, and the clip fraction.

    A sample whose clipped term is strictly smaller than the unclipped one carries no gradient;
    the others contribute `rho * A * (onehot(y) - pi)`.
    """
    log_pi = logits - np.logaddexp.reduce(logits)
    rho = np.exp(log_pi[samples] - logp_old)
    clipped = ((advantages > 0) & (rho > 1 + clip_eps)) | ((advantages < 0) & (rho < 1 - clip_eps))
    weight = np.where(clipped, 0.0, rho * advantages)
    counts = np.bincount(samples, weights=weight, minlength=logits.size)
    return (counts - weight.sum() * np.exp(log_pi)) / samples.size, float(np.mean(clipped))


def _ppo_section(ref_logits: np.ndarray, target: np.ndarray) -> None:
    labkit.heading("2d. PPO: several epochs of clipped updates on each batch (KL in the reward)")
    rng = np.random.default_rng(5)
    ref = np.exp(ref_logits)
    batch, epochs, lr, clip_eps = 32, 8, 1.0, 0.2
    logits = ref_logits.copy()
    rows, first_batch = [], []
    for iteration in range(301):
        pi_old = _probabilities(logits)
        samples = rng.choice(len(RESPONSES), size=batch, p=pi_old)
        logp_old = np.log(pi_old[samples])
        shaped = TRUE_REWARDS[samples] - DEMO_BETA * (logp_old - ref_logits[samples])
        advantages = shaped - (shaped.sum() - shaped) / (batch - 1)  # leave-one-out, as in RLOO
        fractions = []
        for epoch in range(epochs):
            log_pi = logits - np.logaddexp.reduce(logits)
            surrogate = ppo_clip_objective(log_pi[samples], logp_old, advantages, clip_eps)
            gradient, fraction = _clipped_surrogate_gradient(logits, samples, logp_old, advantages, clip_eps)
            fractions.append(fraction)
            if iteration == 0:
                first_batch.append(
                    [epoch, surrogate, fraction, kl_divergence(_probabilities(logits), pi_old)]
                )
            logits = logits + lr * gradient
        if iteration in (10, 30, 100, 300):
            pi = _probabilities(logits)
            rows.append(
                [
                    iteration,
                    pi @ TRUE_REWARDS,
                    kl_divergence(pi, ref),
                    kl_divergence(pi, target),
                    np.mean(fractions),
                ]
            )
    print(f"The first batch ({batch} samples), {epochs} epochs of gradient ascent on ppo_clip_objective:")
    labkit.print_table(
        ["Epoch", "surrogate", "clip fraction", "KL(pi||pi_old)"], first_batch, ["d", ".4f", ".3f", ".4f"]
    )
    print("\nAfter many batches (clip fraction: the mean over the last batch's epochs):")
    labkit.print_table(
        ["Batches", "E_pi[r]", "KL(pi||ref)", "KL(pi||pi*)", "clip fraction"],
        rows,
        ["d", ".4f", ".4f", ".2e", ".3f"],
    )
    print(
        "The surrogate starts at mean(A) = 0 (leave-one-out advantages sum to 0). Within the batch the\n"
        "policy moves away from the one that drew the samples and more samples are clipped: clipped\n"
        "samples carry no gradient, which is what stops one batch from moving the policy too far.\n"
        "Across batches the policy approaches optimal_policy; near it the updates are small and no\n"
        "sample is clipped any more."
    )


def _beta_with_kl(ref_logits: np.ndarray, rewards: np.ndarray, kl: float) -> float:
    """The beta at which optimal_policy(rewards) has this KL to pi_ref (bisection in log beta)."""
    ref = np.exp(ref_logits)
    low, high = np.log(1e-3), np.log(1e3)
    for _ in range(60):
        middle = (low + high) / 2
        if kl_divergence(optimal_policy(ref_logits, rewards, np.exp(middle)), ref) > kl:
            low = middle
        else:
            high = middle
    return float(np.exp((low + high) / 2))


def _best_of_n_section(ref_logits: np.ndarray, plt, folder) -> None:
    labkit.heading("3b. Best-of-n against optimal_policy at the same KL, on the true reward and on a proxy")
    ref = np.exp(ref_logits)
    proxy = _fitted_proxy(np.random.default_rng(0), 100, ref)
    print(
        "The proxy: fitted on 100 simulated comparisons (see section 4): "
        + ", ".join(f"{v:+.2f}" for v in proxy)
    )
    rows, points = [], []
    for n in BEST_OF:
        cells: list[float] = [n]
        for rewards in (TRUE_REWARDS, proxy):
            chosen = best_of_n_policy(ref_logits, rewards, n)
            kl = max(kl_divergence(chosen, ref), 0.0)  # best-of-1 is pi_ref: 0 up to rounding
            matched = (
                optimal_policy(ref_logits, rewards, _beta_with_kl(ref_logits, rewards, kl)) if kl > 0 else ref
            )
            cells += [kl, chosen @ TRUE_REWARDS, matched @ TRUE_REWARDS]
        points.append(cells[1:3])
        rows.append([*cells[:2], np.log(n) - (n - 1) / n, *cells[2:]])
    labkit.print_table(
        [
            "n",
            "KL(BoN||ref)",
            "log n-(n-1)/n",
            "BoN: true r",
            "pi*: true r",
            "proxy: KL",
            "BoN: true r",
            "pi*: true r",
        ],
        rows,
        ["d", ".4f", ".4f", ".4f", ".4f", ".4f", ".4f", ".4f"],
    )
    print(
        "Columns 2-5 select on the true reward, the last three on the proxy (true reward shown). pi* is\n"
        "optimal_policy at the beta that gives the same KL as best-of-n. The exact KL stays below\n"
        "log n - (n - 1)/n (Beirami et al. 2024): with 8 responses it cannot exceed -log pi_ref(top)."
    )
    if plt is not None:
        dense = _frontier(ref_logits, TRUE_REWARDS, np.logspace(-2, 1, 60))
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(dense[:, 2], dense[:, 1], "-", label="optimal_policy across beta")
        best_of = np.array(points)
        ax.plot(best_of[:, 0], best_of[:, 1], "s", label="best-of-n, n = " + ", ".join(map(str, BEST_OF)))
        ax.set_xlabel("KL(policy || pi_ref)")
        ax.set_ylabel("expected true reward")
        ax.set_title("Best-of-n sits just below the reward-KL frontier")
        ax.legend()
        print(f"wrote {labkit.save_figure(fig, folder, 'lab3_best_of_n')}")


def _fitted_proxy(rng: np.random.Generator, comparisons: int, ref: np.ndarray) -> np.ndarray:
    """A proxy reward fitted (Bradley-Terry, one reward per response) on simulated comparisons.

    Both responses of a pair are drawn from pi_ref; the simulated labeller prefers one with the
    Bradley-Terry probability of the true rewards.
    """
    first = rng.choice(len(RESPONSES), size=comparisons, p=ref)
    second = rng.choice(len(RESPONSES), size=comparisons, p=ref)
    first_wins = preference_kit.sample_bradley_terry(rng, TRUE_REWARDS[first], TRUE_REWARDS[second])
    chosen, rejected = np.where(first_wins, first, second), np.where(first_wins, second, first)
    distinct = chosen != rejected
    return preference_kit.fit_bradley_terry_rewards(chosen[distinct], rejected[distinct], len(RESPONSES))


def _fitted_proxy_section(ref_logits: np.ndarray, plt, folder) -> None:
    labkit.heading("4. Over-optimisation of a proxy reward fitted on comparisons")
    ref = np.exp(ref_logits)
    rng = np.random.default_rng(11)
    rows, mean_curves = [], {}
    example = None  # the first proxy that falls: its own score and the true reward along its curve
    for comparisons in COMPARISON_COUNTS:
        peaks, peak_rewards, final_rewards, curves = [], [], [], []
        for _ in range(PROXIES_PER_COUNT):
            proxy = _fitted_proxy(rng, comparisons, ref)
            policies = [optimal_policy(ref_logits, proxy, beta) for beta in SWEEP_BETAS]
            curve = np.array([[kl_divergence(pi, ref), pi @ TRUE_REWARDS] for pi in policies])
            best = int(np.argmax(curve[:, 1]))
            peaks.append(curve[best, 0])
            peak_rewards.append(curve[best, 1])
            final_rewards.append(curve[0, 1])  # the smallest beta: optimised hardest
            curves.append(curve)
            if example is None and curve[best, 1] - curve[0, 1] > 0.05:
                # the proxy's score, shifted to agree with the true reward at pi_ref (its offset is a convention)
                scores = np.array([pi @ proxy for pi in policies]) - ref @ proxy + ref @ TRUE_REWARDS
                example = (comparisons, curve, scores)
        fall = np.array(peak_rewards) - np.array(final_rewards)
        mean_curves[comparisons] = np.mean(curves, axis=0)
        rows.append(
            [comparisons, np.mean(peaks), np.mean(peak_rewards), np.mean(final_rewards), np.mean(fall > 0.05)]
        )
    best_true = optimal_policy(ref_logits, TRUE_REWARDS, SWEEP_BETAS[0]) @ TRUE_REWARDS
    print(
        f"{PROXIES_PER_COUNT} proxies per data size, each optimised with optimal_policy for "
        f"{len(SWEEP_BETAS)} betas from {SWEEP_BETAS[-1]:g} to {SWEEP_BETAS[0]:g}.\n"
        "Per proxy: where its true reward peaks, and what is left when it is optimised hardest:"
    )
    labkit.print_table(
        ["comparisons", "KL at true peak", "true r at peak", "true r at beta=0.01", "share that falls"],
        rows,
        ["d", ".3f", ".3f", ".3f", ".2f"],
    )
    print(
        f"(Averages over the proxies. 'Falls': the true reward ends more than 0.05 below its peak. The\n"
        f"true reward itself, optimised hardest, gives {best_true:.3f}; the reference policy {ref @ TRUE_REWARDS:.3f}.)\n"
        "A proxy fitted on few comparisons misjudges rarely compared responses, and optimising it hard\n"
        "finds them. From 25 to 400 comparisons the true reward peaks later (in KL) and higher, and fewer\n"
        "proxies fall after their peak; from 400 on, none does in this toy, whose KL cannot exceed 2.303."
    )
    if plt is not None:
        fig, (left, ax) = plt.subplots(1, 2, figsize=(11, 4))
        if example is not None:
            comparisons, curve, scores = example
            left.plot(curve[:, 0], scores, "--", label="the proxy's own score")
            left.plot(curve[:, 0], curve[:, 1], "-", label="true reward")
            left.set_xlabel("KL(pi* || pi_ref)")
            left.set_ylabel("reward under pi*(proxy, beta)")
            left.set_title(f"One proxy ({comparisons} comparisons) that falls")
            left.legend()
        for (comparisons, curve), style in zip(mean_curves.items(), ("-", "--", "-.", ":"), strict=True):
            ax.plot(curve[:, 0], curve[:, 1], style, label=f"{comparisons} comparisons")
        ax.set_xlabel("KL(pi* || pi_ref), mean over the proxies")
        ax.set_ylabel("true reward under pi*(proxy, beta), mean")
        ax.set_title("Mean over proxies: more data, more true reward")
        ax.legend()
        print(f"wrote {labkit.save_figure(fig, folder, 'lab3_overoptimisation')}")


def main(argv: list[str] | None = None) -> None:
    """Run the Lab 3 demo: the seed table, then a real KL-regularised policy."""
    args = labkit.demo_arguments(
        "Lab 3 — RLHF with a KL penalty, from the seed's toy to the real objective.", argv
    )
    plt = labkit.plotting() if args.plots is not None else None
    if args.plots is not None and plt is None:
        print("matplotlib is not installed: printing the tables without figures.")
    ref_logits = np.log(REFERENCE_PROBS)
    _seed_section()
    _capability_section(ref_logits, plt, args.plots)
    target = _policy_section(ref_logits)
    _reinforce_section(ref_logits, target)
    _kl_in_loss_section(ref_logits, target, plt, args.plots)
    _ppo_section(ref_logits, target)
    _frontier_section(ref_logits, plt, args.plots)
    _best_of_n_section(ref_logits, plt, args.plots)
    _fitted_proxy_section(ref_logits, plt, args.plots)


if __name__ == "__main__":
    labkit.run_demo(main)
