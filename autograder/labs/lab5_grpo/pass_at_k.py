"""Lab 5, `pass_at_k`: exact rationals for small n, the edge cases (1.0 when a draw must hit, c / n
for k = 1), monotonicity, precision for n up to 1e6, and the contract's errors."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import example, given

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab5_grpo.lab import SECONDARY, pass_at_k
from autograder.labs.lab5_grpo.strategies import large_counts, small_counts


def _exact_pass_at_k(n: int, c: int, k: int) -> float:
    """`1 - C(n - c, k) / C(n, k)` with exact rationals, over min(c, k) factors."""
    if n - c < k:
        return 1.0
    if c <= k:  # prod_{i = n - c + 1}^{n} (i - k) / i
        all_wrong = math.prod(Fraction(i - k, i) for i in range(n - c + 1, n + 1))
    else:  # prod_{j < k} (n - c - j) / (n - j)
        all_wrong = math.prod(Fraction(n - c - j, n - j) for j in range(k))
    return float(1 - all_wrong)


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
    )


@pass_at_k.holds("is exactly 1.0 when n - c < k", points=1, max_examples=SECONDARY)
@given(counts=small_counts().filter(lambda t: t[0] - t[1] < t[2]))
@example(counts=(5, 3, 3))
def pass_at_k_is_one_when_a_draw_must_hit(f, counts):
    got = checks.as_float(f(*counts), f"pass_at_k{counts}")
    if got != 1.0:
        _n, _c, _k = counts
        checks.fail(
            f"pass_at_k{counts} is not exactly 1.0",
            f"Got: {got!r}",
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
                )
        checks.close(
            over_k[-1], _exact_pass_at_k(n, c, n), rtol=1e-12, atol=1e-15, what=f"pass_at_k({n}, {c}, {n})"
        )
        checks.close(
            over_k[1], _exact_pass_at_k(n, c, 2), rtol=1e-12, atol=1e-15, what=f"pass_at_k({n}, {c}, 2)"
        )


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
        )
    got = f.result(outcome)
    checks.no_warnings(outcome)
    expected = _exact_pass_at_k(*counts)
    checks.close(
        got,
        expected,
        rtol=1e-9,
        atol=0.0,
        what=f"pass_at_k{counts}",
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
