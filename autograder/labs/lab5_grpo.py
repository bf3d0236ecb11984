"""Graded properties of Lab 5: GRPO with verifiable rewards (`exercises/lab5_grpo.py`)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid, Lab, reference
from autograder.numerics import numerical_gradient

ref = reference("lab5_grpo")
LAB = Lab(5, "lab5_grpo", "GRPO: RL from verifiable rewards")

SECONDARY = 8
"""Examples for invariants and metamorphic relations (the agreement properties get the default 15)."""
CLIP_EPSILONS = (0.2, 0.1, 0.3)
AGGREGATIONS = ("token", "sequence", "constant")


# --- group_advantages -----------------------------------------------------------------------

group_advantages = LAB.function("group_advantages")


@st.composite
def reward_tables(draw, max_prompts: int = 4, max_group: int = 6, equal_row: bool = True):
    """Rewards (P, G): binary, with a format bonus (0, 0.5, 1) or continuous; maybe an all-equal row."""
    p = draw(st.integers(1, max_prompts), label="P")
    g = draw(st.integers(2, max_group), label="G")
    kind = draw(st.sampled_from(["binary", "bonus", "continuous"]), label="kind")
    if kind == "continuous":
        rewards = draw(gen.arrays((p, g), -5.0, 5.0))
    else:
        levels = [0.0, 1.0] if kind == "binary" else [0.0, 0.5, 1.0]
        rewards = draw(hnp.arrays(np.float64, (p, g), elements=st.sampled_from(levels)))
    if equal_row and draw(st.booleans(), label="an all-equal row"):
        rewards[draw(st.integers(0, p - 1))] = draw(st.sampled_from([0.0, 1.0, 0.1, 0.7]))
    return rewards


def _advantage_mistakes(rewards: np.ndarray, normalize_std: bool, eps: float) -> dict[str, np.ndarray | None]:
    """The values that the usual mistakes produce, to name them in the hint."""
    centred = rewards - rewards.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        population = centred / (rewards.std(axis=1, keepdims=True) + eps)
        batch = (rewards - rewards.mean()) / (rewards.std(ddof=1) + eps) if rewards.size > 1 else None
    mistakes = {
        "use the sample standard deviation, ddof = 1 (np.std(..., ddof=1)), not the population one": np.where(
            centred == 0, 0.0, population
        ),
        "normalise each row (each prompt's group) with its own mean and std, not the whole batch": batch,
    }
    if normalize_std:
        mistakes["normalize_std=True divides by the group's std + eps (GRPO)"] = centred
    else:
        mistakes["normalize_std=False is Dr. GRPO: r - mean(row), with no division by the std"] = (
            ref.group_advantages(rewards, True, eps)
        )
    return mistakes


@group_advantages.holds("matches the reference on random rewards (GRPO and Dr. GRPO)", points=3)
@given(rewards=reward_tables(), normalize_std=st.booleans(), eps=st.sampled_from([1e-6, 0.0, 0.1]))
@example(rewards=np.array([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 0.0]]), normalize_std=True, eps=1e-6)
@example(rewards=np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 1.0]]), normalize_std=False, eps=1e-6)
def advantages_match_reference(f, rewards, normalize_std, eps):
    expected = ref.group_advantages(rewards, normalize_std, eps)
    checks.close(
        f(rewards, normalize_std, eps),
        expected,
        rtol=1e-9,
        atol=1e-12,
        what="the advantages",
        mistakes=_advantage_mistakes(rewards, normalize_std, eps),
        hint="row by row: (r - mean) / (std(ddof=1) + eps) for GRPO, r - mean for Dr. GRPO",
    )


@group_advantages.holds(
    "adding a constant to a prompt's rewards changes nothing", points=1, max_examples=SECONDARY
)
@given(rewards=reward_tables(equal_row=False), normalize_std=st.booleans(), data=st.data())
@example(rewards=np.array([[1.0, 0.0], [0.0, 1.0]]), normalize_std=True, data=None)
def advantages_are_shift_invariant(f, rewards, normalize_std, data):
    shifts = np.arange(rewards.shape[0], dtype=np.float64)[:, None] * 3.0 + 1.0
    if data is not None:
        shifts = data.draw(gen.arrays((rewards.shape[0], 1), -10.0, 10.0), label="shift of each row")
    base = checks.as_array(f(rewards, normalize_std), rewards.shape, "the advantages")
    shifted = checks.as_array(
        f(rewards + shifts, normalize_std), rewards.shape, "the advantages of the shifted rewards"
    )
    checks.close(
        shifted,
        base,
        rtol=1e-7,
        atol=1e-7,
        what="the advantages after adding a constant to each row",
        got_from="group_advantages(rewards + c)",
        expected_from="group_advantages(rewards)",
        hint="the baseline is each row's own mean: a per-prompt shift must cancel (a batch-wide mean "
        "or std mixes the prompts)",
    )


@group_advantages.holds(
    "scaling rewards by a > 0: GRPO unchanged, Dr. GRPO scaled by a", points=1, max_examples=SECONDARY
)
@given(rewards=reward_tables(equal_row=False), scale=st.sampled_from([3.0, 0.25, 10.0]))
def advantages_scale_as_documented(f, rewards, scale):
    grpo = checks.as_array(f(rewards, True, 0.0), rewards.shape, "GRPO's advantages (eps = 0)")
    checks.close(
        f(rewards * scale, True, 0.0),
        grpo,
        rtol=1e-9,
        atol=1e-9,
        what=f"GRPO's advantages (eps = 0) of the rewards times {scale}",
        got_from=f"group_advantages({scale} * rewards, True, 0.0)",
        expected_from="group_advantages(rewards, True, 0.0)",
        hint="(r - mean) / std is unchanged when r is scaled: divide by the row's std",
    )
    drgrpo = checks.as_array(f(rewards, False), rewards.shape, "Dr. GRPO's advantages")
    checks.close(
        f(rewards * scale, False),
        scale * drgrpo,
        rtol=1e-9,
        atol=1e-9,
        what=f"Dr. GRPO's advantages of the rewards times {scale}",
        got_from=f"group_advantages({scale} * rewards, False)",
        expected_from=f"{scale} * group_advantages(rewards, False)",
        hint="with normalize_std=False the advantage is r - mean(row), which scales with r: do not "
        "divide by the std",
    )


@group_advantages.holds("every row sums to 0", points=1, max_examples=SECONDARY)
@given(rewards=reward_tables(), normalize_std=st.booleans())
@example(rewards=np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]), normalize_std=True)
def advantage_rows_sum_to_zero(f, rewards, normalize_std):
    got = checks.as_array(f(rewards, normalize_std), rewards.shape, "the advantages")
    checks.close(
        got.sum(axis=1),
        np.zeros(rewards.shape[0]),
        rtol=0.0,
        atol=1e-9,
        what="the sum of each row of advantages",
        hint="subtract each row's own mean (a batch-wide mean leaves rows that do not sum to 0)",
    )


@group_advantages.holds("an all-equal group gives exactly 0, whatever eps (0 included)", points=2)
@given(
    value=st.sampled_from([0.0, 1.0, 0.1, 0.7, -3.3]),
    g=st.integers(2, 7),
    normalize_std=st.booleans(),
    eps=st.sampled_from([0.0, 1e-6]),
)
@example(value=0.1, g=3, normalize_std=True, eps=0.0)
@example(value=1.0, g=4, normalize_std=True, eps=0.0)
def equal_group_has_zero_advantages(f, value, g, normalize_std, eps):
    rewards = np.array([[1.0, 0.0] + [0.0] * (g - 2), [value] * g])
    got = checks.as_array(f(rewards, normalize_std, eps), rewards.shape, "the advantages")
    checks.finite(
        got,
        what="the advantages",
        hint="a group whose rewards are all equal has std 0: 0 / 0 is nan, so give such a group "
        "exactly 0 (test np.all(row == row[0]))",
    )
    if not np.all(got[1] == 0.0):
        checks.fail(
            "an all-equal group does not get exactly 0",
            f"Rewards of the group: {rewards[1].tolist()}",
            f"Got:      {got[1].tolist()}",
            hint="mean([0.1, 0.1, 0.1]) is not exactly 0.1 in floating point, and rounding noise "
            "divided by a tiny std is not small: test whether the rewards are all equal and "
            "return exact zeros for that group",
        )


group_advantages.rejects(
    [
        Invalid("rewards is 1-D", "rewards", (np.array([1.0, 0.0]),)),
        Invalid("rewards has one response per prompt (G = 1)", "rewards", (np.array([[1.0], [0.0]]),)),
        Invalid("eps = -1e-3", "eps", (np.array([[1.0, 0.0]]),), {"eps": -1e-3}),
        Invalid("rewards holds nan", "rewards", (np.array([[1.0, np.nan]]),)),
        Invalid("rewards holds inf", "rewards", (np.array([[np.inf, 0.0]]),)),
    ],
    description="raises ValueError for 1-D rewards, G < 2, eps < 0 and non-finite rewards",
)


# --- pass_at_k ------------------------------------------------------------------------------

pass_at_k = LAB.function("pass_at_k")


def _exact_pass_at_k(n: int, c: int, k: int) -> float:
    """`1 - C(n - c, k) / C(n, k)` with exact rationals, over min(c, k) factors."""
    if n - c < k:
        return 1.0
    if c <= k:  # prod_{i = n - c + 1}^{n} (i - k) / i
        all_wrong = math.prod(Fraction(i - k, i) for i in range(n - c + 1, n + 1))
    else:  # prod_{j < k} (n - c - j) / (n - j)
        all_wrong = math.prod(Fraction(n - c - j, n - j) for j in range(k))
    return float(1 - all_wrong)


def _pass_mistakes(n: int, c: int, k: int, expected: float) -> dict[str, float]:
    """The values that the usual mistakes produce (`expected` is the right one)."""
    return {
        "1 - (1 - c / n)**k samples with replacement, a biased estimate: use 1 - C(n - c, k) / C(n, k)": 1.0
        - (1.0 - c / n) ** k,
        "C(n - c, k) / C(n, k) is the probability that all k are wrong: pass@k is 1 minus it": 1.0 - expected,
    }


@st.composite
def small_counts(draw, max_n: int = 30):
    """`(n, c, k)` with n <= max_n."""
    n = draw(st.integers(1, max_n), label="n")
    return n, draw(st.integers(0, n), label="c"), draw(st.integers(1, n), label="k")


@pass_at_k.holds("equals 1 - C(n - c, k) / C(n, k), computed exactly, for n <= 30", points=3)
@given(counts=small_counts())
@example(counts=(10, 3, 4))
@example(counts=(20, 1, 5))
def pass_at_k_matches_exact_binomials(f, counts):
    expected = _exact_pass_at_k(*counts)
    checks.close(
        f(*counts),
        expected,
        rtol=1e-12,
        atol=1e-15,
        what=f"pass_at_k{counts}",
        mistakes=_pass_mistakes(counts[0], counts[1], counts[2], expected),
        hint="1 - prod_{i = n - c + 1}^{n} (1 - k / i)",
    )


@pass_at_k.holds("is exactly 1.0 when n - c < k", points=1, max_examples=SECONDARY)
@given(counts=small_counts().filter(lambda t: t[0] - t[1] < t[2]))
@example(counts=(5, 3, 3))
def pass_at_k_is_one_when_a_draw_must_hit(f, counts):
    got = checks.as_float(f(*counts), f"pass_at_k{counts}")
    if got != 1.0:
        n, c, k = counts
        checks.fail(
            f"pass_at_k{counts} is not exactly 1.0",
            f"Got: {got!r}",
            hint=f"with n - c = {n - c} < k = {k}, every draw of k samples holds a correct one: return "
            "1.0 (1 - (1 - c / n)**k samples with replacement and is biased)",
        )


@pass_at_k.holds("pass@1 is c / n", points=1, max_examples=SECONDARY)
@given(counts=small_counts(max_n=200))
@example(counts=(8, 3, 1))
def pass_at_one_is_the_success_rate(f, counts):
    n, c, _ = counts
    checks.close(
        f(n, c, 1),
        c / n,
        rtol=1e-12,
        atol=1e-15,
        what=f"pass_at_k({n}, {c}, 1)",
        mistakes={
            "C(n - c, k) / C(n, k) is the probability that all k are wrong: pass@k is 1 minus it": 1 - c / n
        },
        hint="one sample is correct with probability c / n",
    )


@pass_at_k.holds("never decreases as k or c grows", points=1)
def pass_at_k_is_monotone(f):
    for n in (7, 13):
        c, k = n // 3, max(1, n // 4)
        over_k = [checks.as_float(f(n, c, j), f"pass_at_k({n}, {c}, {j})") for j in range(1, n + 1)]
        over_c = [checks.as_float(f(n, m, k), f"pass_at_k({n}, {m}, {k})") for m in range(n + 1)]
        for name, values in ((f"k (n = {n}, c = {c})", over_k), (f"c (n = {n}, k = {k})", over_c)):
            drops = [i for i in range(1, len(values)) if values[i] < values[i - 1] - 1e-12]
            if drops:
                i = drops[0]
                checks.fail(
                    f"pass@k decreases as {name} grows",
                    f"Values: {values[max(0, i - 2) : i + 2]}",
                    hint="more samples (k) or more correct ones (c) can only raise the chance of a "
                    "correct one: pass@k = 1 - C(n - c, k) / C(n, k)",
                )


@st.composite
def large_counts(draw):
    """`(n, c, k)` with n up to 1e6 and min(c, k) <= 40, so that the exact value is cheap."""
    n = draw(st.integers(100_000, 1_000_000), label="n")
    small = draw(st.integers(0, 40), label="the smaller of c and k")
    large = draw(st.integers(1, n // 2), label="the larger")
    c, k = (small, max(large, 1)) if draw(st.booleans(), label="c is the smaller") else (large, max(small, 1))
    return n, c, k


@pass_at_k.holds(
    "accurate to 1e-9 (relative) for n up to 1e6, tiny values included, no warning",
    points=2,
    max_examples=SECONDARY,
)
@given(counts=large_counts())
@example(counts=(100_000, 1, 200))  # C(1e5, 200) ~ 1e625: as a float it overflows at once
@example(counts=(1_000_000, 1, 1))
@example(counts=(1_000_000, 500_000, 3))
@example(counts=(1_000_000, 2, 400_000))
def pass_at_k_is_precise_for_large_n(f, counts):
    outcome = f.attempt(*counts)
    if outcome.raised("OverflowError"):
        checks.fail(
            f"pass_at_k{counts} raised OverflowError: {outcome.message}",
            hint="binomial coefficients such as C(1e6, 4e5) overflow any float (and cost a lot as "
            "integers): compute the product 1 - prod (1 - k / i) instead",
        )
    got = f.result(outcome)
    checks.no_warnings(outcome, hint="binomial coefficients overflow as floats: compute the product instead")
    expected = _exact_pass_at_k(*counts)
    checks.close(
        got,
        expected,
        rtol=1e-9,
        atol=0.0,
        what=f"pass_at_k{counts}",
        mistakes=_pass_mistakes(counts[0], counts[1], counts[2], expected),
        hint="1 - exp(sum log(...)) cancels when the value is tiny: use a product of the factors "
        "(1 - k / i), or -np.expm1(np.sum(np.log1p(-k / i))); log-gamma differences lose digits",
    )


pass_at_k.rejects(
    [
        Invalid("n = 2.5", "n", (2.5, 1, 1)),
        Invalid("c = 1.5", "c", (4, 1.5, 1)),
        Invalid("k = 2.5", "k", (4, 1, 2.5)),
        Invalid("n = 0", "n", (0, 0, 1)),
        Invalid("c = -1", "c", (4, -1, 1)),
        Invalid("c = 5 > n = 4", "c", (4, 5, 1)),
        Invalid("k = 0", "k", (4, 1, 0)),
        Invalid("k = 5 > n = 4", "k", (4, 1, 5)),
    ],
    description="raises ValueError for a non-integral argument, n < 1, c outside [0, n], k outside [1, n]",
)


# --- grpo_objective -------------------------------------------------------------------------

grpo_objective = LAB.function("grpo_objective")


@st.composite
def response_batches(draw, equal_lengths: bool = False, full: bool = False, log_ratio: float = 1.0):
    """`(logp_new, logp_old, advantages, mask, clip_eps, aggregation)` with garbage on the padding."""
    b = draw(st.integers(1, 4), label="B")
    t = draw(st.integers(1, 5), label="T")
    if full:
        lengths = np.full(b, t)
    elif equal_lengths:
        lengths = np.full(b, draw(st.integers(1, t), label="length"))
    else:
        lengths = np.array([draw(st.integers(1, t), label="length") for _ in range(b)])
    mask = np.arange(t)[None, :] < lengths[:, None]
    old = draw(gen.arrays((b, t), -5.0, 0.0))
    new = old + draw(gen.arrays((b, t), -log_ratio, log_ratio))
    padding = draw(gen.arrays((b, t), -50.0, 50.0))
    new, old = np.where(mask, new, padding), np.where(mask, old, -padding)
    advantages = draw(gen.arrays(b, -2.0, 2.0))
    return (
        new,
        old,
        advantages,
        mask,
        draw(st.sampled_from(CLIP_EPSILONS)),
        draw(st.sampled_from(AGGREGATIONS)),
    )


def _per_token(new, old, adv, mask, clip_eps, combine=np.minimum, clip=True) -> np.ndarray:
    """The per-token surrogate on the response tokens (0 on padding), with a chosen `combine`."""
    rho = np.exp(np.where(mask, new - old, 0.0))
    a = adv[:, None]
    clipped = np.clip(rho, 1 - clip_eps, 1 + clip_eps) if clip else rho
    return np.where(mask, combine(rho * a, clipped * a), 0.0)


def _aggregate(per_token: np.ndarray, mask: np.ndarray, aggregation: str) -> float:
    if aggregation == "sequence":
        return float(np.mean(per_token.sum(axis=1) / mask.sum(axis=1)))
    if aggregation == "token":
        return float(per_token.sum() / mask.sum())
    return float(per_token.sum() / mask.size)


def _objective_mistakes(new, old, adv, mask, clip_eps, aggregation) -> dict[str, float | None]:
    """The values that the usual mistakes produce, to name them in the hint."""
    o = _per_token(new, old, adv, mask, clip_eps)
    everything = np.ones_like(mask)
    with np.errstate(over="ignore", invalid="ignore"):
        padded = _per_token(new, old, adv, everything, clip_eps)
    mistakes = {
        "the surrogate is the minimum of rho * A and clip(rho) * A (the pessimistic bound), not the maximum": _aggregate(
            _per_token(new, old, adv, mask, clip_eps, np.maximum), mask, aggregation
        ),
        "clip rho to [1 - clip_eps, 1 + clip_eps] and take min(rho * A, clip(rho) * A)": _aggregate(
            _per_token(new, old, adv, mask, clip_eps, clip=False), mask, aggregation
        ),
        "padding (mask False) is counted: select the response tokens first, and average over them only": _aggregate(
            padded, everything, aggregation
        )
        if np.all(np.isfinite(padded))
        else None,
    }
    if aggregation == "sequence":
        mistakes[
            "'sequence' averages each response over its own length L_b (mask.sum(axis=1)), not over T"
        ] = float(o.sum() / mask.size)
    if aggregation == "constant":
        mistakes["'constant' divides the sum by B * T (mask.size), not by the number of response tokens"] = (
            float(o.sum() / mask.sum())
        )
    return mistakes


@grpo_objective.holds("matches the reference on random batches (each aggregation)", points=3)
@given(batch=response_batches())
@example(
    batch=(
        np.array([[0.5, -0.3, 9.0], [0.0, 0.0, 0.0]]),
        np.array([[0.0, 0.0, 4.0], [0.1, -0.2, 0.3]]),
        np.array([1.0, -0.5]),
        np.array([[True, True, False], [True, True, True]]),
        0.2,
        "sequence",
    )
)
@example(
    batch=(
        np.array([[0.5, -0.3, 9.0], [0.0, 0.0, 0.0]]),
        np.array([[0.0, 0.0, 4.0], [0.1, -0.2, 0.3]]),
        np.array([1.0, -0.5]),
        np.array([[True, True, False], [True, True, True]]),
        0.2,
        "constant",
    )
)
def objective_matches_reference(f, batch):
    checks.close(
        f(*batch),
        ref.grpo_objective(*batch),
        rtol=1e-9,
        atol=1e-12,
        what="the objective",
        mistakes=_objective_mistakes(*batch),
        hint="o = min(rho * A, clip(rho, 1 - clip_eps, 1 + clip_eps) * A) on the response tokens, "
        "then the aggregation's average",
    )


@grpo_objective.holds(
    "is the aggregation's mean advantage when rho = 1 (PPO's surrogate at the old policy)",
    points=2,
    max_examples=SECONDARY,
)
@given(batch=response_batches())
@example(
    batch=(
        np.zeros((2, 3)),
        np.zeros((2, 3)),
        np.array([1.0, -0.5]),
        np.array([[True, False, False], [True, True, True]]),
        0.2,
        "sequence",
    )
)
@example(
    batch=(
        np.zeros((2, 3)),
        np.zeros((2, 3)),
        np.array([1.0, -0.5]),
        np.array([[True, False, False], [True, True, True]]),
        0.2,
        "token",
    )
)
def objective_at_the_old_policy_is_the_mean_advantage(f, batch):
    _, old, adv, mask, clip_eps, aggregation = batch
    lengths = mask.sum(axis=1)
    expected = {
        "sequence": float(np.mean(adv)),
        "token": float(adv @ lengths / lengths.sum()),
        "constant": float(adv @ lengths / mask.size),
    }
    checks.close(
        f(old, old, adv, mask, clip_eps, aggregation),
        expected[aggregation],
        rtol=1e-9,
        atol=1e-12,
        what=f"the objective with logp_new == logp_old ({aggregation!r})",
        mistakes={
            "'sequence' averages each response over its own length L_b, not over T": float(
                adv @ lengths / mask.size
            ),
            "padding is counted: average over the response tokens (mask True) only": float(np.mean(adv)),
            "'constant' divides by B * T, not by the number of response tokens": float(
                adv @ lengths / lengths.sum()
            ),
        },
        hint="at rho = 1 every token's value is its response's advantage: 'sequence' gives mean(A), "
        "'token' sum(A_b * L_b) / sum(L_b), 'constant' sum(A_b * L_b) / (B * T)",
    )


@grpo_objective.holds("padding values (nan, inf, anything) change nothing", points=2, max_examples=SECONDARY)
@given(batch=response_batches(), garbage=st.sampled_from([np.nan, np.inf, -np.inf, 1e3, -7.0]))
@example(
    batch=(
        np.array([[0.3, 0.0]]),
        np.array([[0.0, 0.0]]),
        np.array([1.0]),
        np.array([[True, False]]),
        0.2,
        "token",
    ),
    garbage=np.nan,
)
def objective_ignores_padding(f, batch, garbage):
    new, old, adv, mask, clip_eps, aggregation = batch
    clean = checks.as_float(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation),
        "the objective with zeros on the padding",
    )
    if mask.all():
        return
    dirty = f(np.where(mask, new, garbage), np.where(mask, old, -garbage), adv, mask, clip_eps, aggregation)
    checks.close(
        dirty,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the objective with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        hint="padding positions must not enter the computation: select the response tokens "
        "(np.where(mask, ..., 0) before exp), since nan * 0 is still nan",
    )


@grpo_objective.holds(
    "the aggregations agree when lengths are equal (and 'constant' when rows are full)",
    points=2,
    max_examples=SECONDARY,
)
@given(batch=response_batches(equal_lengths=True), full=st.booleans())
@example(
    batch=(
        np.array([[0.3, 0.0, 1.0]]),
        np.array([[0.0, 0.0, 0.0]]),
        np.array([1.0]),
        np.array([[True, True, False]]),
        0.2,
        "token",
    ),
    full=False,
)
def aggregations_agree_on_equal_lengths(f, batch, full):
    new, old, adv, mask, clip_eps, _ = batch
    if full:
        mask = np.ones_like(mask)
    values = {
        a: checks.as_float(f(new, old, adv, mask, clip_eps, a), f"the objective with {a!r}")
        for a in (AGGREGATIONS if full else ("token", "sequence"))
    }
    for aggregation, value in values.items():
        checks.close(
            value,
            values["token"],
            rtol=1e-9,
            atol=1e-12,
            what=f"{aggregation!r} (every response {int(mask[0].sum())} of T = {mask.shape[1]} tokens long)",
            got_from=f"aggregation={aggregation!r}",
            expected_from="aggregation='token'",
            hint="with equal lengths L, a mean of per-response means over L tokens is the per-token "
            "mean; with full rows B * T is the token count (average each response over its "
            "own length, mask.sum(axis=1), not over T)",
        )


@grpo_objective.holds(
    "stays finite with no warning when a positive advantage meets a huge ratio",
    points=1,
    max_examples=SECONDARY,
)
@given(batch=response_batches(log_ratio=900.0))
@example(
    batch=(
        np.array([[800.0, -800.0]]),
        np.array([[0.0, 0.0]]),
        np.array([1.0]),
        np.array([[True, True]]),
        0.2,
        "token",
    )
)
def objective_does_not_overflow(f, batch):
    new, old, adv, mask, clip_eps, aggregation = batch
    adv = np.abs(adv)  # rho * A with A < 0 really is -inf for huge rho
    outcome = f.attempt(new, old, adv, mask, clip_eps, aggregation)
    got = f.result(outcome)
    hint = (
        "exp(800) overflows although min(rho, 1 + clip_eps) * A is finite: cap the log-ratio first, "
        "np.exp(np.minimum(log_ratio, np.log1p(clip_eps))) for A >= 0"
    )
    checks.finite(got, what="the objective", hint=hint)
    checks.no_warnings(outcome, hint=hint)
    checks.close(
        got,
        ref.grpo_objective(new, old, adv, mask, clip_eps, aggregation),
        rtol=1e-9,
        atol=1e-12,
        what="the objective",
    )


def _objective_invalid() -> list[Invalid]:
    new, old = np.zeros((2, 3)), np.zeros((2, 3))
    adv, mask = np.array([1.0, -1.0]), np.array([[True, True, False], [True, False, False]])
    return [
        Invalid(
            "logp_old is (2, 2) and logp_new (2, 3)", ("logp_old", "shape"), (new, old[:, :2], adv, mask)
        ),
        Invalid("mask is (2, 2) and logp_new (2, 3)", ("mask", "shape"), (new, old, adv, mask[:, :2])),
        Invalid("advantages has 3 entries for B = 2", ("advantages", "shape"), (new, old, np.ones(3), mask)),
        Invalid(
            "logp_new, logp_old and mask are 1-D",
            ("logp_new", "shape", "2-D"),
            (new[0], old[0], adv[:1], mask[0]),
        ),
        Invalid("clip_eps = 0", "clip_eps", (new, old, adv, mask, 0.0)),
        Invalid("clip_eps = 1", "clip_eps", (new, old, adv, mask, 1.0)),
        Invalid("aggregation = 'mean'", "aggregation", (new, old, adv, mask), {"aggregation": "mean"}),
        Invalid(
            "response 1 has no True in mask", "mask", (new, old, adv, np.array([[True] * 3, [False] * 3]))
        ),
        Invalid(
            "there is no response (B = 0)",
            ("logp_new", "B", "response", "empty"),
            (np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros((0, 3), dtype=bool)),
        ),
    ]


grpo_objective.rejects(
    _objective_invalid(),
    description="raises ValueError for mismatched shapes, clip_eps outside (0, 1), an "
    "unknown aggregation, an empty response and B = 0",
)


# --- grpo_objective_grad --------------------------------------------------------------------

grpo_objective_grad = LAB.function("grpo_objective_grad")


def _away_from_kinks(batch):
    """The batch with every response token's ratio at least 0.05 from 1 - clip_eps and 1 + clip_eps."""
    new, old, adv, mask, clip_eps, aggregation = batch
    rho = np.exp(np.where(mask, new - old, 0.0))
    for kink in (1 - clip_eps, 1 + clip_eps):
        rho = np.where(np.abs(rho - kink) < 0.05, rho + 0.1, rho)
    return np.where(mask, old + np.log(rho), new), old, adv, mask, clip_eps, aggregation


def _grad_mistakes(new, old, adv, mask, clip_eps, aggregation) -> dict[str, np.ndarray]:
    """The gradients that the usual mistakes produce, to name them in the hint."""
    expected = ref.grpo_objective_grad(new, old, adv, mask, clip_eps, aggregation)
    rho = np.exp(np.where(mask, new - old, 0.0))
    unclipped_everywhere = ref.grpo_objective_grad(new, old, adv, mask, 0.999999, aggregation)
    weights = {
        "sequence": 1.0 / (mask.shape[0] * mask.sum(axis=1, keepdims=True)),
        "token": 1.0 / mask.sum(),
        "constant": 1.0 / mask.size,
    }[aggregation]
    through = np.where(mask, weights * rho * adv[:, None], 0.0)
    return {
        "a clipped token (clip(rho) * A strictly below rho * A) carries no gradient: its value is constant in "
        "logp_new": through,
        "d rho / d logp_new = rho: the gradient is w * rho * A, not w * A (you differentiated with respect "
        "to rho)": np.where(expected != 0, expected / np.where(rho == 0, 1.0, rho), 0.0),
        "'sequence' weights each token by 1 / (B * L_b), with L_b the response's own length, not 1 / (B * T)": np.where(
            expected != 0, expected * mask.sum(axis=1, keepdims=True) / mask.shape[1], 0.0
        ),
        "'constant' weights each token by 1 / (B * T) (mask.size), not 1 / (number of response tokens)": expected
        * mask.size
        / mask.sum(),
        "padding gets no gradient: give it exactly 0 with np.where(mask, ..., 0.0)": np.where(
            mask, expected, weights * adv[:, None]
        ),
        "clip only where it lowers the objective: the minimum picks rho * A for A > 0 when rho < 1 - clip_eps, "
        "and for A < 0 when rho > 1 + clip_eps": np.where(
            (rho >= 1 - clip_eps) & (rho <= 1 + clip_eps), unclipped_everywhere, 0.0
        ),
    }


@grpo_objective_grad.holds("matches the reference on random batches (each aggregation)", points=3)
@given(batch=response_batches().map(_away_from_kinks))
@example(
    batch=(
        np.array([[0.5, -0.3, 9.0], [0.0, 0.5, 0.0]]),
        np.array([[0.0, 0.0, 4.0], [0.3, -0.2, 0.3]]),
        np.array([1.0, -0.5]),
        np.array([[True, True, False], [True, True, True]]),
        0.2,
        "sequence",
    )
)
@example(
    batch=(
        np.array([[0.5, -0.3, 9.0], [0.0, 0.5, 0.0]]),
        np.array([[0.0, 0.0, 4.0], [0.3, -0.2, 0.3]]),
        np.array([1.0, -0.5]),
        np.array([[True, True, False], [True, True, True]]),
        0.2,
        "constant",
    )
)
def gradient_matches_reference(f, batch):
    checks.close(
        f(*batch),
        ref.grpo_objective_grad(*batch),
        rtol=1e-9,
        atol=1e-12,
        what="the gradient",
        mistakes=_grad_mistakes(*batch),
        hint="w[b, t] * rho * A_b on the tokens whose unclipped term is the minimum, 0 elsewhere",
    )


@grpo_objective_grad.holds(
    "equals finite differences of grpo_objective away from the clip boundaries",
    points=3,
    max_examples=SECONDARY,
)
@given(batch=response_batches().map(_away_from_kinks))
@example(
    batch=(
        np.array([[0.5, -0.3, 9.0], [0.0, 0.5, 0.0]]),
        np.array([[0.0, 0.0, 4.0], [0.3, -0.2, 0.3]]),
        np.array([1.0, -0.5]),
        np.array([[True, True, False], [True, True, True]]),
        0.2,
        "sequence",
    )
)
def gradient_matches_finite_differences(f, batch):
    new, old, adv, mask, clip_eps, aggregation = batch
    numeric = numerical_gradient(lambda x: ref.grpo_objective(x, old, adv, mask, clip_eps, aggregation), new)
    checks.close(
        f(*batch),
        numeric,
        rtol=1e-5,
        atol=1e-8,
        what="the gradient",
        mistakes=_grad_mistakes(*batch),
        hint="differentiate the objective with respect to logp_new: d rho / d logp_new = rho",
    )


@grpo_objective_grad.holds("clipped tokens carry exactly 0 gradient", points=2, max_examples=SECONDARY)
@given(batch=response_batches(log_ratio=2.0).map(_away_from_kinks))
@example(
    batch=(
        np.array([[1.0, -1.0, 0.0]]),
        np.array([[0.0, 0.0, 0.0]]),
        np.array([1.0]),
        np.array([[True, True, True]]),
        0.2,
        "token",
    )
)
@example(
    batch=(
        np.array([[1.0, -1.0, 0.0]]),
        np.array([[0.0, 0.0, 0.0]]),
        np.array([-1.0]),
        np.array([[True, True, True]]),
        0.2,
        "token",
    )
)
def clipped_tokens_have_no_gradient(f, batch):
    new, old, adv, mask, clip_eps, _ = batch
    got = checks.as_array(f(*batch), mask.shape, "the gradient")
    rho = np.exp(np.where(mask, new - old, 0.0))
    a = adv[:, None]
    clipped = mask & (((a > 0) & (rho > 1 + clip_eps)) | ((a < 0) & (rho < 1 - clip_eps)))
    if np.any(got[clipped] != 0.0):
        where = [list(map(int, i)) for i in np.argwhere(clipped & (got != 0.0))[:3]]
        checks.fail(
            "a clipped token has a non-zero gradient",
            f"At {where}: {got[clipped & (got != 0.0)][:3]}",
            hint="where clip(rho) * A is strictly below rho * A the minimum is the clipped term, "
            "which does not depend on logp_new: its gradient is exactly 0",
        )
    unclipped = mask & ~clipped & (a != 0)
    if np.any(got[unclipped] == 0.0):
        checks.fail(
            "a token whose unclipped term is the minimum has 0 gradient",
            hint="clip only where it lowers the objective: for A > 0 a ratio below 1 - clip_eps keeps "
            "rho * A (the minimum), and for A < 0 a ratio above 1 + clip_eps does",
        )


@grpo_objective_grad.holds(
    "padding gets exactly 0 gradient, whatever its values", points=1, max_examples=SECONDARY
)
@given(batch=response_batches(), garbage=st.sampled_from([np.nan, np.inf, 1e3, -7.0]))
@example(
    batch=(
        np.array([[0.3, 0.0]]),
        np.array([[0.0, 0.0]]),
        np.array([1.0]),
        np.array([[True, False]]),
        0.2,
        "token",
    ),
    garbage=np.nan,
)
@example(
    batch=(
        np.array([[0.3, -2.0, 0.0], [0.1, 0.0, 0.0]]),
        np.zeros((2, 3)),
        np.array([-1.0, 0.5]),
        np.array([[True, True, False], [True, False, False]]),
        0.2,
        "sequence",
    ),
    garbage=np.inf,
)
def padding_has_no_gradient(f, batch, garbage):
    new, old, adv, mask, clip_eps, aggregation = batch
    clean = checks.as_array(
        f(np.where(mask, new, 0.0), np.where(mask, old, 0.0), adv, mask, clip_eps, aggregation),
        mask.shape,
        "the gradient with zeros on the padding",
    )
    dirty = np.where(mask, new, garbage), np.where(mask, old, -garbage)
    got = checks.as_array(f(*dirty, adv, mask, clip_eps, aggregation), mask.shape, "the gradient")
    if not np.all(got[~mask] == 0.0):
        checks.fail(
            f"padding positions have a non-zero gradient (with {garbage} on the padding)",
            f"Got on the padding: {got[~mask][:4]}",
            hint="padding is not part of any response: its gradient is exactly 0 (np.where(mask, ..., "
            "0.0), since nan * 0 is still nan)",
        )
    checks.close(
        got,
        clean,
        rtol=1e-12,
        atol=1e-15,
        what=f"the gradient with {garbage} on the padding of logp_new (and {-garbage} on logp_old)",
        got_from=f"{garbage} on the padding",
        expected_from="0.0 on the padding",
        hint="the padding's values must not change the response tokens' gradient: select the response "
        "tokens (np.where(mask, ..., 0.0)) before computing anything with them",
    )


grpo_objective_grad.rejects(
    _objective_invalid(),
    description="raises ValueError for mismatched shapes, clip_eps outside (0, 1), an "
    "unknown aggregation, an empty response and B = 0",
)
