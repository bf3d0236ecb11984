"""`kl_divergence` and `kl_estimators`: the divergence itself, and Schulman's per-sample estimators."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import SECONDARY, STAT_SEED, kl_divergence, kl_estimators, ref
from autograder.labs.lab3_rlhf.strategies import (
    distribution_pairs,
    distributions,
    log_probability_pairs,
    policy_cases,
)
from autograder.numerics import log_softmax

# --- kl_divergence --------------------------------------------------------------------------


def _check_kl(got, expected: float, *, what: str, hint: str = "") -> None:
    """`checks.close` for a KL value that may be inf: an infinity must be matched exactly (with a
    relative tolerance `checks.close` would accept any finite value for it); `hint` says what the
    expected value is on this input."""
    if (
        isinstance(got, int | float | np.floating)
        and (math.isinf(expected) or math.isinf(got))
        and got != expected
    ):
        checks.fail(f"{what} is wrong", f"Expected: {expected!r}", f"Got:      {float(got)!r}", hint=hint)
    checks.close(got, expected, rtol=1e-9, atol=1e-12, what=what, hint=hint)


@kl_divergence.holds("matches the reference on random distributions (zeros included)", points=2)
@given(pair=distribution_pairs())
@example(pair=(np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.25, 0.25], [0.25, 0.25]])))
def kl_matches_reference(f, pair):
    p, q = pair
    expected = ref.kl_divergence(p, q)
    hint = "sum over the entries with p > 0 of p * (log(p) - log(q))"
    if math.isinf(expected):
        hint = "some p > 0 meets q = 0: return float('inf')"
    elif np.any(p == 0):
        hint = "terms with p = 0 contribute 0 (in numpy, 0 * log(0) is nan): sum over p > 0 only"
    _check_kl(f(p, q), expected, what="KL(p || q)", hint=hint)


@kl_divergence.holds("is >= 0, and 0 exactly when p = q", points=1, max_examples=SECONDARY)
@given(pair=distribution_pairs(zeros=False))
@example(pair=(np.array([0.5, 0.5]), np.array([0.9, 0.1])))
def is_nonnegative_and_zero_at_equality(f, pair):
    p, q = pair
    checks.close(f(p, p), 0.0, atol=1e-12, what="KL(p || p)")
    got = f(p, q)
    pinsker = 0.5 * float(np.abs(p - q).sum()) ** 2
    checks.finite(got, what="KL(p || q) for two positive distributions")
    if not got >= pinsker * (1 - 1e-9) - 1e-12:
        checks.fail(
            "KL(p || q) is too small",
            f"Got: {got!r}",
            f"A KL divergence is >= 0 and, when p != q, at least 0.5 * sum|p - q|**2 = {pinsker!r}",
        )


@kl_divergence.holds(
    "is inf where p > 0 meets q = 0, and 0 * log(0 / q) = 0, with no warning",
    points=1,
    max_examples=SECONDARY,
)
@given(pair=distribution_pairs(min_k=2), data=st.data())
@example(pair=(np.array([0.5, 0.5]), np.array([1.0, 0.0])), data=None)
@example(pair=(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.5, 0.5])), data=None)
def handles_zeros(f, pair, data):
    p, q = pair
    if data is not None:  # move some of p's support where q is 0, or make p vanish where q does
        j = data.draw(st.sampled_from(np.flatnonzero(p > 0).tolist()), label="j")
        q = q.copy()
        if data.draw(st.booleans(), label="missing support") and np.any(np.arange(q.size) != j):
            q[j] = 0.0
            if q.sum() == 0:
                q[(j + 1) % q.size] = 1.0
        else:
            q[p == 0] = 0.0
            q[j] = max(q[j], 0.1)
        q /= q.sum()
    expected = ref.kl_divergence(p, q)
    outcome = f.attempt(p, q)
    got = f.result(outcome)
    if math.isinf(expected):
        hint = "some p > 0 meets q = 0: return float('inf') (check for it before taking logs)"
    else:
        hint = "terms with p = 0 contribute 0: sum over p > 0 only (numpy's 0 * log(0) is nan)"
    _check_kl(got, expected, what="KL(p || q)", hint=hint)
    checks.no_warnings(
        outcome,
    )


@kl_divergence.holds(
    "is not symmetric: the first argument is the distribution of the expectation",
    points=1,
    max_examples=SECONDARY,
)
@given(pair=distribution_pairs(zeros=False, min_k=2))
@example(pair=(np.array([0.5, 0.5]), np.array([0.9, 0.1])))
def is_not_symmetric(f, pair):
    p, q = pair
    for first, second, what in ((p, q, "KL(p || q)"), (q, p, "KL(q || p)")):
        _check_kl(
            f(first, second),
            ref.kl_divergence(first, second),
            what=what,
            hint="KL(p || q) = sum p * (log(p) - log(q)), the expectation under p",
        )


@kl_divergence.holds(
    "stays finite when q is tiny but positive (log p - log q, not log(p / q))",
    points=1,
    max_examples=SECONDARY,
)
@given(
    p=distributions(3, zeros=False),
    tiny=st.sampled_from([1e-310, 1e-305, 1e-300, 1e-250]),
    j=st.integers(0, 2),
)
@example(p=np.array([0.5, 0.5, 0.0]), tiny=1e-310, j=1)
def stays_finite_for_tiny_q(f, p, tiny, j):
    q = np.full(3, (1.0 - tiny) / 2)
    q[j] = tiny
    outcome = f.attempt(p, q)
    got = f.result(outcome)
    checks.finite(got, what="KL(p || q)")
    checks.no_warnings(outcome)
    _check_kl(got, ref.kl_divergence(p, q), what="KL(p || q)")


KL_ERRORS = [
    Invalid(
        "p and q have different shapes",
        ("shape", "p", "q"),
        (np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5])),
    ),
    Invalid("p has a negative entry", "p", (np.array([1.5, -0.5]), np.array([0.5, 0.5]))),
    Invalid("q has a negative entry", "q", (np.array([0.5, 0.5]), np.array([1.5, -0.5]))),
    Invalid("p sums to 0.9", "p", (np.array([0.5, 0.4]), np.array([0.5, 0.5]))),
    Invalid("q sums to 1.00001", "q", (np.array([0.5, 0.5]), np.array([0.5, 0.50001]))),
]


@kl_divergence.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def rejects_invalid_inputs_within_the_tolerance(f):
    for case in KL_ERRORS:
        checks.value_error(f.attempt(*case.args), case.arguments, why=case.why)
    got = f(np.array([0.5, 0.5 + 5e-7]), np.array([0.5, 0.5]))  # within the 1e-6 tolerance: valid
    checks.finite(got, what="KL when p sums to 1 + 5e-7 (allowed: the tolerance is 1e-6)")


# --- kl_estimators --------------------------------------------------------------------------


def _estimators(got, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`got` as the tuple (k1, k2, k3) of float arrays of `shape`, or a failure."""
    if not (isinstance(got, tuple) and len(got) == 3):
        checks.fail("the result should be a tuple of three arrays (k1, k2, k3)", f"Got: {type(got).__name__}")
    k1, k2, k3 = (
        checks.as_array(values, shape, name) for name, values in zip(("k1", "k2", "k3"), got, strict=True)
    )
    return k1, k2, k3


@kl_estimators.holds("matches the reference: k1, k2 and k3", points=1)
@given(pair=log_probability_pairs())
@example(pair=(np.array([0.0]), np.array([np.log(2.0)])))
def matches_reference_estimators(f, pair):
    logp, logp_ref = pair
    got = _estimators(f(logp, logp_ref), logp.shape)
    k1, k2, k3 = ref.kl_estimators(logp, logp_ref)
    checks.close(
        got[0],
        k1,
        rtol=1e-9,
        atol=1e-12,
        what="k1",
    )
    checks.close(
        got[1],
        k2,
        rtol=1e-9,
        atol=1e-12,
        what="k2",
    )
    checks.close(
        got[2],
        k3,
        rtol=1e-9,
        atol=1e-12,
        what="k3",
    )


@kl_estimators.holds(
    "k1 and k3 are unbiased: their mean under pi is KL(pi || pi_ref)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(min_k=2, scale=2.0))
@example(case=(np.array([0.0, 0.0]), np.array([1.0, 0.0]), None, None))
def k1_and_k3_are_unbiased(f, case):
    logits, ref_logits, _, _ = case
    log_pi, log_ref = log_softmax(logits), log_softmax(ref_logits)
    pi = np.exp(log_pi)
    kl = ref.kl_divergence(pi, np.exp(log_ref))
    # Each response once: the value of an estimator on every possible sample.
    values = _estimators(f(log_pi, log_ref), log_pi.shape)
    samples = np.random.default_rng(STAT_SEED).choice(logits.size, size=2000, p=pi)
    x = log_pi - log_ref
    {
        "k1 = log_ratio = logp - logp_ref (you computed logp_ref - logp)": -x,
        "k3 = exp(-log_ratio) - 1 + log_ratio: the ratio inside is pi_ref / pi (minus sign in the "
        "exponential)": np.expm1(x) - x,
        "k3 = exp(-log_ratio) - 1 + log_ratio (+ log_ratio at the end)": np.expm1(-x) - x,
    }
    for index, name in ((0, "k1"), (2, "k3")):
        exact = ref.kl_estimators(log_pi, log_ref)[index]
        tolerance = 5 * float(np.sqrt(pi @ (exact - kl) ** 2 / samples.size)) + 1e-12
        checks.close(
            float(np.mean(values[index][samples])),
            kl,
            rtol=0.0,
            atol=tolerance,
            what=f"the mean of {name} over 2000 seeded samples from pi (allowed: 5 standard errors = "
            f"{tolerance:.3g})",
        )
        checks.close(
            float(pi @ values[index]),
            kl,
            rtol=1e-9,
            atol=1e-12,
            what=f"E_pi[{name}] = sum_y pi(y) * {name}(y), against KL(pi || pi_ref)",
        )


@kl_estimators.holds("k3 is never negative", points=1, max_examples=SECONDARY)
@given(pair=log_probability_pairs(low=-30.0))
@example(
    pair=(np.array([-1.0, -1.0, -1.0, -2.0, 0.0]), np.array([-1.0 + 1e-9, -1.0 - 1e-9, -1.0, 0.0, -2.0]))
)
def k3_is_never_negative(f, pair):
    _, _, k3 = _estimators(f(*pair), pair[0].shape)
    if np.any(~(k3 >= -1e-12)):
        where = np.unravel_index(int(np.argmin(np.nan_to_num(k3, nan=-np.inf))), k3.shape)
        checks.fail(
            "k3 has a negative entry",
            f"At {list(map(int, where))}: k3 = {k3[where]!r}",
            f"with logp = {pair[0][where]!r} and logp_ref = {pair[1][where]!r}",
        )
    checks.close(k3, ref.kl_estimators(*pair)[2], rtol=1e-9, atol=1e-12, what="k3")


kl_estimators.rejects(
    [
        Invalid(
            "logp has 2 entries and logp_ref 3",
            ("logp_ref", "logp", "shape"),
            (np.array([-1.0, -2.0]), np.array([-1.0, -2.0, -3.0])),
        ),
        Invalid(
            "logp has shape (2,) and logp_ref (1, 2)",
            ("logp_ref", "logp", "shape"),
            (np.array([-1.0, -2.0]), np.array([[-1.0, -2.0]])),
        ),
    ],
    description="raises ValueError when the shapes differ",
)
