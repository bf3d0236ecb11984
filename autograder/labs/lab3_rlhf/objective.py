"""The exact route: `kl_regularized_objective`, `kl_regularized_gradient`, `rlhf_update` and
`optimal_policy`, the closed-form maximiser of the objective."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import (
    SECONDARY,
    STAT_SEED,
    kl_regularized_gradient,
    kl_regularized_objective,
    optimal_policy,
    ref,
    rlhf_update,
)
from autograder.labs.lab3_rlhf.strategies import policy_cases
from autograder.numerics import log_softmax, numerical_gradient


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(z))


def _objective_of_probabilities(pi: np.ndarray, ref_logits, rewards, beta: float) -> float:
    """`J` of a policy given as probabilities (zeros allowed: they contribute nothing)."""
    log_ref = log_softmax(np.asarray(ref_logits, dtype=np.float64))
    support = pi > 0
    log_ratio = np.log(pi[support]) - log_ref[support]
    return float(pi[support] @ (np.asarray(rewards, dtype=np.float64)[support] - beta * log_ratio))


def _policy_errors(*extra) -> list[Invalid]:
    """The invalid calls every function of `(logits, ref_logits, rewards, beta, *extra)` rejects."""
    a2, a3 = np.array([0.0, 1.0]), np.array([0.0, 1.0, 2.0])
    rewards = np.array([1.0, 2.0])
    return [
        Invalid(
            "ref_logits has 3 entries and logits 2", ("ref_logits", "shape"), (a2, a3, rewards, 1.0, *extra)
        ),
        Invalid("rewards has 3 entries and logits 2", ("rewards", "shape"), (a2, a2, a3 + 1.0, 1.0, *extra)),
        Invalid("beta is -0.5", "beta", (a2, a2, rewards, -0.5, *extra)),
    ]


# --- kl_regularized_objective ---------------------------------------------------------------


kl_regularized_objective.matches_reference(
    "matches the reference on random policies, rewards and beta",
    2,
    policy_cases(),
    examples=[
        (np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5),
        (np.array([2.0, -1.0, 0.5]), np.array([-1.0, 0.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1.0),
    ],
    rtol=1e-9,
    atol=1e-9,
    what="J",
)


@kl_regularized_objective.holds(
    "adding c to the rewards adds c; adding c to the logits changes nothing", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(), shifts=gen.arrays(3, -100.0, 100.0))
@example(
    case=(np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 2.0]), 1.0),
    shifts=np.array([0.0, 0.0, 50.0]),
)
def objective_shifts(f, case, shifts):
    logits, ref_logits, rewards, beta = case
    base = f(logits, ref_logits, rewards, beta)
    checks.finite(base, what="J")
    checks.close(
        f(logits, ref_logits, rewards + shifts[2], beta),
        base + shifts[2],
        rtol=1e-9,
        atol=1e-9,
        what=f"J with {shifts[2]!r} added to every reward",
        got_from="J(logits, ref_logits, rewards + c)",
        expected_from="J(logits, ref_logits, rewards) + c",
        relation="the first to be the second plus c: a constant reward adds c to J",
    )
    checks.close(
        f(logits + shifts[0], ref_logits + shifts[1], rewards, beta),
        base,
        rtol=1e-9,
        atol=1e-9,
        what="J with a constant added to logits and to ref_logits",
        got_from="J(logits + c1, ref_logits + c2, rewards)",
        expected_from="J(logits, ref_logits, rewards)",
        relation="the two equal: logits shifted by constants give the same policies",
    )


@kl_regularized_objective.holds(
    "stays finite, with no warning, for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(scale=1e3, extreme=True))
@example(case=(np.array([1e3, -1e3]), np.array([-1e3, 1e3]), np.array([1.0, 2.0]), 0.5))
@example(case=(np.array([1e3, 0.0, -1e3]), np.array([0.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), 1.0))
def objective_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.kl_regularized_objective(*case), rtol=1e-9, atol=1e-6, what="J")


kl_regularized_objective.rejects(_policy_errors())


# --- kl_regularized_gradient ----------------------------------------------------------------


kl_regularized_gradient.matches_reference(
    "matches the reference on random policies, rewards and beta",
    2,
    policy_cases(),
    examples=[
        (np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5),
        (np.array([2.0, -1.0, 0.5]), np.array([-1.0, 0.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1.0),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="dJ/dlogits",
)


@kl_regularized_gradient.holds("equals finite differences of the reference objective", points=2)
@given(case=policy_cases(max_k=5))
def gradient_equals_finite_differences(f, case):
    logits, ref_logits, rewards, beta = case
    numeric = numerical_gradient(lambda z: ref.kl_regularized_objective(z, ref_logits, rewards, beta), logits)
    checks.close(
        f(*case),
        numeric,
        rtol=1e-5,
        atol=1e-7,
        what="dJ/dlogits",
    )


@kl_regularized_gradient.holds(
    "sums to 0 (a constant added to every logit changes nothing)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases())
def gradient_sums_to_zero(f, case):
    got = checks.as_array(f(*case), (case[0].size,), "dJ/dlogits")
    checks.close(
        float(np.sum(got)),
        0.0,
        atol=1e-10,
        what="the sum of the gradient's entries",
    )
    checks.close(got, ref.kl_regularized_gradient(*case), rtol=1e-9, atol=1e-9, what="dJ/dlogits")


@kl_regularized_gradient.holds(
    "is unchanged by adding a constant to the rewards or the logits", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(), shifts=gen.arrays(3, -100.0, 100.0))
@example(
    case=(np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 2.0]), 1.0),
    shifts=np.array([0.0, 0.0, 50.0]),
)
def gradient_ignores_shifts(f, case, shifts):
    logits, ref_logits, rewards, beta = case
    base = checks.as_array(f(*case), (logits.size,), "dJ/dlogits")
    checks.close(
        f(logits, ref_logits, rewards + shifts[2], beta),
        base,
        rtol=1e-9,
        atol=1e-9,
        what=f"the gradient with {shifts[2]!r} added to every reward",
        got_from="dJ/dlogits(logits, ref_logits, rewards + c)",
        expected_from="dJ/dlogits(logits, ref_logits, rewards)",
        relation="the two equal: constant shifts change nothing",
    )
    checks.close(
        f(logits + shifts[0], ref_logits + shifts[1], rewards, beta),
        base,
        rtol=1e-9,
        atol=1e-9,
        what="the gradient with a constant added to logits and to ref_logits",
        got_from="dJ/dlogits(logits + c1, ref_logits + c2, rewards)",
        expected_from="dJ/dlogits(logits, ref_logits, rewards)",
        relation="the two equal: constant shifts change nothing",
    )
    checks.close(base, ref.kl_regularized_gradient(*case), rtol=1e-9, atol=1e-9, what="dJ/dlogits")


@kl_regularized_gradient.holds(
    "stays finite, with no warning, for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(scale=1e3, extreme=True))
@example(case=(np.array([1e3, 1e3, -1e3]), np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0]), 1.0))
@example(case=(np.array([1e3, -1e3]), np.array([-1e3, 1e3]), np.array([1.0, 2.0]), 0.5))
@example(case=(np.array([1e3, 0.0, -1e3]), np.array([0.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), 1.0))
def gradient_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.kl_regularized_gradient(*case), rtol=1e-9, atol=1e-9, what="dJ/dlogits")


kl_regularized_gradient.rejects(_policy_errors())


# --- rlhf_update ----------------------------------------------------------------------------


@rlhf_update.holds("matches the reference: logits + lr * gradient", points=1)
@given(case=policy_cases(), lr=st.sampled_from([0.1, 1.0, 5.0]))
@example(case=(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5), lr=2.0)
def update_matches_reference(f, case, lr):
    checks.close(
        f(*case, lr),
        ref.rlhf_update(*case, lr),
        rtol=1e-9,
        atol=1e-12,
        what="the new logits",
    )


@rlhf_update.holds("a small step never lowers the objective", points=1, max_examples=SECONDARY)
@given(case=policy_cases())
def small_step_never_lowers_the_objective(f, case):
    logits, ref_logits, rewards, beta = case
    new = checks.as_array(f(*case, 1e-3), (logits.size,), "the new logits")
    before = ref.kl_regularized_objective(*case)
    after = ref.kl_regularized_objective(new, ref_logits, rewards, beta)
    if not after >= before - 1e-12 * (1 + abs(before)):
        checks.fail(
            "J went down after a step of lr = 0.001",
            f"J before: {before!r}",
            f"J after:  {after!r}",
        )
    checks.close(new, ref.rlhf_update(*case, 1e-3), rtol=1e-9, atol=1e-12, what="the new logits")


@rlhf_update.holds("leaves the optimum (log optimal_policy) where it is", points=1, max_examples=SECONDARY)
@given(case=policy_cases(low_beta=0.2, scale=3.0))
def update_leaves_the_optimum(f, case):
    _, ref_logits, rewards, beta = case
    optimum = np.log(ref.optimal_policy(ref_logits, rewards, beta))
    checks.close(
        f(optimum, ref_logits, rewards, beta, 1.0),
        optimum,
        rtol=1e-9,
        atol=1e-9,
        what="the logits after a step from log optimal_policy(...)",
    )
    checks.close(
        f(*case, 1.0),
        ref.rlhf_update(*case, 1.0),
        rtol=1e-9,
        atol=1e-9,
        what="the logits after a step from logits",
    )


_GOOD = (np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 2.0]), 1.0)
rlhf_update.rejects(
    [
        Invalid("lr is 0", "lr", (*_GOOD, 0.0)),
        Invalid("lr is -0.1", "lr", (*_GOOD, -0.1)),
        *_policy_errors(0.1),
    ]
)


# --- optimal_policy -------------------------------------------------------------------------


@optimal_policy.holds("matches the reference: softmax(ref_logits + rewards / beta)", points=2)
@given(case=policy_cases(low_beta=0.05, high_beta=10.0))
@example(case=(None, np.array([0.0, 0.0]), np.array([0.0, np.log(3.0)]), 1.0))
def optimum_matches_reference(f, case):
    _, ref_logits, rewards, beta = case
    checks.close(
        f(ref_logits, rewards, beta),
        ref.optimal_policy(ref_logits, rewards, beta),
        rtol=1e-9,
        atol=1e-12,
        what="pi*",
    )


@optimal_policy.holds("beats random policies on the objective J", points=1, max_examples=SECONDARY)
@given(case=policy_cases(min_k=2, low_beta=0.05, high_beta=10.0))
def optimum_beats_random_policies(f, case):
    _, ref_logits, rewards, beta = case
    pi = checks.as_probabilities(f(ref_logits, rewards, beta), rewards.size)
    best = _objective_of_probabilities(pi, ref_logits, rewards, beta)
    rng = np.random.default_rng(STAT_SEED)
    rivals = [("pi_ref", ref_logits), ("the greedy policy", np.where(rewards == rewards.max(), 0.0, -np.inf))]
    rivals += [(f"a random policy (logits {z!r})", z) for z in rng.normal(0.0, 3.0, size=(20, rewards.size))]
    for name, z in rivals:
        value = _objective_of_probabilities(_softmax(z), ref_logits, rewards, beta)
        if value > best + 1e-9 * (1 + abs(best)):
            checks.fail(
                f"{name} has a higher J than your optimal policy",
                f"J(yours) = {best!r}",
                f"J({name}) = {value!r}",
            )


@optimal_policy.holds("tends to pi_ref as beta grows", points=1, max_examples=SECONDARY)
@given(case=policy_cases(low_beta=1.0))
def optimum_tends_to_the_reference(f, case):
    _, ref_logits, rewards, _ = case
    for beta in (1e4, 1e8):
        checks.close(
            f(ref_logits, rewards, beta),
            _softmax(ref_logits),
            atol=1e-3 if beta == 1e4 else 1e-7,
            rtol=0.0,
            what=f"pi* with beta = {beta:g}",
        )


@optimal_policy.holds(
    "tends to the best response as beta shrinks, without overflow", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(min_k=2), gap=gen.floats(0.5, 5.0))
@example(case=(None, np.array([0.0, 0.0, 0.0]), np.array([1.0, 10.0, 9.0]), 1.0), gap=1.0)
def optimum_tends_to_the_best_response(f, case, gap):
    _, ref_logits, rewards, _ = case
    rewards = rewards.copy()
    best = int(np.argmax(rewards))
    rewards[best] = np.max(np.delete(rewards, best)) + gap  # a unique best response
    for beta in (1e-3, 1e-6):
        outcome = f.attempt(ref_logits, rewards, beta)
        got = f.result(outcome)
        checks.finite(got, what=f"pi* with beta = {beta:g}")
        checks.no_warnings(outcome)
        greedy = (np.arange(rewards.size) == best).astype(float)
        checks.close(
            got,
            greedy,
            atol=1e-9,
            rtol=0.0,
            what=f"pi* with beta = {beta:g}",
        )


@optimal_policy.holds(
    "is a fixed point of rlhf_update (the gradient of J vanishes there)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(low_beta=0.2, scale=3.0))
def optimum_is_a_fixed_point(f, case):
    _, ref_logits, rewards, beta = case
    pi = checks.as_probabilities(f(ref_logits, rewards, beta), rewards.size)
    if np.any(pi <= 0):
        checks.fail(
            "pi* has a zero entry",
            f"Got: {pi!r}",
        )
    logits = np.log(pi)
    moved = ref.rlhf_update(logits, ref_logits, rewards, beta, 1.0)
    checks.close(
        moved,
        logits,
        rtol=1e-9,
        atol=1e-9,
        what="log pi* after one step of the reference rlhf_update",
        got_from="the reference rlhf_update(log pi*)",
        expected_from="log pi*, from your optimal_policy",
        relation="the two equal: the optimum is a fixed point of the update",
    )


_PAIR = np.array([0.0, 1.0])
optimal_policy.rejects(
    [
        Invalid("beta is 0", "beta", (_PAIR, np.array([1.0, 2.0]), 0.0)),
        Invalid("beta is -1", "beta", (_PAIR, np.array([1.0, 2.0]), -1.0)),
        Invalid(
            "rewards has 3 entries and ref_logits 2",
            ("rewards", "shape"),
            (_PAIR, np.array([1.0, 2.0, 3.0]), 1.0),
        ),
    ]
)
