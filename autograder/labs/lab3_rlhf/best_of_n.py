"""`best_of_n_policy`: the exact distribution of the best of n draws from the reference policy.

Checked against the reference, an exact enumeration of every n-tuple of draws, a seeded
simulation, and a 60-digit `decimal` computation for large n and extreme logits.
"""

from __future__ import annotations

import itertools
from decimal import Decimal, localcontext

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import SECONDARY, STAT_SEED, best_of_n_policy
from autograder.labs.lab3_rlhf.strategies import best_of_n_cases
from autograder.numerics import log_softmax

best_of_n_policy.matches_reference(
    "matches the reference on random rewards with ties",
    2,
    best_of_n_cases(),
    examples=[
        (np.array([0.0, 0.0]), np.array([0.0, 1.0]), 2),
        (np.array([0.0, 1.0, -1.0, 0.5]), np.array([1.0, 1.0, 0.0, -1.0]), 3),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the best-of-n distribution",
)


def _enumerated(ref_logits: np.ndarray, rewards: np.ndarray, n: int) -> np.ndarray:
    """Best-of-n by listing every n-tuple of draws, a tie broken uniformly among the tied draws."""
    pi_ref = np.exp(log_softmax(ref_logits))
    result = np.zeros(rewards.size)
    for draws in itertools.product(range(rewards.size), repeat=n):
        best = max(rewards[y] for y in draws)
        winners = [y for y in draws if rewards[y] == best]
        for y in winners:
            result[y] += np.prod(pi_ref[list(draws)]) / len(winners)
    return result


@best_of_n_policy.holds("equals an exact enumeration of every n-tuple of draws (K <= 4, n <= 4)", points=1)
@given(case=best_of_n_cases(max_k=4, max_n=4))
@example(case=(np.array([0.0, 1.0, -1.0]), np.array([1.0, 1.0, 0.0]), 3))
def best_of_n_equals_enumeration(f, case):
    ref_logits, rewards, n = case
    checks.close(
        f(*case),
        _enumerated(ref_logits, rewards, n),
        rtol=1e-9,
        atol=1e-12,
        what=f"the best-of-{n} distribution, against all {rewards.size}**{n} tuples of draws",
    )


SIMULATIONS = 20000


@best_of_n_policy.holds(
    f"agrees with {SIMULATIONS} seeded simulations of best-of-n", points=1, max_examples=SECONDARY
)
@given(case=best_of_n_cases(max_n=16))
def best_of_n_agrees_with_simulation(f, case):
    ref_logits, rewards, n = case
    got = checks.as_probabilities(f(*case), rewards.size, "the best-of-n distribution")
    rng = np.random.default_rng(STAT_SEED)
    pi_ref = np.exp(log_softmax(ref_logits))
    draws = rng.choice(rewards.size, size=(SIMULATIONS, n), p=pi_ref)
    values = rewards[draws]
    is_best = values == values.max(axis=1, keepdims=True)
    pick = np.argmax(is_best * rng.random(draws.shape), axis=1)  # a uniformly random tied draw
    frequency = np.bincount(draws[np.arange(SIMULATIONS), pick], minlength=rewards.size) / SIMULATIONS
    tolerance = 5 * np.sqrt(np.clip(got * (1 - got), 0.0, None) / SIMULATIONS) + 1e-3 / SIMULATIONS
    if np.any(np.abs(frequency - got) > tolerance):
        checks.close(
            got,
            frequency,
            rtol=0.0,
            atol=float(tolerance.max()),
            what=f"the best-of-{n} distribution, against the frequencies of {SIMULATIONS} seeded simulations "
            "(allowed: 5 standard errors)",
        )


@best_of_n_policy.holds("is pi_ref for n = 1, and a probability vector for every n", points=1)
@given(case=best_of_n_cases(max_n=1000))
def best_of_n_is_a_distribution(f, case):
    ref_logits, rewards, n = case
    checks.close(
        f(ref_logits, rewards, 1),
        np.exp(log_softmax(ref_logits)),
        rtol=1e-9,
        atol=1e-12,
        what="best-of-1",
    )
    if n != 1:  # best-of-1, just checked against pi_ref, is a distribution when it is right
        checks.as_probabilities(f(*case), rewards.size, f"the best-of-{n} distribution")


@best_of_n_policy.holds("shares a tied level in proportion to pi_ref", points=1)
@given(weights=gen.arrays(3, -3.0, 3.0), n=st.sampled_from([2, 3, 10]))
@example(weights=np.array([0.0, np.log(3.0), 0.0]), n=2)
def best_of_n_shares_ties_by_pi_ref(f, weights, n):
    rewards = np.array([1.0, 1.0, 0.0])  # responses 0 and 1 tie at the top
    got = checks.as_array(f(weights, rewards, n), (3,), "the best-of-n distribution")
    pi_ref = np.exp(log_softmax(weights))
    top = 1 - pi_ref[2] ** n
    checks.close(
        got[:2],
        top * pi_ref[:2] / pi_ref[:2].sum(),
        rtol=1e-9,
        atol=1e-12,
        what=f"the probabilities of the two tied best responses (best-of-{n}, total 1 - pi_ref[2]**{n})",
    )


def _exact_best_of_n(ref_logits: np.ndarray, rewards: np.ndarray, n: int) -> np.ndarray:
    """Best-of-n in 60-digit decimal arithmetic: the float64 reference is not the judge of its own precision."""
    with localcontext() as context:
        context.prec = 60
        logits = [Decimal(float(z)) for z in ref_logits]
        top = max(logits)
        weights = [(z - top).exp() for z in logits]
        total = sum(weights)
        pi_ref = [w / total for w in weights]
        result = []
        for y in range(rewards.size):
            level = sum((p for p, r in zip(pi_ref, rewards, strict=True) if r == rewards[y]), Decimal(0))
            below = sum((p for p, r in zip(pi_ref, rewards, strict=True) if r < rewards[y]), Decimal(0))
            result.append(float(((below + level) ** n - below**n) * pi_ref[y] / level))
        return np.array(result)


@st.composite
def extreme_cases(draw):
    ref_logits, rewards, _ = draw(best_of_n_cases(scale=1e3))
    return ref_logits, rewards, draw(st.sampled_from([10**3, 10**5, 10**6]))


@best_of_n_policy.holds(
    "is accurate to 1e-12 for n up to 1e6 and logits up to ±1e3 (tail masses), with no warning",
    points=1,
    max_examples=SECONDARY,
)
@given(case=extreme_cases())
@example(case=(np.array([0.0, -35.0, -30.0]), np.array([0.0, 2.0, 1.0]), 10**6))
@example(case=(np.array([0.0, -40.0, -40.0, 1e3]), np.array([0.0, 1.0, 1.0, -1.0]), 10**6))
def best_of_n_is_accurate_for_large_n(f, case):
    ref_logits, rewards, n = case
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.finite(got, what=f"the best-of-{n} distribution")
    checks.no_warnings(outcome)
    checks.close(
        got,
        _exact_best_of_n(ref_logits, rewards, n),
        rtol=0.0,
        atol=1e-12,
        what=f"the best-of-{n} distribution, against a 60-digit computation",
    )


_PAIR = np.array([0.0, 1.0])
best_of_n_policy.rejects(
    [
        Invalid("n is 0", "n", (_PAIR, _PAIR, 0)),
        Invalid("n is -2", "n", (_PAIR, _PAIR, -2)),
        Invalid("n is 2.5", "n", (_PAIR, _PAIR, 2.5)),
        Invalid(
            "rewards has 3 entries and ref_logits 2",
            ("rewards", "shape"),
            (_PAIR, np.array([0.0, 1.0, 2.0]), 2),
        ),
    ]
)
