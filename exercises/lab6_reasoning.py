"""Lab 6: Reasoning: rejection sampling, test-time compute and distillation.

After the RL stage of Lab 5, the recipe for reasoning models leans on three more tools. All three
start from the same object: a policy that can be *sampled* many times, and a checker (or a
teacher) that says something about each sample.

- **Rejection sampling** (STaR, expert iteration, the rejection-sampling stage of Llama 2 and
  DeepSeek-R1): sample answers, keep those the checker accepts, fine-tune on them. Its expected
  gradient is the policy gradient of the pass rate divided by the pass rate: it pushes hardest on
  the hardest prompts.
- **Test-time compute** (self-consistency): sample n answers and take the most frequent one.
  Majority vote climbs towards 1 as n grows only when the right answer is the single most likely
  one; when the wrong answers scatter it can win with a right answer well below 50 %.
- **Distillation**: a small student learns from a large teacher's next-token distributions.
  The forward KL (SFT on teacher samples) spreads a limited student over all the teacher's modes;
  the reverse KL (on-policy distillation, on the student's own samples) picks one, and it gives a
  dense signal on every token where RL with a checker gets one bit per sample.

You implement the gradient of rejection-sampling fine-tuning, the exact accuracy of majority vote
over n samples, and the per-token distillation loss in both directions with its gradient.

Every `ValueError` a function raises has a message that names the offending argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

import labkit


def rejection_sampling_gradient(logits: ArrayLike, samples: ArrayLike, rewards: ArrayLike) -> np.ndarray:
    """Return the gradient of rejection-sampling fine-tuning (RFT) for a softmax policy.

    The answers `samples` were drawn from `pi = softmax(logits)` and scored by the checker
    (`rewards`: 1 correct, 0 wrong). RFT keeps the correct ones and takes a step of supervised
    fine-tuning on them, i.e. it minimises the mean negative log-likelihood of the kept samples,
    `-(1/m) sum_{kept y} log pi(y)`, whose gradient with respect to `logits` is

        pi - (1/m) sum_{kept y} onehot(y)        (m = number of kept samples).

    Its expectation is `pi - pi_acc`, with `pi_acc(y) = pi(y) r(y) / p` the policy restricted to the
    correct answers and `p = E_pi[r]` the pass rate, and `pi - pi_acc = -(1/p) * d p / d logits`:
    RFT is policy gradient on the pass rate (advantage `r - p`), divided by the pass rate.

    Conventions the grader checks:

    - The mean is over the *kept* samples (reward 1) only, not over all n samples.
    - It is a gradient of a loss to minimise (a descent direction): `logits - lr * grad` raises
      the probability of the kept answers. It sums to 0.
    - A sample kept twice counts twice.
    - Stable for logits up to ±1e3 (subtract the maximum before `exp`).

    Args:
        logits: The policy's logits over K answers, shape (K,), K >= 1, finite.
        samples: The sampled answers, integers in [0, K), shape (n,), n >= 1.
        rewards: The checker's verdict on each sample, 0 or 1, shape (n,).

    Returns:
        The gradient, float64 array of shape (K,).

    Raises:
        ValueError: If `logits` is not 1-D and non-empty, `samples` and `rewards` differ in
            length or are empty (n = 0), a sample is not an integer in [0, K), a reward is not 0
            or 1, or no sample is kept (every reward is 0). The message names the offending
            argument.

    Example:
        >>> rejection_sampling_gradient([0.0, 0.0], [0, 1, 0], [1, 0, 1])
        array([-0.5,  0.5])
    """
    raise NotImplementedError("Lab 6: rejection_sampling_gradient")


def majority_vote_accuracy(answer_probs: ArrayLike, correct: int, n: int) -> float:
    """Return the exact probability that majority vote over n samples picks the correct answer.

    Self-consistency (Wang et al. 2022): draw `n` answers i.i.d. from `answer_probs` (the
    probabilities of K distinct final answers), count each answer's votes, and return the answer
    drawn most often; a tie among the most frequent answers is broken uniformly at random. This
    function returns the probability that the answer returned is `correct`:

        sum over vote counts (c_0, ..., c_{K-1}) with sum n, multinomial probability
            * [c_correct = max c] / (number of answers with c_j = max c).

    There are far too many count vectors to list for n = 64 (about 1e9 for K = 8). Condition on
    the correct answer's count m instead: the other answers share the remaining n - m draws, each
    at most m, and the number t of them with exactly m votes sets the tie-break share `1 / (1 + t)`;
    a dynamic programme over the other answers, with state (draws used so far, ties so far),
    adds them up.

    Conventions the grader checks:

    - Exact (to 1e-12 absolute) for K <= 8 and n <= 64, in well under a second: no sampling.
    - Ties are shared: a tie between the correct answer and t others counts `1 / (1 + t)`, not 1
      and not 0.
    - `n = 1` gives `answer_probs[correct]`. With two answers and `answer_probs[correct] > 0.5`
      the accuracy never decreases with n; when a wrong answer is more likely than the correct
      one it tends to 0.

    Args:
        answer_probs: Probabilities of the K answers, shape (K,), non-negative, summing to 1.
        correct: Index of the correct answer, an integer in [0, K).
        n: Number of samples, an integer >= 1 (an integral float such as 8.0 is accepted).

    Returns:
        The probability, a Python float in [0, 1].

    Raises:
        ValueError: If `answer_probs` is not a 1-D non-negative vector summing to 1 (within 1e-9),
            `correct` is not an integer in [0, K), or `n` is not an integer >= 1. The message
            names the offending argument.

    Example:
        >>> round(majority_vote_accuracy([0.6, 0.4], 0, 3), 12)  # 0.6**3 + 3 * 0.6**2 * 0.4
        0.648
    """
    raise NotImplementedError("Lab 6: majority_vote_accuracy")


def distillation_loss(
    student_logits: ArrayLike, teacher_logits: ArrayLike, mask: ArrayLike, direction: str = "reverse"
) -> float:
    """Return the per-token KL between the student's and the teacher's next-token distributions.

    At every position `(b, t)` the student and the teacher each give a distribution over the V
    tokens, `s = softmax(student_logits[b, t])` and `q = softmax(teacher_logits[b, t])`:

        "forward":  KL(q || s) = sum_v q_v (log q_v - log s_v)   (teacher first)
        "reverse":  KL(s || q) = sum_v s_v (log s_v - log q_v)   (student first)

    The forward KL is what SFT on the teacher's samples (and logit distillation) minimises: it
    punishes the student for missing any token the teacher uses, so a limited student spreads over
    all of them (mode covering). The reverse KL is what on-policy distillation minimises on the
    student's own samples (GKD): it punishes the student for putting mass where the teacher has
    little, so a limited student picks one mode (mode seeking).

    Conventions the grader checks:

    - The KL of each position is averaged over the positions where `mask` is True (divided by
      their number), not over all B * T positions; positions where `mask` is False are ignored
      whatever their logits hold.
    - `"forward"` puts the teacher first, `"reverse"` the student first.
    - Log-probabilities from a stable log-softmax (subtract each row's maximum): finite, with no
      warning, for logits up to ±1e3, where `softmax` then `log` gives `log 0 = -inf`.

    Args:
        student_logits: The student's logits, shape (B, T, V).
        teacher_logits: The teacher's logits, shape (B, T, V).
        mask: True at the positions to average over, bool array (B, T), at least one True.
        direction: `"forward"` or `"reverse"`.

    Returns:
        The mean KL, a Python float >= 0.

    Raises:
        ValueError: If the logits are not 3-D, their shapes differ, `mask` is not of shape (B, T)
            or has no True, or `direction` is unknown. The message names the offending argument.

    Example:
        >>> distillation_loss([[[0.0, 0.0]]], [[[0.0, 0.0]]], [[True]])
        0.0
    """
    raise NotImplementedError("Lab 6: distillation_loss")


def distillation_loss_grad(
    student_logits: ArrayLike, teacher_logits: ArrayLike, mask: ArrayLike, direction: str = "reverse"
) -> np.ndarray:
    """Return the gradient of `distillation_loss` with respect to `student_logits`, shape (B, T, V).

    With N the number of True entries of `mask`, `s` and `q` the student's and the teacher's
    distributions at a position and `d = log s - log q`:

        "forward":  (s - q) / N
        "reverse":  s * (d - sum_v s_v d_v) / N       (sum_v s_v d_v is the position's KL(s || q))

    Conventions the grader checks:

    - Exactly 0 at the positions where `mask` is False, whatever their logits hold.
    - Each position's gradient sums to 0 over the vocabulary (adding a constant to a position's
      logits changes nothing).
    - It equals finite differences of `distillation_loss`; finite, with no warning, for logits up
      to ±1e3.

    Args:
        student_logits: The student's logits, shape (B, T, V).
        teacher_logits: The teacher's logits, shape (B, T, V).
        mask: True at the positions averaged over, bool array (B, T), at least one True.
        direction: `"forward"` or `"reverse"`.

    Returns:
        The gradient, float64 array of shape (B, T, V).

    Raises:
        ValueError: The errors of `distillation_loss`. The message names the offending argument.

    Example:
        >>> distillation_loss_grad([[[0.0, 0.0]]], [[[0.0, 0.0]]], [[True]], "forward")
        array([[[0., 0.]]])
    """
    raise NotImplementedError("Lab 6: distillation_loss_grad")


# --- the demo ----------------------------------------------------------------------------------

SEED = 6
PROMPTS = ("7+5", "9+8", "6+7", "8+8", "23+19", "58+67")
"""Lab 5's prompts; here the policy chooses among K final answers per prompt instead of writing digits."""
OFFSETS = (0, -10, -1, 1, 10, -2, 2, 11)
"""The K candidate answers of a prompt: its sum plus these offsets (0, index 0, is the correct one;
-10 is the forgotten carry)."""
BOOSTS = (2.0, 1.6, 1.2, 0.6, 0.0, -0.8)
"""The starting policy's logit of each prompt's correct answer (the forgotten carry gets 1.0, the rest 0)."""
GROUP = 8
ROUNDS = 8
RFT_LR = 1.0
RUN_SEEDS = 20
MEASURE_BATCHES = 2000
TTC_NS = (1, 2, 4, 8, 16, 32, 64)
TTC_CASES = {
    "right answer most likely, above 50 %": (0.55, 0.15, 0.10, 0.10, 0.05, 0.05),
    "right answer most likely, below 50 %, wrong ones scatter": (0.30, 0.14, 0.14, 0.14, 0.14, 0.14),
    "one wrong answer more likely than the right one": (0.30, 0.40, 0.10, 0.10, 0.05, 0.05),
}
"""Answer distributions of one prompt (index 0 is the correct answer)."""
RM_NOISE = 1.0
"""Standard deviation of the reward model's noise: its score of a sample is [correct] + noise."""
BEST_OF_TRIALS = 20_000
GRID = np.linspace(-6.0, 6.0, 49)
"""The distillation toy's vocabulary: V = 49 tokens, token v standing for the number GRID[v]."""
TEACHER_MODES = ((-2.5, 0.6), (2.5, 0.4))
"""(centre, weight) of the bimodal teacher's two modes, each of width TEACHER_WIDTH."""
TEACHER_WIDTH = 0.7
STUDENT_STARTS = (-1.0, 1.0)
STUDENT_WIDTH = 0.7
DISTILL_STEPS = 400
DISTILL_LR = 0.2
TARGET = (1, 2, 5, 10)
"""The answer to 58+67 as tokens: digits 1, 2, 5 then EOS (token 10), vocabulary of 11 tokens."""
VOCAB = 11
START_BOOST = 1.5
"""The student's starting logit of the right token at every state (the others 0)."""
TEACHER_BOOST = 4.0
BATCH = 16
BUDGETS = (0, 32, 64, 160, 320, 640, 1280)
"""Samples drawn, at which the on-policy comparison is evaluated (BATCH per step)."""
OPD_LR = 10.0
RL_LR = 2.0


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis (demo helper)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def initial_answer_logits() -> np.ndarray:
    """The starting policy over the K candidate answers of each prompt, shape (P, K)."""
    logits = np.zeros((len(PROMPTS), len(OFFSETS)))
    logits[:, 0] = BOOSTS
    logits[:, 1] = 1.0
    return logits


def sample_answers(rng: np.random.Generator, logits: np.ndarray, count: int) -> np.ndarray:
    """`count` answers per row of `logits` (P, K), shape (P, count); reward 1 exactly for answer 0."""
    cumulative = np.cumsum(softmax(logits), axis=-1)
    u = rng.random((logits.shape[0], count, 1))
    return np.minimum((cumulative[:, None, :] < u).sum(axis=-1), logits.shape[1] - 1)


def grpo_direction(logits: np.ndarray, answers: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    """GRPO's ascent direction for one prompt: mean_i A_i (onehot(y_i) - pi), A = (r - mean) / std."""
    if np.all(rewards == rewards[0]):
        return np.zeros_like(logits)
    advantages = (rewards - rewards.mean()) / (rewards.std(ddof=1) + 1e-6)
    onehots = np.eye(logits.size)[answers]
    return np.mean(advantages[:, None] * (onehots - softmax(logits)), axis=0)


def train_answers(method: str, seed: int) -> np.ndarray:
    """Expert iteration ("rft") or GRPO from the starting policy; pass@1 per prompt after each round.

    Each round samples GROUP answers per prompt; RFT steps down the learner's
    `rejection_sampling_gradient` on prompts with a kept answer, GRPO up its policy gradient.
    """
    rng = np.random.default_rng(seed)
    logits = initial_answer_logits()
    history = [softmax(logits)[:, 0]]
    for _ in range(ROUNDS):
        answers = sample_answers(rng, logits, GROUP)
        rewards = (answers == 0).astype(np.float64)
        for p in range(len(PROMPTS)):
            if method == "grpo":
                logits[p] += RFT_LR * grpo_direction(logits[p], answers[p], rewards[p])
            elif rewards[p].any():
                logits[p] -= RFT_LR * rejection_sampling_gradient(logits[p], answers[p], rewards[p])
        history.append(softmax(logits)[:, 0])
    return np.array(history)


def show_rounds() -> None:
    """Expert iteration against GRPO, same samples per round and learning rate, averaged over seeds."""
    runs = {}
    for method in ("rft", "grpo"):
        runs[method] = np.mean([train_answers(method, SEED + s) for s in range(RUN_SEEDS)], axis=0)
        print(f"  {method}: {RUN_SEEDS} runs of {ROUNDS} rounds done", flush=True)
    labkit.heading(f"Expert iteration (RFT) against GRPO: {GROUP} samples per prompt per round, lr {RFT_LR}")
    rows = []
    for r in range(ROUNDS + 1):
        row = [r]
        for method in ("rft", "grpo"):
            pass_1 = runs[method][r]
            row += [pass_1.mean(), np.mean(1 - (1 - pass_1) ** GROUP), pass_1[-1]]
        rows.append(row)
    headers = [
        "round",
        "RFT pass@1",
        f"pass@{GROUP}",
        f"'{PROMPTS[-1]}'",
        "GRPO pass@1",
        f"pass@{GROUP}",
        f"'{PROMPTS[-1]}'",
    ]
    labkit.print_table(headers, rows, ["d", *[".3f"] * 6])
    print(
        f"(exact pass@k of the policy, mean over the {len(PROMPTS)} prompts, then the hardest prompt's pass@1;"
    )
    print(f" means over {RUN_SEEDS} seeds)")


def pass_rate_gradient(logits: np.ndarray) -> np.ndarray:
    """d p / d logits for p = pi(answer 0): pi * (r - p), r the reward of each answer."""
    pi = softmax(logits)
    reward = (np.arange(logits.size) == 0).astype(np.float64)
    return pi * (reward - pi[0])


def show_weights(rng: np.random.Generator) -> list[list[Any]]:
    """The 1/p weighting: RFT's expected gradient against the policy gradient of the pass rate."""
    labkit.heading("RFT's expected gradient is -(1/p) times the policy gradient of the pass rate")
    logits = initial_answer_logits()
    rows = []
    for p_index, prompt in enumerate(PROMPTS):
        z = logits[p_index]
        grad_p = pass_rate_gradient(z)
        p = softmax(z)[0]
        rft, grpo = np.zeros_like(z), np.zeros_like(z)
        answers = sample_answers(rng, np.tile(z, (MEASURE_BATCHES, 1)), GROUP)
        rewards = (answers == 0).astype(np.float64)
        kept = rewards.any(axis=1)
        for a, r in zip(answers[kept], rewards[kept], strict=True):
            rft += rejection_sampling_gradient(z, a, r)
        for a, r in zip(answers, rewards, strict=True):
            grpo += grpo_direction(z, a, r)
        rft, grpo = rft / kept.sum(), grpo / MEASURE_BATCHES
        norm = np.linalg.norm(grad_p)
        rows.append(
            [
                prompt,
                p,
                norm,
                1 / p,
                np.linalg.norm(rft) / norm,
                rft @ -grad_p / (np.linalg.norm(rft) * norm),
                1 / np.sqrt(p * (1 - p)),
                np.linalg.norm(grpo) / norm,
            ]
        )
    headers = [
        "prompt",
        "pass rate p",
        "|grad p|",
        "1/p",
        "RFT measured",
        "cos(RFT, -grad p)",
        "1/std",
        "GRPO measured",
    ]
    labkit.print_table(headers, rows, ["", ".3f", ".4f", ".2f", ".2f", ".4f", ".2f", ".2f"])
    print(f"(measured: |mean gradient| / |grad p| over {MEASURE_BATCHES} batches of {GROUP} samples, RFT's")
    print(" over the batches that keep a sample; std = sqrt(p (1 - p)); Dr. GRPO's factor is 1)")
    return rows


def best_of_n(rng: np.random.Generator, probs: np.ndarray, n: int) -> float:
    """Best-of-n accuracy with the noisy reward model, estimated from BEST_OF_TRIALS seeded trials."""
    answers = np.minimum(
        (np.cumsum(probs)[None, None, :] < rng.random((BEST_OF_TRIALS, n, 1))).sum(axis=-1), probs.size - 1
    )
    scores = (answers == 0) + RM_NOISE * rng.standard_normal((BEST_OF_TRIALS, n))
    best = answers[np.arange(BEST_OF_TRIALS), np.argmax(scores, axis=1)]
    return float(np.mean(best == 0))


def show_test_time(rng: np.random.Generator) -> dict[str, list[list[float]]]:
    """Majority vote, pass@n with an oracle and best-of-n with a noisy reward model, against n."""
    tables = {}
    for case, probs in TTC_CASES.items():
        p = np.array(probs)
        rows = [
            [n, majority_vote_accuracy(p, 0, n), 1 - (1 - p[0]) ** n, best_of_n(rng, p, n)] for n in TTC_NS
        ]
        labkit.heading(f"Test-time compute: {case}")
        print(f"answer probabilities {list(probs)} (the first is the right answer)")
        labkit.print_table(
            ["n", "majority vote", "pass@n (oracle)", "best-of-n (noisy RM)"],
            rows,
            ["d", ".4f", ".4f", ".4f"],
        )
        tables[case] = rows
    print("(majority vote: exact; pass@n: 1 - (1 - p)^n; best-of-n: the sample the reward model scores")
    print(f" highest, score = [right] + N(0, {RM_NOISE}^2), {BEST_OF_TRIALS} seeded trials)")
    return tables


def teacher_logits() -> np.ndarray:
    """The bimodal teacher's logits over GRID, shape (V,)."""
    density = sum(w * np.exp(-0.5 * ((GRID - c) / TEACHER_WIDTH) ** 2) for c, w in TEACHER_MODES)
    return np.log(density)


def student_logits(mu: float, log_sigma: float) -> np.ndarray:
    """The student's logits: a discretised Gaussian with mean mu and width exp(log_sigma), shape (V,)."""
    return -0.5 * ((GRID - mu) / np.exp(log_sigma)) ** 2


def distil(direction: str, mu: float) -> tuple[float, float]:
    """Gradient descent on the student's two parameters (mean, log width) from width STUDENT_WIDTH.

    The learner's `distillation_loss_grad` gives d loss / d logits; the chain rule through
    `student_logits` gives the gradient of the two parameters.
    """
    teacher = teacher_logits()[None, None, :]
    mask = np.ones((1, 1), dtype=bool)
    log_sigma = np.log(STUDENT_WIDTH)
    for _ in range(DISTILL_STEPS):
        grad = distillation_loss_grad(student_logits(mu, log_sigma)[None, None, :], teacher, mask, direction)[
            0, 0
        ]
        offset = (GRID - mu) / np.exp(log_sigma)
        mu -= DISTILL_LR * float(grad @ (offset / np.exp(log_sigma)))
        log_sigma -= DISTILL_LR * float(grad @ offset**2)
    return mu, log_sigma


def regions(logits: np.ndarray) -> list[float]:
    """Mass below -1, in [-1, 1] (the valley between the modes) and above 1."""
    probs = softmax(logits)
    return [probs[GRID < -1].sum(), probs[np.abs(GRID) <= 1].sum(), probs[GRID > 1].sum()]


def show_modes() -> dict[str, np.ndarray]:
    """Forward KL covers both modes of the bimodal teacher; reverse KL picks one."""
    labkit.heading("A bimodal teacher distilled into a unimodal student (mean and width)")
    teacher = teacher_logits()
    rows: list[list[Any]] = [["teacher", "", "", "", 0.0, 0.0, *regions(teacher)]]
    students = {}
    for direction in ("forward", "reverse"):
        for start in STUDENT_STARTS:
            mu, log_sigma = distil(direction, start)
            z = student_logits(mu, log_sigma)
            kls = [
                distillation_loss(z[None, None], teacher[None, None], np.ones((1, 1), bool), d)
                for d in ("forward", "reverse")
            ]
            rows.append(
                [direction, f"{start:+.1f}", f"{mu:.2f}", f"{np.exp(log_sigma):.2f}", *kls, *regions(z)]
            )
            students[f"{direction}, start {start:+.1f}"] = z
    headers = [
        "KL minimised",
        "start mean",
        "mean",
        "width",
        "KL(q||s)",
        "KL(s||q)",
        "mass < -1",
        "valley",
        "mass > 1",
    ]
    labkit.print_table(headers, rows, ["", "", "", "", ".3f", ".3f", ".3f", ".3f", ".3f"])
    modes = ", ".join(f"{w:.0%} at {c:+.1f}" for c, w in TEACHER_MODES)
    print(f"(teacher: two modes of width {TEACHER_WIDTH}, {modes}; students start at width {STUDENT_WIDTH},")
    print(
        f" then {DISTILL_STEPS} steps of gradient descent with lr {DISTILL_LR} on the mean and the log width)"
    )
    return students


def chain_logits(boost: float) -> np.ndarray:
    """A next-token table over TARGET's positions, shape (T, V + 1, V): logit `boost` on the right token."""
    table = np.zeros((len(TARGET), VOCAB + 1, VOCAB))
    for t, token in enumerate(TARGET):
        table[t, :, token] = boost
    return table


def sample_chains(rng: np.random.Generator, table: np.ndarray, count: int) -> tuple[np.ndarray, tuple]:
    """`count` answers of len(TARGET) tokens; returns the tokens (B, T) and each token's state indices."""
    tokens = np.zeros((count, len(TARGET)), dtype=np.int64)
    previous = np.full(count, VOCAB)
    for t in range(len(TARGET)):
        cumulative = np.cumsum(softmax(table[t, previous]), axis=-1)
        tokens[:, t] = np.minimum((cumulative < rng.random((count, 1))).sum(axis=-1), VOCAB - 1)
        previous = tokens[:, t]
    previous = np.concatenate([np.full((count, 1), VOCAB), tokens[:, :-1]], axis=1)
    return tokens, (np.broadcast_to(np.arange(len(TARGET)), tokens.shape), previous)


def chain_pass_rate(table: np.ndarray) -> float:
    """The exact probability that the student writes TARGET."""
    previous = [VOCAB, *TARGET[:-1]]
    return float(np.prod([softmax(table[t, previous[t]])[token] for t, token in enumerate(TARGET)]))


def train_chain(method: str, seed: int) -> dict[str, list[float]]:
    """On-policy distillation ("distil") or RL with the checker ("rl") on the same student.

    Both draw BATCH answers per step from the student. Distillation steps down the learner's
    reverse-KL gradient at the student's own states; RL steps up REINFORCE with the batch's mean
    reward as baseline (Dr. GRPO's advantage r - mean), one bit per answer.
    """
    rng = np.random.default_rng(seed)
    table, teacher = chain_logits(START_BOOST), chain_logits(TEACHER_BOOST)
    history: dict[str, list[float]] = {"pass": [chain_pass_rate(table)], "signal": []}
    for step in range(1, BUDGETS[-1] // BATCH + 1):
        tokens, states = sample_chains(rng, table, BATCH)
        grad = np.zeros_like(table)
        if method == "distil":
            mask = np.ones(tokens.shape, dtype=bool)
            grad_logits = distillation_loss_grad(table[states], teacher[states], mask, "reverse")
            np.add.at(grad, states, grad_logits)
            table -= OPD_LR * grad
            history["signal"].append(1.0)
        else:
            rewards = np.all(tokens == np.array(TARGET), axis=1).astype(np.float64)
            advantages = rewards - rewards.mean()
            onehots = np.eye(VOCAB)[tokens]
            np.add.at(grad, states, advantages[:, None, None] * (onehots - softmax(table[states])) / BATCH)
            table += RL_LR * grad
            history["signal"].append(float(np.mean(advantages != 0)))
        if step * BATCH in BUDGETS:
            history["pass"].append(chain_pass_rate(table))
    return history


def show_dense_signal() -> dict[str, np.ndarray]:
    """On-policy distillation against RL with the checker's sparse reward, per sample drawn."""
    runs = {}
    for method in ("distil", "rl"):
        histories = [train_chain(method, SEED + s) for s in range(RUN_SEEDS)]
        runs[method] = np.mean([h["pass"] for h in histories], axis=0)
        early = BUDGETS[3] // BATCH
        runs[method + " early"] = np.mean([h["signal"][:early] for h in histories])
        runs[method + " signal"] = np.mean([h["signal"] for h in histories])
        print(f"  {method}: {RUN_SEEDS} runs of {BUDGETS[-1]} samples done", flush=True)
    labkit.heading("On-policy distillation against RL with the checker, per sample drawn")
    teacher_pass = chain_pass_rate(chain_logits(TEACHER_BOOST))
    rows = [[budget, runs["distil"][i], runs["rl"][i]] for i, budget in enumerate(BUDGETS)]
    labkit.print_table(["samples drawn", "distillation pass@1", "RL pass@1"], rows, ["d", ".4f", ".4f"])
    print(f"(answer '58+67' = 125 then EOS, {len(TARGET)} tokens; exact pass@1 of the student, mean over")
    print(f" {RUN_SEEDS} seeds; the teacher's pass@1 is {teacher_pass:.4f}; lr {OPD_LR} and {RL_LR})")
    rows = [
        [
            "on-policy distillation",
            f"{len(TARGET)} x {VOCAB} teacher log-probs",
            runs["distil early"],
            runs["distil signal"],
        ],
        ["RL with the checker", "1 bit (right or wrong)", runs["rl early"], runs["rl signal"]],
    ]
    headers = ["method", "signal per sample", f"with a gradient, first {BUDGETS[3]}", f"all {BUDGETS[-1]}"]
    labkit.print_table(headers, rows, ["", "", ".3f", ".3f"])
    print("(the fraction of samples that move the student: RL's advantage r - mean is 0 for every sample")
    print(" of a batch whose answers are all wrong)")
    return runs


def plot_all(
    plt: Any,
    folder: Path,
    weights: list[list[Any]],
    tables: dict[str, list[list[float]]],
    students: dict[str, np.ndarray],
    runs: dict[str, np.ndarray],
) -> None:
    """The figures: the 1/p weighting, test-time compute curves, the distilled students, and pass@1
    per sample drawn."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    p = np.linspace(0.03, 0.97, 200)
    for curve, label in (
        (1 / p, "RFT: 1/p"),
        (1 / np.sqrt(p * (1 - p)), "GRPO: 1/std"),
        (np.ones_like(p), "Dr. GRPO: 1"),
    ):
        ax.plot(p, curve, label=label)
    measured = np.array([row[1::3] for row in weights], dtype=np.float64)  # p, RFT measured, GRPO measured
    ax.plot(measured[:, 0], measured[:, 1], "o", color="C0", label="RFT, measured")
    ax.plot(measured[:, 0], measured[:, 2], "s", color="C1", label=f"GRPO, measured (G = {GROUP})")
    ax.set(
        xlabel="pass rate p",
        ylabel="|expected gradient| / |grad p|",
        yscale="log",
        title="How hard each prompt is pushed",
    )
    ax.legend(fontsize=8)
    labkit.save_figure(fig, folder, "lab6_reasoning_weights")
    fig, axes = plt.subplots(1, len(tables), figsize=(13, 4.0), sharey=True)
    for ax, (case, rows) in zip(axes, tables.items(), strict=True):
        values = np.array(rows)
        for column, label in ((1, "majority vote"), (2, "pass@n (oracle)"), (3, "best-of-n (noisy RM)")):
            ax.plot(values[:, 0], values[:, column], marker="o", label=label)
        ax.set(xscale="log", xlabel="n samples", ylim=(0, 1.02))
        ax.set_title(case.replace(", ", ",\n", 1), fontsize=10)
    axes[0].set_ylabel("accuracy")
    axes[0].legend()
    labkit.save_figure(fig, folder, "lab6_reasoning_test_time")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.plot(GRID, softmax(teacher_logits()), color="black", linewidth=2, label="teacher")
    for name, z in students.items():
        ax.plot(GRID, softmax(z), linestyle="--" if name.startswith("forward") else "-", label=name)
    ax.set(xlabel="token (as a number)", ylabel="probability", title="Forward KL covers, reverse KL seeks")
    ax.legend(fontsize=8)
    labkit.save_figure(fig, folder, "lab6_reasoning_modes")
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for method, label in (("distil", "on-policy distillation"), ("rl", "RL with the checker")):
        ax.plot(BUDGETS, runs[method], marker="o", label=label)
    ax.set(xlabel="samples drawn", ylabel="pass@1", title="Dense signal against one bit per sample")
    ax.legend()
    labkit.save_figure(fig, folder, "lab6_reasoning_dense")


def main(argv: list[str] | None = None) -> None:
    """Rejection sampling against GRPO, test-time compute, and distillation in both directions."""
    args = labkit.demo_arguments("Lab 6: rejection sampling, test-time compute and distillation.", argv)
    rng = np.random.default_rng(SEED)
    print(f"Prompts {', '.join(PROMPTS)}: a policy over {len(OFFSETS)} candidate answers each.", flush=True)
    print("Training expert iteration and GRPO:", flush=True)
    show_rounds()
    weights = show_weights(rng)
    tables = show_test_time(rng)
    students = show_modes()
    print("\nTraining the student by on-policy distillation and by RL:", flush=True)
    runs = show_dense_signal()
    plt = labkit.plotting() if args.plots else None
    if plt is not None:
        plot_all(plt, args.plots, weights, tables, students, runs)


if __name__ == "__main__":
    labkit.run_demo(main)
