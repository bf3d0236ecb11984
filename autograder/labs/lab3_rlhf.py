"""Graded properties of Lab 3: RLHF, the KL-penalised policy (`exercises/lab3_rlhf.py`)."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Lab, reference
from autograder.numerics import numerical_gradient

ref = reference("lab3_rlhf")
LAB = Lab(3, "lab3_rlhf", "RLHF: the KL-penalised policy")

SEED_CAPABILITIES = {"Helpfulness": 65.0, "Clarity": 70.0, "Safety": 55.0, "Refusal Robustness": 40.0}
SEED_WEIGHTS = {"Helpfulness": 0.30, "Clarity": 0.20, "Safety": 0.35, "Refusal Robustness": 0.15}
SECONDARY = 8
"""Examples for invariants and metamorphic relations (the agreement properties get the default 15)."""
STAT_SEED = 20240611
"""The seed of every sampled check: the same samples for every submission, on every run."""


# --- local helpers (reference-side arithmetic only: they never call learner code) -------------


def _log_softmax(z: np.ndarray) -> np.ndarray:
    return z - np.logaddexp.reduce(z)


def _centred(pi: np.ndarray, a: np.ndarray) -> np.ndarray:
    """`pi * (a - E_pi[a])`: the gradient w.r.t. the logits of `sum_y pi(y) * a(y)`, a held fixed."""
    return pi * (a - pi @ a)


def _objective_of_probabilities(pi: np.ndarray, ref_logits, rewards, beta: float) -> float:
    """`J` of a policy given as probabilities (zeros allowed: they contribute nothing)."""
    log_ref = _log_softmax(np.asarray(ref_logits, dtype=np.float64))
    support = pi > 0
    log_ratio = np.log(pi[support]) - log_ref[support]
    return float(pi[support] @ (np.asarray(rewards, dtype=np.float64)[support] - beta * log_ratio))


def _as_array(got, shape: tuple[int, ...], what: str) -> np.ndarray:
    """`got` as a float array of `shape`, or a failure saying what came back instead."""
    if not (isinstance(got, np.ndarray) and got.shape == shape and got.dtype.kind == "f"):
        checks.close(got, np.zeros(shape), what=what)  # reports the type, shape or dtype
    return got


def _as_vector(got, size: int, what: str) -> np.ndarray:
    """`got` as a float vector of length `size`, or a failure saying what came back instead."""
    return _as_array(got, (size,), what)


def _as_probabilities(got, size: int, what: str = "the policy") -> np.ndarray:
    """Check `got` is a probability vector of length `size` (finite, >= 0, summing to 1)."""
    pi = _as_vector(got, size, what)
    checks.finite(pi, what=what, hint="subtract the maximum of ref_logits + rewards / beta before np.exp")
    if np.any(pi < 0) or abs(pi.sum() - 1.0) > 1e-9:
        checks.fail(f"{what} is not a probability vector", f"Got: {pi!r} (sum {pi.sum()!r})",
                    hint="normalise: divide the weights by their sum")  # fmt: skip
    return pi


def _finite(mistakes: dict) -> dict:
    """The known mistakes whose values are finite (`checks.close` matches anything against inf)."""
    return {hint: value for hint, value in mistakes.items() if np.all(np.isfinite(value))}


def _check_kl(got, expected: float, *, what: str, hint: str, mistakes: dict[str, float]) -> None:
    """`checks.close` for a KL value that may be inf: an infinity must be matched exactly (with a
    relative tolerance `checks.close` would accept any finite value for it), and a mistake that
    gives the same infinity is named."""
    if (
        isinstance(got, int | float | np.floating)
        and (math.isinf(expected) or math.isinf(got))
        and got != expected
    ):
        named = next((h for h, v in mistakes.items() if v == got), hint)
        checks.fail(f"{what} is wrong", f"Expected: {expected!r}", f"Got:      {float(got)!r}", hint=named)
    checks.close(got, expected, rtol=1e-9, atol=1e-12, what=what, hint=hint, mistakes=_finite(mistakes))


@st.composite
def policy_cases(draw, min_k: int = 1, max_k: int = 6, scale: float = 5.0, low_beta: float = 0.0,
                 high_beta: float = 5.0):  # fmt: skip
    """`(logits, ref_logits, rewards, beta)` for a policy over K responses."""
    k = draw(st.integers(min_k, max_k))
    logits, ref_logits, rewards = (draw(gen.arrays(k, -scale, scale)) for _ in range(3))
    return logits, ref_logits, rewards, draw(gen.floats(low_beta, high_beta))


@st.composite
def distributions(draw, size: int, zeros: bool = True) -> np.ndarray:
    """A probability vector of length `size`, with some zero entries when `zeros`."""
    z = draw(gen.arrays(size, -5.0, 5.0))
    if zeros:
        keep = np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        keep[draw(st.integers(0, size - 1))] = True
        z = np.where(keep, z, -np.inf)
    weights = np.exp(z - z.max())
    return weights / weights.sum()


@st.composite
def distribution_pairs(draw, zeros: bool = True, min_k: int = 1):
    """`(p, q)` of one length; with `zeros`, some entries of either may be 0 (KL may be inf)."""
    k = draw(st.integers(min_k, 6))
    return draw(distributions(k, zeros)), draw(distributions(k, zeros))


# --- rlhf_capability_step -------------------------------------------------------------------

rlhf_capability_step = LAB.function("rlhf_capability_step")


def _damped(capabilities, weights, step_size, factor, cap, clip=True) -> np.ndarray:
    values = np.array([c + weights[k] * step_size * factor for k, c in capabilities.items()])
    return np.clip(values, 0.0, cap if clip else np.inf)


@rlhf_capability_step.holds("reproduces the seed's RLHF table (58.8 -> 62.2 over five iterations)", points=1)
def _(f):
    weights = np.array(list(SEED_WEIGHTS.values()))
    scores = SEED_CAPABILITIES
    for iteration in range(1, 6):
        scores = f(scores, SEED_WEIGHTS)
        checks.equal(type(scores).__name__, "dict", what="the result's type")
        checks.equal(list(scores), list(SEED_CAPABILITIES), what="the capabilities, in order",
                     hint="return every capability, in the order of `capabilities`")  # fmt: skip
        expected = np.array(list(SEED_CAPABILITIES.values())) + iteration * 2.5 * weights
        checks.close(np.array(list(scores.values()), dtype=float), expected, rtol=1e-12,
                     what=f"the scores after iteration {iteration}",
                     hint="each score gains reward_weights[k] * step_size * (1 - kl_penalty) = 2.5 * weight")  # fmt: skip
    total = float(weights @ np.array(list(scores.values()), dtype=float))
    checks.close(total, 62.1875, rtol=1e-12, what="the total reward after 5 iterations (seed: 62.2)")


@st.composite
def capability_cases(draw):
    names = draw(st.lists(st.sampled_from(["Helpfulness", "Clarity", "Safety", "Refusal Robustness", "Tone"]),
                          min_size=1, max_size=5, unique=True))  # fmt: skip
    cap = draw(st.sampled_from([100.0, 60.0, 10.0]))
    capabilities = {k: draw(gen.floats(0.0, cap)) for k in names}
    order = draw(st.permutations(names))
    weights = {k: draw(gen.floats(-1.0, 1.0)) for k in order}
    step_size = draw(st.sampled_from([0.0, 1.0, 5.0, 20.0]) | gen.floats(0.0, 50.0))
    kl_penalty = draw(st.sampled_from([0.0, 0.2, 0.5, 1.0]) | gen.floats(0.0, 1.0))
    return capabilities, weights, step_size, kl_penalty, cap


@rlhf_capability_step.holds("matches the reference on random capabilities, weights and kl_penalty", points=1)
@given(case=capability_cases())
def _(f, case):
    capabilities, weights, step_size, kl_penalty, cap = case
    got = f(capabilities, weights, step_size=step_size, kl_penalty=kl_penalty, cap=cap)
    expected = ref.rlhf_capability_step(capabilities, weights, step_size, kl_penalty, cap)
    checks.equal(list(got) if isinstance(got, dict) else got, list(expected), what="the capabilities, in order",
                 hint="return a dict with the keys of `capabilities`, in its order")  # fmt: skip
    checks.close(np.array(list(got.values()), dtype=float), np.array(list(expected.values())), what="the scores",
                 mistakes={
                     "the step is damped by (1 - kl_penalty), not multiplied by kl_penalty":
                         _damped(capabilities, weights, step_size, kl_penalty, cap),
                     "clip every score to [0, cap]": _damped(capabilities, weights, step_size, 1 - kl_penalty, cap,
                                                             clip=False),
                 }, hint="clip(c + reward_weights[k] * step_size * (1 - kl_penalty), 0, cap)")  # fmt: skip


@rlhf_capability_step.holds("respects the cap and kl_penalty (1.0 changes nothing, 0.2 keeps 80 %)", points=1)
def _(f):
    capabilities, weights = {"a": 50.0, "b": 98.0, "c": 1.0}, {"a": 1.0, "b": 1.0, "c": -1.0}
    cases = [
        (1.0, 100.0, [50.0, 98.0, 1.0], "kl_penalty = 1 removes the whole step: nothing changes"),
        (0.2, 100.0, [54.0, 100.0, 0.0], "kl_penalty = 0.2 keeps 1 - 0.2 = 80 % of the step; clip to [0, cap]"),
        (0.0, 100.0, [55.0, 100.0, 0.0], "kl_penalty = 0 keeps the full step; clip to [0, cap]"),
        (0.5, 52.0, [52.0, 52.0, 0.0], "no score may exceed `cap` (even one that starts above it)"),
    ]  # fmt: skip
    for kl_penalty, cap, expected, hint in cases:
        got = f(capabilities, weights, step_size=5.0, kl_penalty=kl_penalty, cap=cap)
        checks.close(np.array(list(got.values()), dtype=float), np.array(expected), rtol=1e-12,
                     what=f"the scores with kl_penalty={kl_penalty}, cap={cap}", hint=hint)  # fmt: skip


CAPABILITY_ERRORS = [
    ("reward_weights lacks a capability", ("reward_weights", "capabilities", "keys"),
     dict(capabilities={"a": 1.0, "b": 2.0}, reward_weights={"a": 1.0})),
    ("reward_weights has an extra key", ("reward_weights", "capabilities", "keys"),
     dict(capabilities={"a": 1.0}, reward_weights={"a": 1.0, "z": 1.0})),
    ("kl_penalty is 1.5", "kl_penalty", dict(capabilities={"a": 1.0}, reward_weights={"a": 1.0}, kl_penalty=1.5)),
    ("kl_penalty is -0.1", "kl_penalty", dict(capabilities={"a": 1.0}, reward_weights={"a": 1.0}, kl_penalty=-0.1)),
    ("step_size is -1", "step_size", dict(capabilities={"a": 1.0}, reward_weights={"a": 1.0}, step_size=-1.0)),
    ("a capability is nan", "capabilities", dict(capabilities={"a": float("nan")}, reward_weights={"a": 1.0})),
    ("a reward weight is inf", "reward_weights", dict(capabilities={"a": 1.0}, reward_weights={"a": float("inf")})),
    ("step_size is inf", "step_size", dict(capabilities={"a": 1.0}, reward_weights={"a": 1.0}, step_size=math.inf)),
]  # fmt: skip


@rlhf_capability_step.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, kwargs in CAPABILITY_ERRORS:
        checks.value_error(f.attempt(**kwargs), argument, why=why)


# --- kl_divergence --------------------------------------------------------------------------

kl_divergence = LAB.function("kl_divergence")


def _kl_mistakes(p: np.ndarray, q: np.ndarray) -> dict[str, float]:
    swapped = ref.kl_divergence(q, p)
    return {
        "KL(p || q) = sum p * log(p / q): the expectation is under p, the first argument (you computed "
        "KL(q || p))": swapped,
        "the sign: it is log(p / q), not log(q / p)": -ref.kl_divergence(p, q),
        "KL is not symmetric: do not average KL(p || q) and KL(q || p)": (ref.kl_divergence(p, q) + swapped)
        / 2,
    }


@kl_divergence.holds("matches the reference on random distributions (zeros included)", points=2)
@given(pair=distribution_pairs())
@example(pair=(np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([[0.25, 0.25], [0.25, 0.25]])))
def _(f, pair):
    p, q = pair
    expected = ref.kl_divergence(p, q)
    hint = "sum over the entries with p > 0 of p * (log(p) - log(q))"
    if math.isinf(expected):
        hint = "some p > 0 meets q = 0: return float('inf')"
    elif np.any(p == 0):
        hint = "terms with p = 0 contribute 0 (in numpy, 0 * log(0) is nan): sum over p > 0 only"
    _check_kl(f(p, q), expected, what="KL(p || q)", hint=hint, mistakes=_kl_mistakes(p, q))


@kl_divergence.holds("is >= 0, and 0 exactly when p = q", points=1, max_examples=SECONDARY)
@given(pair=distribution_pairs(zeros=False))
@example(pair=(np.array([0.5, 0.5]), np.array([0.9, 0.1])))
def _(f, pair):
    p, q = pair
    checks.close(f(p, p), 0.0, atol=1e-12, what="KL(p || p)", hint="log(p) - log(p) = 0 for every term")
    got = f(p, q)
    pinsker = 0.5 * float(np.abs(p - q).sum()) ** 2
    checks.finite(got, what="KL(p || q) for two positive distributions")
    if not got >= pinsker * (1 - 1e-9) - 1e-12:
        checks.fail("KL(p || q) is too small", f"Got: {got!r}",
                    f"A KL divergence is >= 0 and, when p != q, at least 0.5 * sum|p - q|**2 = {pinsker!r}",
                    hint="KL(p || q) = sum p * (log(p) - log(q)): check the sign of the log-ratio")  # fmt: skip


@kl_divergence.holds(
    "is inf where p > 0 meets q = 0, and 0 * log(0 / q) = 0, with no warning",
    points=1,
    max_examples=SECONDARY,
)
@given(pair=distribution_pairs(min_k=2), data=st.data())
@example(pair=(np.array([0.5, 0.5]), np.array([1.0, 0.0])), data=None)
@example(pair=(np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.5, 0.5])), data=None)
def _(f, pair, data):
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
    got = f(p, q)
    if math.isinf(expected):
        hint = "some p > 0 meets q = 0: return float('inf') (check for it before taking logs)"
    else:
        hint = "terms with p = 0 contribute 0: sum over p > 0 only (numpy's 0 * log(0) is nan)"
    _check_kl(got, expected, what="KL(p || q)", hint=hint, mistakes=_kl_mistakes(p, q))
    checks.no_warnings(outcome, hint="test for p > 0 with q == 0 and skip p == 0 before np.log, rather than "
                                     "letting numpy divide by 0")  # fmt: skip


@kl_divergence.holds(
    "is not symmetric: the first argument is the distribution of the expectation",
    points=1,
    max_examples=SECONDARY,
)
@given(pair=distribution_pairs(zeros=False, min_k=2))
@example(pair=(np.array([0.5, 0.5]), np.array([0.9, 0.1])))
def _(f, pair):
    p, q = pair
    for first, second, what in ((p, q, "KL(p || q)"), (q, p, "KL(q || p)")):
        _check_kl(f(first, second), ref.kl_divergence(first, second), what=what, mistakes=_kl_mistakes(first, second),
                  hint="KL(p || q) = sum p * (log(p) - log(q)), the expectation under p")  # fmt: skip


@kl_divergence.holds(
    "stays finite when q is tiny but positive (log p - log q, not log(p / q))",
    points=1,
    max_examples=SECONDARY,
)
@given(p=distributions(3, zeros=False), tiny=st.sampled_from([1e-310, 1e-305, 1e-300, 1e-250]),
       j=st.integers(0, 2))  # fmt: skip
@example(p=np.array([0.5, 0.5, 0.0]), tiny=1e-310, j=1)
def _(f, p, tiny, j):
    q = np.full(3, (1.0 - tiny) / 2)
    q[j] = tiny
    outcome = f.attempt(p, q)
    got = f(p, q)
    hint = "compute log(p) - log(q): the ratio p / q overflows to inf when q is tiny"
    checks.finite(got, what="KL(p || q)", hint=hint)
    checks.no_warnings(outcome, hint=hint)
    _check_kl(got, ref.kl_divergence(p, q), what="KL(p || q)", hint=hint, mistakes=_kl_mistakes(p, q))


KL_ERRORS = [
    ("p and q have different shapes", ("shape", "p", "q"), ([0.5, 0.5], [0.2, 0.3, 0.5])),
    ("p has a negative entry", "p", ([1.5, -0.5], [0.5, 0.5])),
    ("q has a negative entry", "q", ([0.5, 0.5], [1.5, -0.5])),
    ("p sums to 0.9", "p", ([0.5, 0.4], [0.5, 0.5])),
    ("q sums to 1.00001", "q", ([0.5, 0.5], [0.5, 0.50001])),
]  # fmt: skip


@kl_divergence.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, args in KL_ERRORS:
        checks.value_error(f.attempt(*(np.array(a) for a in args)), argument, why=why)
    got = f(np.array([0.5, 0.5 + 5e-7]), np.array([0.5, 0.5]))  # within the 1e-6 tolerance: valid
    checks.finite(got, what="KL when p sums to 1 + 5e-7 (allowed: the tolerance is 1e-6)")


# --- kl_regularized_objective ---------------------------------------------------------------

kl_regularized_objective = LAB.function("kl_regularized_objective")


def _objective_mistakes(logits, ref_logits, rewards, beta) -> dict[str, float]:
    pi, pi_ref = np.exp(_log_softmax(logits)), np.exp(_log_softmax(ref_logits))
    kl, reward = ref.kl_divergence(pi, pi_ref), float(pi @ rewards)
    return {
        "J = E_pi[r] - beta * KL: subtract the KL term (you added it)": reward + beta * kl,
        "the KL is KL(pi || pi_ref), the policy first (you computed KL(pi_ref || pi))":
            reward - beta * ref.kl_divergence(pi_ref, pi),
        "J includes the KL penalty: - beta * KL(pi || pi_ref)": reward,
        "E_pi[r] = sum(pi * rewards), a probability-weighted sum, not mean(rewards)":
            float(np.mean(rewards)) - beta * kl,
        "log pi = logits - logsumexp(logits): raw logits are not log-probabilities":
            reward - beta * float(pi @ (logits - ref_logits)),
    }  # fmt: skip


@kl_regularized_objective.holds("matches the reference on random policies, rewards and beta", points=2)
@given(case=policy_cases())
@example(case=(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5))
@example(case=(np.array([2.0, -1.0, 0.5]), np.array([-1.0, 0.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1.0))
def _(f, case):
    checks.close(f(*case), ref.kl_regularized_objective(*case), rtol=1e-9, atol=1e-9, what="J",
                 mistakes=_objective_mistakes(*case),
                 hint="J = sum_y pi(y) * (r(y) - beta * (log_pi(y) - log_pi_ref(y)))")  # fmt: skip


@kl_regularized_objective.holds("adding c to the rewards adds c; adding c to the logits changes nothing",
                                   points=1, max_examples=SECONDARY)  # fmt: skip
@given(case=policy_cases(), shifts=gen.arrays(3, -100.0, 100.0))
@example(case=(np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 2.0]), 1.0),
         shifts=np.array([0.0, 0.0, 50.0]))  # fmt: skip
def _(f, case, shifts):
    logits, ref_logits, rewards, beta = case
    base = f(logits, ref_logits, rewards, beta)
    checks.finite(base, what="J")
    checks.close(f(logits, ref_logits, rewards + shifts[2], beta), base + shifts[2], rtol=1e-9, atol=1e-9,
                 what=f"J with {shifts[2]!r} added to every reward",
                 hint="J = E_pi[r] - beta * KL, and E_pi[r + c] = E_pi[r] + c because pi sums to 1")  # fmt: skip
    checks.close(f(logits + shifts[0], ref_logits + shifts[1], rewards, beta), base, rtol=1e-9, atol=1e-9,
                 what="J with a constant added to logits and to ref_logits",
                 hint="softmax ignores a constant added to every logit: use log_pi = logits - logsumexp(logits), "
                      "never the raw logits")  # fmt: skip


@kl_regularized_objective.holds(
    "stays finite, with no warning, for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(scale=1e3))
@example(case=(np.array([1e3, -1e3]), np.array([-1e3, 1e3]), np.array([1.0, 2.0]), 0.5))
@example(case=(np.array([1e3, 0.0, -1e3]), np.array([0.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), 1.0))
def _(f, case):
    outcome = f.attempt(*case)
    got = f(*case)
    checks.finite(got, what="J", hint="work with log-probabilities from a stable log-softmax "
                                      "(logits - logsumexp(logits)), not np.log(softmax(...)) or np.exp(logits)")  # fmt: skip
    checks.no_warnings(outcome, hint="np.exp of a large logit overflows and np.log of an underflowed "
                                     "probability is -inf: stay in log space")  # fmt: skip
    checks.close(got, ref.kl_regularized_objective(*case), rtol=1e-9, atol=1e-6, what="J",
                 mistakes=_finite(_objective_mistakes(*case)))  # fmt: skip


POLICY_ERRORS = [
    ("ref_logits has 3 entries and logits 2", ("ref_logits", "shape"), ([0.0, 1.0], [0.0, 1.0, 2.0], [1.0, 2.0], 1.0)),
    ("rewards has 3 entries and logits 2", ("rewards", "shape"), ([0.0, 1.0], [0.0, 1.0], [1.0, 2.0, 3.0], 1.0)),
    ("beta is -0.5", "beta", ([0.0, 1.0], [0.0, 1.0], [1.0, 2.0], -0.5)),
]  # fmt: skip


@kl_regularized_objective.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, args in POLICY_ERRORS:
        checks.value_error(f.attempt(*(np.array(a) for a in args[:3]), args[3]), argument, why=why)


# --- kl_regularized_gradient ----------------------------------------------------------------

kl_regularized_gradient = LAB.function("kl_regularized_gradient")


def _gradient_mistakes(logits, ref_logits, rewards, beta) -> dict[str, np.ndarray]:
    log_pi, log_ref = _log_softmax(logits), _log_softmax(ref_logits)
    pi, pi_ref = np.exp(log_pi), np.exp(log_ref)
    a = rewards - beta * (log_pi - log_ref) - beta
    return {
        "subtract the baseline E_pi[a] (softmax Jacobian): pi * (a - E_pi[a]); without it the gradient does "
        "not sum to 0": pi * a,
        "subtract the baseline E_pi[a]: pi * (a - E_pi[a]) (you returned pi * (r - beta * log-ratio))":
            pi * (a + beta),
        "the KL penalty has a gradient too: a = r - beta * (log pi - log pi_ref) - beta":
            _centred(pi, rewards),
        "the KL term enters with a minus sign: a = r - beta * (log pi - log pi_ref) - beta":
            _centred(pi, rewards + beta * (log_pi - log_ref)),
        "the KL is KL(pi || pi_ref), the policy first (the gradient of KL(pi_ref || pi) is pi - pi_ref)":
            _centred(pi, rewards) - beta * (pi - pi_ref),
        "this is the gradient of J, to be ascended: check the overall sign": -ref.kl_regularized_gradient(
            logits, ref_logits, rewards, beta),
    }  # fmt: skip


@kl_regularized_gradient.holds("matches the reference on random policies, rewards and beta", points=2)
@given(case=policy_cases())
@example(case=(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5))
@example(case=(np.array([2.0, -1.0, 0.5]), np.array([-1.0, 0.0, 3.0]), np.array([1.0, -2.0, 0.5]), 1.0))
def _(f, case):
    checks.close(f(*case), ref.kl_regularized_gradient(*case), rtol=1e-9, atol=1e-12, what="dJ/dlogits",
                 mistakes=_gradient_mistakes(*case),
                 hint="dJ/dlogits = pi * (a - E_pi[a]) with a = r - beta * (log pi - log pi_ref) - beta")  # fmt: skip


@kl_regularized_gradient.holds("equals finite differences of the reference objective", points=2)
@given(case=policy_cases(max_k=5))
def _(f, case):
    logits, ref_logits, rewards, beta = case
    numeric = numerical_gradient(lambda z: ref.kl_regularized_objective(z, ref_logits, rewards, beta), logits)
    checks.close(f(*case), numeric, rtol=1e-5, atol=1e-7, what="dJ/dlogits",
                 mistakes=_gradient_mistakes(*case),
                 hint="differentiate J = sum_y pi(y) * (r(y) - beta * log-ratio(y)) through the softmax")  # fmt: skip


@kl_regularized_gradient.holds(
    "sums to 0 (a constant added to every logit changes nothing)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases())
def _(f, case):
    got = _as_vector(f(*case), case[0].size, "dJ/dlogits")
    checks.close(float(np.sum(got)), 0.0, atol=1e-10, what="the sum of the gradient's entries",
                 hint="dJ/dz = pi * (a - E_pi[a]): subtracting E_pi[a] makes the entries sum to 0")  # fmt: skip


@kl_regularized_gradient.holds(
    "is unchanged by adding a constant to the rewards or the logits", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(), shifts=gen.arrays(3, -100.0, 100.0))
@example(case=(np.array([1.0, 2.0, 0.0]), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 2.0]), 1.0),
         shifts=np.array([0.0, 0.0, 50.0]))  # fmt: skip
def _(f, case, shifts):
    logits, ref_logits, rewards, beta = case
    base = _as_vector(f(*case), logits.size, "dJ/dlogits")
    checks.close(f(logits, ref_logits, rewards + shifts[2], beta), base, rtol=1e-9, atol=1e-9,
                 what=f"the gradient with {shifts[2]!r} added to every reward",
                 hint="a reward shift must cancel: dJ/dz = pi * (a - E_pi[a]) (subtract E_pi[a])")  # fmt: skip
    checks.close(f(logits + shifts[0], ref_logits + shifts[1], rewards, beta), base, rtol=1e-9, atol=1e-9,
                 what="the gradient with a constant added to logits and to ref_logits",
                 hint="use log-probabilities (logits - logsumexp(logits)), never the raw logits")  # fmt: skip


@kl_regularized_gradient.holds(
    "stays finite, with no warning, for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(scale=1e3))
@example(case=(np.array([1e3, -1e3]), np.array([-1e3, 1e3]), np.array([1.0, 2.0]), 0.5))
@example(case=(np.array([1e3, 0.0, -1e3]), np.array([0.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), 1.0))
def _(f, case):
    outcome = f.attempt(*case)
    got = f(*case)
    checks.finite(got, what="dJ/dlogits", hint="use a stable log-softmax (subtract the maximum logit), "
                                               "not np.exp(logits) or np.log(softmax(...))")  # fmt: skip
    checks.no_warnings(outcome, hint="np.exp of a large logit overflows: stay in log space")
    checks.close(got, ref.kl_regularized_gradient(*case), rtol=1e-9, atol=1e-9, what="dJ/dlogits",
                 mistakes=_finite(_gradient_mistakes(*case)))  # fmt: skip


@kl_regularized_gradient.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, args in POLICY_ERRORS:
        checks.value_error(f.attempt(*(np.array(a) for a in args[:3]), args[3]), argument, why=why)


# --- rlhf_update ----------------------------------------------------------------------------

rlhf_update = LAB.function("rlhf_update")


@rlhf_update.holds("matches the reference: logits + lr * gradient", points=1)
@given(case=policy_cases(), lr=st.sampled_from([0.1, 1.0, 5.0]))
@example(case=(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([1.0, 3.0]), 0.5), lr=2.0)
def _(f, case, lr):
    logits = case[0]
    grad = ref.kl_regularized_gradient(*case)
    checks.close(f(*case, lr), ref.rlhf_update(*case, lr), rtol=1e-9, atol=1e-12, what="the new logits",
                 mistakes={
                     "J is maximised: gradient *ascent*, logits + lr * gradient": logits - lr * grad,
                     "scale the step by lr": logits + grad,
                     "return the updated logits, not the step": lr * grad,
                     "step along the gradient of the whole J, the KL term included (beta matters)":
                         logits + lr * ref.kl_regularized_gradient(*case[:3], 0.0),
                 })  # fmt: skip


@rlhf_update.holds("a small step never lowers the objective", points=1, max_examples=SECONDARY)
@given(case=policy_cases())
def _(f, case):
    logits, ref_logits, rewards, beta = case
    new = _as_vector(f(*case, 1e-3), logits.size, "the new logits")
    before = ref.kl_regularized_objective(*case)
    after = ref.kl_regularized_objective(new, ref_logits, rewards, beta)
    if not after >= before - 1e-12 * (1 + abs(before)):
        checks.fail("J went down after a step of lr = 0.001", f"J before: {before!r}", f"J after:  {after!r}",
                    hint="J is maximised: logits + lr * kl_regularized_gradient(...), the full gradient of J")  # fmt: skip


@rlhf_update.holds("leaves the optimum (log optimal_policy) where it is", points=1, max_examples=SECONDARY)
@given(case=policy_cases(low_beta=0.2, scale=3.0))
def _(f, case):
    _, ref_logits, rewards, beta = case
    optimum = np.log(ref.optimal_policy(ref_logits, rewards, beta))
    checks.close(f(optimum, ref_logits, rewards, beta, 1.0), optimum, rtol=1e-9, atol=1e-9,
                 what="the logits after a step from log optimal_policy(...)",
                 hint="the gradient of J vanishes at pi*: the update must use the full gradient "
                      "pi * (a - E_pi[a]) with a = r - beta * (log pi - log pi_ref) - beta")  # fmt: skip


@rlhf_update.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    good = (np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([1.0, 2.0]), 1.0)
    checks.value_error(f.attempt(*good, 0.0), "lr", why="lr is 0")
    checks.value_error(f.attempt(*good, -0.1), "lr", why="lr is -0.1")
    for why, argument, args in POLICY_ERRORS:
        checks.value_error(f.attempt(*(np.array(a) for a in args[:3]), args[3], 0.1), argument, why=why)


# --- optimal_policy -------------------------------------------------------------------------

optimal_policy = LAB.function("optimal_policy")


def _softmax(z: np.ndarray) -> np.ndarray:
    return np.exp(_log_softmax(z))


def _optimal_mistakes(ref_logits, rewards, beta) -> dict[str, np.ndarray]:
    return {
        "pi* ∝ pi_ref * exp(r / beta): divide the rewards by beta (you multiplied)": _softmax(ref_logits + rewards * beta),
        "pi* ∝ pi_ref * exp(+r / beta): high rewards get more mass": _softmax(ref_logits - rewards / beta),
        "pi* ∝ pi_ref * exp(r / beta): keep the reference policy's log-probabilities": _softmax(rewards / beta),
        "return probabilities (normalised), not logits": ref_logits + rewards / beta,
    }  # fmt: skip


@optimal_policy.holds("matches the reference: softmax(ref_logits + rewards / beta)", points=2)
@given(case=policy_cases(low_beta=0.05, high_beta=10.0))
@example(case=(None, np.array([0.0, 0.0]), np.array([0.0, np.log(3.0)]), 1.0))
def _(f, case):
    _, ref_logits, rewards, beta = case
    checks.close(f(ref_logits, rewards, beta), ref.optimal_policy(ref_logits, rewards, beta), rtol=1e-9,
                 atol=1e-12, what="pi*", mistakes=_optimal_mistakes(ref_logits, rewards, beta),
                 hint="pi* = softmax(ref_logits + rewards / beta), with the maximum subtracted")  # fmt: skip


@optimal_policy.holds("beats random policies on the objective J", points=1, max_examples=SECONDARY)
@given(case=policy_cases(min_k=2, low_beta=0.05, high_beta=10.0))
def _(f, case):
    _, ref_logits, rewards, beta = case
    pi = _as_probabilities(f(ref_logits, rewards, beta), rewards.size)
    best = _objective_of_probabilities(pi, ref_logits, rewards, beta)
    rng = np.random.default_rng(STAT_SEED)
    rivals = [("pi_ref", ref_logits), ("the greedy policy", np.where(rewards == rewards.max(), 0.0, -np.inf))]
    rivals += [(f"a random policy (logits {z!r})", z) for z in rng.normal(0.0, 3.0, size=(20, rewards.size))]
    for name, z in rivals:
        value = _objective_of_probabilities(_softmax(z), ref_logits, rewards, beta)
        if value > best + 1e-9 * (1 + abs(best)):
            checks.fail(f"{name} has a higher J than your optimal policy", f"J(yours) = {best!r}",
                        f"J({name}) = {value!r}",
                        hint="pi* ∝ pi_ref * exp(r / beta) maximises E_pi[r] - beta * KL(pi || pi_ref)")  # fmt: skip


@optimal_policy.holds("tends to pi_ref as beta grows", points=1, max_examples=SECONDARY)
@given(case=policy_cases(low_beta=1.0))
def _(f, case):
    _, ref_logits, rewards, _ = case
    for beta in (1e4, 1e8):
        checks.close(f(ref_logits, rewards, beta), _softmax(ref_logits), atol=1e-3 if beta == 1e4 else 1e-7,
                     rtol=0.0, what=f"pi* with beta = {beta:g}",
                     mistakes=_optimal_mistakes(ref_logits, rewards, beta),
                     hint="with a strong KL penalty the optimum stays at pi_ref = softmax(ref_logits)")  # fmt: skip


@optimal_policy.holds(
    "tends to the best response as beta shrinks, without overflow", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(min_k=2), gap=gen.floats(0.5, 5.0))
@example(case=(None, np.array([0.0, 0.0, 0.0]), np.array([1.0, 10.0, 9.0]), 1.0), gap=1.0)
def _(f, case, gap):
    _, ref_logits, rewards, _ = case
    rewards = rewards.copy()
    best = int(np.argmax(rewards))
    rewards[best] = np.max(np.delete(rewards, best)) + gap  # a unique best response
    for beta in (1e-3, 1e-6):
        outcome = f.attempt(ref_logits, rewards, beta)
        got = f(ref_logits, rewards, beta)
        checks.finite(got, what=f"pi* with beta = {beta:g}",
                      hint="subtract the maximum of ref_logits + rewards / beta before np.exp")  # fmt: skip
        checks.no_warnings(outcome, hint="rewards / beta is huge for a small beta: subtract the maximum "
                                         "before np.exp")  # fmt: skip
        greedy = (np.arange(rewards.size) == best).astype(float)
        checks.close(got, greedy, atol=1e-9, rtol=0.0, what=f"pi* with beta = {beta:g}",
                     mistakes=_optimal_mistakes(ref_logits, rewards, beta),
                     hint="as beta -> 0 all the mass goes to the best-rewarded response")  # fmt: skip


@optimal_policy.holds(
    "is a fixed point of rlhf_update (the gradient of J vanishes there)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(low_beta=0.2, scale=3.0))
def _(f, case):
    _, ref_logits, rewards, beta = case
    pi = _as_probabilities(f(ref_logits, rewards, beta), rewards.size)
    if np.any(pi <= 0):
        checks.fail("pi* has a zero entry", f"Got: {pi!r}", hint="every response keeps some mass: "
                    "pi* ∝ pi_ref * exp(r / beta) > 0")  # fmt: skip
    logits = np.log(pi)
    moved = ref.rlhf_update(logits, ref_logits, rewards, beta, 1.0)
    checks.close(moved, logits, rtol=1e-9, atol=1e-9, what="log pi* after one step of the reference rlhf_update",
                 hint="at the maximiser of J the gradient is 0: pi* ∝ pi_ref * exp(r / beta)")  # fmt: skip


@optimal_policy.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    checks.value_error(f.attempt(np.array([0.0, 1.0]), np.array([1.0, 2.0]), 0.0), "beta", why="beta is 0")
    checks.value_error(f.attempt(np.array([0.0, 1.0]), np.array([1.0, 2.0]), -1.0), "beta", why="beta is -1")
    checks.value_error(f.attempt(np.array([0.0, 1.0]), np.array([1.0, 2.0, 3.0]), 1.0), ("rewards", "shape"),
                       why="rewards has 3 entries and ref_logits 2")  # fmt: skip


# --- reinforce_kl_gradient ------------------------------------------------------------------

reinforce_kl_gradient = LAB.function("reinforce_kl_gradient")


def _reinforce(logits, ref_logits, samples, rewards, beta, kl_sign=-1.0, baseline="loo") -> np.ndarray:
    """The REINFORCE estimate with a chosen shaped reward and baseline (to name mistakes)."""
    log_pi, log_ref = _log_softmax(logits), _log_softmax(ref_logits)
    shaped = rewards + kl_sign * beta * (log_pi[samples] - log_ref[samples])
    n = shaped.size
    b = {"loo": (shaped.sum() - shaped) / (n - 1), "mean": np.full(n, shaped.mean()),
         "none": np.zeros(n), "loo/n": (shaped.sum() - shaped) / n}[baseline]  # fmt: skip
    score = (np.arange(logits.size) == samples[:, None]) - np.exp(log_pi)
    return ((shaped - b)[:, None] * score).mean(axis=0)


def _reinforce_mistakes(logits, ref_logits, samples, rewards, beta) -> dict[str, np.ndarray]:
    args = (logits, ref_logits, samples, rewards, beta)
    return {
        "the baseline leaves s_i out: b_i = (sum_j s_j - s_i) / (n - 1), not the mean of all n samples":
            _reinforce(*args, baseline="mean"),
        "subtract the leave-one-out baseline b_i from each shaped reward": _reinforce(*args, baseline="none"),
        "the leave-one-out baseline averages n - 1 samples: divide by n - 1, not n":
            _reinforce(*args, baseline="loo/n"),
        "the shaped reward includes the KL: s_i = r_i - beta * (log pi(y_i) - log pi_ref(y_i))":
            _reinforce(logits, ref_logits, samples, rewards, 0.0),
        "s_i = r_i MINUS beta * (log pi(y_i) - log pi_ref(y_i))": _reinforce(*args, kl_sign=1.0),
        "average over the samples (mean_i), do not sum": samples.size * _reinforce(*args),
    }  # fmt: skip


@st.composite
def reinforce_cases(draw):
    logits, ref_logits, _, beta = draw(policy_cases())
    n = draw(st.integers(2, 8))
    samples = np.array(
        draw(st.lists(st.integers(0, logits.size - 1), min_size=n, max_size=n)), dtype=np.int64
    )
    return logits, ref_logits, samples, draw(gen.arrays(n, -5.0, 5.0)), beta


@reinforce_kl_gradient.holds("matches the reference exactly on given samples", points=2)
@given(case=reinforce_cases())
@example(case=(np.array([1.0, 0.0, -1.0]), np.array([0.0, 2.0, 0.0]), np.array([0, 0, 2, 1]),
               np.array([1.0, 2.0, -1.0, 0.5]), 1.0))  # fmt: skip
@example(case=(np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([0, 1]), np.array([1.0, 3.0]), 0.5))
def _(f, case):
    checks.close(f(*case), ref.reinforce_kl_gradient(*case), rtol=1e-9, atol=1e-12, what="the estimate",
                 mistakes=_reinforce_mistakes(*case),
                 hint="mean_i (s_i - b_i) * (onehot(y_i) - pi), with the shaped reward s_i and the "
                      "leave-one-out baseline b_i")  # fmt: skip


def _expected_mistakes(logits, ref_logits, rewards, beta, n) -> dict[str, np.ndarray]:
    """What biased estimators average to (their expectations, in closed form)."""
    log_pi, log_ref = _log_softmax(logits), _log_softmax(ref_logits)
    pi, exact = np.exp(log_pi), ref.kl_regularized_gradient(logits, ref_logits, rewards, beta)
    return {
        f"biased by (n - 1) / n = {(n - 1) / n:g}: the baseline must leave s_i out (a mean over all n "
        "samples includes s_i itself)": (n - 1) / n * exact,
        "biased: the shaped reward must include the KL, s_i = r_i - beta * (log pi(y_i) - log pi_ref(y_i))":
            _centred(pi, rewards),
        "biased: s_i = r_i MINUS beta * log-ratio": _centred(pi, rewards + beta * (log_pi - log_ref)),
    }  # fmt: skip


@reinforce_kl_gradient.holds("is unbiased: its exact mean over all batches of 2-3 samples is dJ/dlogits",
                                points=1, max_examples=6)  # fmt: skip
@given(case=policy_cases(min_k=2, max_k=4, scale=2.0, high_beta=2.0), n=st.sampled_from([2, 3]))
def _(f, case, n):
    logits, ref_logits, rewards, beta = case
    k = logits.size
    n = 2 if k > 3 else n
    pi = np.exp(_log_softmax(logits))
    mean = np.zeros(k)
    for batch in itertools.product(range(k), repeat=n):
        samples = np.array(batch, dtype=np.int64)
        estimate = _as_vector(f(logits, ref_logits, samples, rewards[samples], beta), k, "the estimate")
        mean += np.prod(pi[samples]) * estimate
    checks.close(mean, ref.kl_regularized_gradient(*case), rtol=1e-7, atol=1e-10,
                 what=f"the probability-weighted mean of the estimate over all {k}**{n} batches of {n}",
                 mistakes=_expected_mistakes(*case, n),
                 hint="E[(s_i - b_i) * (onehot(y_i) - pi)] is dJ/dlogits only if b_i does not depend on y_i")  # fmt: skip


BATCHES = 5000


@reinforce_kl_gradient.holds(f"averaged over {BATCHES} seeded batches, approaches kl_regularized_gradient",
                                points=1, max_examples=5)  # fmt: skip
@given(case=policy_cases(min_k=2, max_k=5, scale=2.0, high_beta=2.0), n=st.sampled_from([2, 3]))
@example(case=(np.array([0.5, 0.0, -0.5]), np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.0, -1.0]), 0.5), n=2)
def _(f, case, n):
    logits, ref_logits, rewards, beta = case
    n = 2 if logits.size > 3 else n
    pi = np.exp(_log_softmax(logits))
    batches = np.random.default_rng(STAT_SEED).choice(logits.size, size=(BATCHES, n), p=pi)
    # The estimate depends only on the batch: one call for each distinct batch, weighted by its count.
    distinct, counts = np.unique(batches, axis=0, return_counts=True)
    estimates = np.array([_as_vector(f(logits, ref_logits, y, rewards[y], beta), logits.size, "the estimate")
                          for y in distinct])  # fmt: skip
    reference = np.array(
        [ref.reinforce_kl_gradient(logits, ref_logits, y, rewards[y], beta) for y in distinct]
    )
    weights = counts / BATCHES
    spread = np.sqrt(weights @ (reference - weights @ reference) ** 2)
    tolerance = 5 * float(spread.max()) / np.sqrt(BATCHES) + 1e-12
    checks.close(weights @ estimates, ref.kl_regularized_gradient(*case), rtol=0.0, atol=tolerance,
                 what=f"the mean of the estimates over {BATCHES} seeded batches of {n} samples (allowed: 5 "
                      f"standard errors = {tolerance:.3g})",
                 mistakes=_expected_mistakes(*case, n),
                 hint="the estimate must be unbiased: check the shaped reward and that b_i leaves s_i out")  # fmt: skip


REINFORCE_ERRORS = [
    ("n = 1 (no other sample for the baseline)", ("samples", "n"), ([0.0, 1.0], [0.0, 1.0], [1], [1.0], 1.0)),
    ("a sample equals K", ("samples", "sample"), ([0.0, 1.0], [0.0, 1.0], [0, 2], [1.0, 2.0], 1.0)),
    ("a sample is negative", ("samples", "sample"), ([0.0, 1.0], [0.0, 1.0], [0, -1], [1.0, 2.0], 1.0)),
    ("beta is -1", "beta", ([0.0, 1.0], [0.0, 1.0], [0, 1], [1.0, 2.0], -1.0)),
    ("samples has 3 entries and sample_rewards 2", ("sample_rewards", "samples", "length"),
     ([0.0, 1.0], [0.0, 1.0], [0, 1, 1], [1.0, 2.0], 1.0)),
    ("ref_logits has 3 entries and logits 2", ("ref_logits", "shape"), ([0.0, 1.0], [0.0, 1.0, 2.0], [0, 1],
                                                                        [1.0, 2.0], 1.0)),
]  # fmt: skip


@reinforce_kl_gradient.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, (logits, ref_logits, samples, rewards, beta) in REINFORCE_ERRORS:
        outcome = f.attempt(
            np.array(logits), np.array(ref_logits), np.array(samples), np.array(rewards), beta
        )
        checks.value_error(outcome, argument, why=why)


# --- ppo_clip_objective ---------------------------------------------------------------------

ppo_clip_objective = LAB.function("ppo_clip_objective")


def _ppo_mistakes(logp_new, logp_old, advantages, clip_eps) -> dict[str, float]:
    def surrogate(rho, pick=np.minimum, clipped_only=False):
        clipped = np.clip(rho, 1 - clip_eps, 1 + clip_eps) * advantages
        return float(np.mean(clipped if clipped_only else pick(rho * advantages, clipped)))

    with np.errstate(over="ignore", invalid="ignore"):
        rho = np.exp(logp_new - logp_old)
        return {
            "min(rho * A, clip(rho) * A): keep the unclipped term too, and take the minimum of the two "
            "(the pessimistic bound), neither the clipped term alone nor the maximum": surrogate(rho, clipped_only=True),
            "take the minimum of the two terms (the pessimistic bound), not the maximum": surrogate(rho, np.maximum),
            "rho = exp(logp_new - logp_old): exponentiate the log-ratio": surrogate(logp_new - logp_old),
            "rho = exp(logp_new - logp_old), new over old": surrogate(1 / rho),
            "clip rho to [1 - clip_eps, 1 + clip_eps] in the second term": float(np.mean(rho * advantages)),
            "average over the samples (mean), do not sum": advantages.size * surrogate(rho),
        }  # fmt: skip


@st.composite
def ppo_cases(draw, low: float = -2.0, high: float = 2.0):
    n = draw(st.integers(1, 6))
    logp_old = draw(gen.arrays(n, -10.0, 0.0))
    log_ratio = draw(gen.arrays(n, low, high))
    clip_eps = draw(st.sampled_from([0.1, 0.2, 0.3]) | gen.floats(0.01, 0.99))
    return logp_old + log_ratio, logp_old, draw(gen.arrays(n, -5.0, 5.0)), clip_eps


@ppo_clip_objective.holds("matches the reference on random log-probabilities and advantages", points=2)
@given(case=ppo_cases())
@example(case=(np.array([np.log(2.0)]), np.array([0.0]), np.array([1.0]), 0.2))
@example(case=(np.array([np.log(2.0), np.log(0.5)]), np.array([0.0, 0.0]), np.array([-1.0, 1.0]), 0.2))
def _(f, case):
    got = f(*case[:3]) if case[3] == 0.2 else f(*case)  # the default clip_eps is 0.2
    checks.close(got, ref.ppo_clip_objective(*case), rtol=1e-9, atol=1e-12, what="the surrogate",
                 mistakes=_ppo_mistakes(*case),
                 hint="mean(min(rho * A, clip(rho, 1 - clip_eps, 1 + clip_eps) * A)), rho = exp(logp_new - logp_old)")  # fmt: skip


@ppo_clip_objective.holds(
    "equals the unclipped surrogate mean(rho * A) inside the trust region", points=1, max_examples=SECONDARY
)
@given(case=ppo_cases(), data=st.data())
def _(f, case, data):
    _, logp_old, advantages, clip_eps = case
    u = data.draw(gen.arrays(logp_old.size, -0.99, 0.99), label="u")
    rho = 1 + u * clip_eps
    logp_new = logp_old + np.log(rho)
    checks.close(f(logp_new, logp_old, advantages, clip_eps), float(np.mean(rho * advantages)), rtol=1e-9,
                 atol=1e-12, what="the surrogate with every rho inside [1 - clip_eps, 1 + clip_eps]",
                 mistakes=_ppo_mistakes(logp_new, logp_old, advantages, clip_eps),
                 hint="inside the trust region the clip does nothing: the result is mean(rho * A)")  # fmt: skip


def _beyond(data, logp_old, clip_eps, push: bool):
    """Advantages with random signs and log-ratios beyond the trust region: in the direction the
    advantage pushes (`push`: rho > 1 + eps where A > 0, rho < 1 - eps where A < 0), or against it."""
    n = logp_old.size
    signs = np.where(np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n))), 1.0, -1.0)
    advantages = signs * data.draw(gen.arrays(n, 0.1, 5.0), label="|A|")
    excess = data.draw(gen.arrays(n, 0.01, 2.0), label="excess")
    up, down = np.log1p(clip_eps) + excess, np.log1p(-clip_eps) - excess
    log_ratio = np.where((advantages > 0) == push, up, down)
    return advantages, log_ratio, excess


@ppo_clip_objective.holds(
    "is flat beyond the trust region in the direction the advantage pushes", points=1, max_examples=SECONDARY
)
@given(case=ppo_cases(), data=st.data())
def _(f, case, data):
    _, logp_old, _, clip_eps = case
    advantages, log_ratio, _ = _beyond(data, logp_old, clip_eps, push=True)
    flat = float(np.mean(np.where(advantages > 0, 1 + clip_eps, 1 - clip_eps) * advantages))
    for further in (0.0, 1.0):
        logp_new = logp_old + log_ratio + further * np.sign(log_ratio)
        checks.close(f(logp_new, logp_old, advantages, clip_eps), flat, rtol=1e-9, atol=1e-12,
                     what="the surrogate with rho > 1 + clip_eps where A > 0 and rho < 1 - clip_eps where A < 0"
                          + (", pushed further" if further else ""),
                     mistakes=_ppo_mistakes(logp_new, logp_old, advantages, clip_eps),
                     hint="there the clipped term is the smaller one: the surrogate stops changing")  # fmt: skip


@ppo_clip_objective.holds(
    "keeps the unclipped term where it is lower (the pessimistic minimum)", points=1, max_examples=SECONDARY
)
@given(case=ppo_cases(), data=st.data())
def _(f, case, data):
    _, logp_old, _, clip_eps = case
    advantages, log_ratio, _ = _beyond(data, logp_old, clip_eps, push=False)
    logp_new = logp_old + log_ratio
    checks.close(f(logp_new, logp_old, advantages, clip_eps), float(np.mean(np.exp(log_ratio) * advantages)),
                 rtol=1e-9, atol=1e-12,
                 what="the surrogate with rho < 1 - clip_eps where A > 0 and rho > 1 + clip_eps where A < 0",
                 mistakes=_ppo_mistakes(logp_new, logp_old, advantages, clip_eps),
                 hint="min(rho * A, clip(rho) * A) is rho * A here: a bad update is never clipped away")  # fmt: skip


PPO_ERRORS = [
    ("logp_old has 3 entries and logp_new 2", ("logp_old", "logp_new", "length", "shape"),
     ([-1.0, -2.0], [-1.0, -2.0, -3.0], [1.0, 2.0], 0.2)),
    ("advantages has 3 entries and logp_new 2", ("advantages", "length", "shape"),
     ([-1.0, -2.0], [-1.0, -2.0], [1.0, 2.0, 3.0], 0.2)),
    ("clip_eps is 0", "clip_eps", ([-1.0], [-1.0], [1.0], 0.0)),
    ("clip_eps is 1", "clip_eps", ([-1.0], [-1.0], [1.0], 1.0)),
    ("clip_eps is -0.2", "clip_eps", ([-1.0], [-1.0], [1.0], -0.2)),
    ("clip_eps is 1.5", "clip_eps", ([-1.0], [-1.0], [1.0], 1.5)),
]  # fmt: skip


@ppo_clip_objective.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, (new, old, adv, clip_eps) in PPO_ERRORS:
        outcome = f.attempt(np.array(new), np.array(old), np.array(adv), clip_eps)
        checks.value_error(outcome, argument, why=why)


# --- kl_estimators --------------------------------------------------------------------------

kl_estimators = LAB.function("kl_estimators")


def _estimators(got, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`got` as the tuple (k1, k2, k3) of float arrays of `shape`, or a failure."""
    if not (isinstance(got, tuple) and len(got) == 3):
        checks.fail("the result should be a tuple of three arrays (k1, k2, k3)", f"Got: {type(got).__name__}")
    for name, values in zip(("k1", "k2", "k3"), got, strict=True):
        _as_array(values, shape, name)
    return got


@st.composite
def log_probability_pairs(draw, low: float = -10.0):
    shape = draw(gen.shapes(max_dims=2, max_side=5))
    return draw(gen.arrays(shape, low, 0.0)), draw(gen.arrays(shape, low, 0.0))


@kl_estimators.holds("matches the reference: k1, k2 and k3", points=1)
@given(pair=log_probability_pairs())
@example(pair=(np.array([0.0]), np.array([np.log(2.0)])))
def _(f, pair):
    logp, logp_ref = pair
    got = _estimators(f(logp, logp_ref), logp.shape)
    k1, k2, k3 = ref.kl_estimators(logp, logp_ref)
    x = logp - logp_ref
    checks.close(got[0], k1, rtol=1e-9, atol=1e-12, what="k1", mistakes={
        "log_ratio = logp - logp_ref = log(pi / pi_ref) (you computed logp_ref - logp)": -k1}, hint="k1 = log_ratio")  # fmt: skip
    checks.close(got[1], k2, rtol=1e-9, atol=1e-12, what="k2", mistakes={
        "k2 = log_ratio**2 / 2: you forgot the 1/2": 2 * k2}, hint="k2 = log_ratio**2 / 2")  # fmt: skip
    checks.close(got[2], k3, rtol=1e-9, atol=1e-12, what="k3", mistakes={
        "k3 = exp(-log_ratio) - 1 + log_ratio: the ratio inside is pi_ref / pi (minus sign in the exponential)":
            np.exp(x) - 1 - x,
        "k3 = exp(-log_ratio) - 1 + log_ratio (+ log_ratio at the end)": np.exp(-x) - 1 - x,
    }, hint="k3 = exp(-log_ratio) - 1 + log_ratio")  # fmt: skip


@kl_estimators.holds(
    "k1 and k3 are unbiased: their mean under pi is KL(pi || pi_ref)", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(min_k=2, scale=2.0))
@example(case=(np.array([0.0, 0.0]), np.array([1.0, 0.0]), None, None))
def _(f, case):
    logits, ref_logits, _, _ = case
    log_pi, log_ref = _log_softmax(logits), _log_softmax(ref_logits)
    pi = np.exp(log_pi)
    kl = ref.kl_divergence(pi, np.exp(log_ref))
    # Each response once: the value of an estimator on every possible sample.
    values = _estimators(f(log_pi, log_ref), log_pi.shape)
    samples = np.random.default_rng(STAT_SEED).choice(logits.size, size=2000, p=pi)
    x = log_pi - log_ref
    wrong = {
        "k1 = log_ratio = logp - logp_ref (you computed logp_ref - logp)": -x,
        "k3 = exp(-log_ratio) - 1 + log_ratio: the ratio inside is pi_ref / pi (minus sign in the exponential)":
            np.expm1(x) - x,
        "k3 = exp(-log_ratio) - 1 + log_ratio (+ log_ratio at the end)": np.expm1(-x) - x,
    }  # fmt: skip
    hint = "k1 = log_ratio and k3 = exp(-log_ratio) - 1 + log_ratio, with log_ratio = logp - logp_ref"
    for index, name in ((0, "k1"), (2, "k3")):
        exact = ref.kl_estimators(log_pi, log_ref)[index]
        tolerance = 5 * float(np.sqrt(pi @ (exact - kl) ** 2 / samples.size)) + 1e-12
        checks.close(float(np.mean(values[index][samples])), kl, rtol=0.0, atol=tolerance, hint=hint,
                     what=f"the mean of {name} over 2000 seeded samples from pi (allowed: 5 standard errors = "
                          f"{tolerance:.3g})", mistakes={h: float(np.mean(v[samples])) for h, v in wrong.items()})  # fmt: skip
        checks.close(float(pi @ values[index]), kl, rtol=1e-9, atol=1e-12, hint=hint,
                     what=f"E_pi[{name}] = sum_y pi(y) * {name}(y), against KL(pi || pi_ref)",
                     mistakes={h: float(pi @ v) for h, v in wrong.items()})  # fmt: skip


@kl_estimators.holds("k3 is never negative", points=1, max_examples=SECONDARY)
@given(pair=log_probability_pairs(low=-30.0))
@example(
    pair=(np.array([-1.0, -1.0, -1.0, -2.0, 0.0]), np.array([-1.0 + 1e-9, -1.0 - 1e-9, -1.0, 0.0, -2.0]))
)
def _(f, pair):
    _, _, k3 = _estimators(f(*pair), pair[0].shape)
    if np.any(~(k3 >= -1e-12)):
        where = np.unravel_index(int(np.argmin(np.nan_to_num(k3, nan=-np.inf))), k3.shape)
        checks.fail("k3 has a negative entry", f"At {list(map(int, where))}: k3 = {k3[where]!r}",
                    f"with logp = {pair[0][where]!r} and logp_ref = {pair[1][where]!r}",
                    hint="k3 = exp(-log_ratio) - 1 + log_ratio >= 0 because exp(x) >= 1 + x; check both signs")  # fmt: skip


@kl_estimators.holds("raises ValueError when the shapes differ", points=1)
def _(f):
    checks.value_error(f.attempt(np.array([-1.0, -2.0]), np.array([-1.0, -2.0, -3.0])), ("logp_ref", "logp", "shape"),
                       why="logp has 2 entries and logp_ref 3")  # fmt: skip
    checks.value_error(f.attempt(np.array([-1.0, -2.0]), np.array([[-1.0, -2.0]])), ("logp_ref", "logp", "shape"),
                       why="logp has shape (2,) and logp_ref (1, 2)")  # fmt: skip
