"""Graded properties of Lab 4: direct preference optimisation (`exercises/lab4_dpo.py`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Lab, reference

ref = reference("lab4_dpo")
LAB = Lab(4, "lab4_dpo", "Direct preference optimisation")

BETAS = (0.7, 2.0, 0.3, 3.0)
"""Values of beta the properties draw from: not 1, so that a missing beta shows (0.7 comes first
because Hypothesis shrinks towards the first value), and no n * beta = 1 for n pairs, so that a
missing beta and a sum instead of a mean give different values and the hint can tell them apart."""


def _softplus(x: np.ndarray) -> np.ndarray:
    """`log(1 + exp(x))`, stable (grader-side, for the values that mistakes produce)."""
    return np.logaddexp(0.0, x)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max()
    return shifted - np.log(np.sum(np.exp(shifted)))


def _central_differences(loss, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function of a 1-D array (reference code only)."""
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (loss(x + step) - loss(x - step)) / (2 * h)
    return grad


# --- dpo_loss -------------------------------------------------------------------------------

dpo_loss = LAB.function("dpo_loss")


@st.composite
def _logp_batches(draw, low: float = -10.0, high: float = 10.0, max_pairs: int = 5):
    """`(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)`, n pairs each."""
    n = draw(st.integers(1, max_pairs), label="n")
    logps = tuple(draw(gen.arrays(n, low, high)) for _ in range(4))
    return (*logps, draw(st.sampled_from(BETAS), label="beta"))


MARGIN = "m = (policy_chosen_logps - ref_chosen_logps) - (policy_rejected_logps - ref_rejected_logps)"


def _margins(pc, pr, rc, rr) -> np.ndarray:
    return (pc - rc) - (pr - rr)


def _loss_mistakes(pc, pr, rc, rr, beta) -> dict[str, float]:
    """The values that the usual mistakes produce, to name them in the hint."""
    m = _margins(pc, pr, rc, rr)
    return {
        "the margin has the wrong sign: the loss is -log sigmoid(+beta * m) = log(1 + exp(-beta * m)) with "
        f"{MARGIN} (you computed -log sigmoid(-beta * m): sigmoid(z) for sigmoid(-z), reference minus "
        "policy, or chosen and rejected swapped)": float(np.mean(_softplus(beta * m))),
        "`beta` is missing: the loss is -log sigmoid(beta * m)": float(np.mean(_softplus(-m))),
        f"`beta` multiplies the whole margin, reference terms included: beta * m with {MARGIN}": float(
            np.mean(_softplus(-(beta * (pc - pr) - (rc - rr))))
        ),
        f"subtract the reference log-probs, {MARGIN} (you added them)": float(
            np.mean(_softplus(-beta * ((pc + rc) - (pr + rr))))
        ),
        "average over the pairs (np.mean), do not sum": float(np.sum(_softplus(-beta * m))),
    }


@dpo_loss.holds("matches the reference on random log-probabilities and beta", points=2)
@given(batch=_logp_batches())
@example(batch=(np.array([-1.0, -2.0]), np.array([-3.0, -0.5]), np.array([-2.0, -1.0]),
                np.array([-1.5, -2.5]), 0.5))  # fmt: skip
@example(batch=(np.array([-0.5]), np.array([-3.0]), np.array([-1.0]), np.array([-2.0]), 2.0))
def _(f, batch):
    got = f(*batch)
    checks.close(got, ref.dpo_loss(*batch), rtol=1e-9, atol=1e-12, what="the loss",
                 mistakes=_loss_mistakes(*batch),
                 hint=f"loss = mean(log(1 + exp(-beta * m))) with {MARGIN}")  # fmt: skip


@dpo_loss.holds("is log 2 when the policy equals the reference", points=1)
@given(batch=_logp_batches())
def _(f, batch):
    chosen, rejected, _, _, beta = batch
    checks.close(f(chosen, rejected, chosen, rejected, beta), float(np.log(2.0)), rtol=1e-12, atol=1e-12,
                 what="the loss with policy_*_logps == ref_*_logps",
                 mistakes={"average over the pairs (np.mean), do not sum": len(chosen) * float(np.log(2.0))},
                 hint="every margin is 0 when the policy equals the reference: subtract the reference "
                      f"log-probs inside each bracket, {MARGIN}, so that -log sigmoid(0) = log 2")  # fmt: skip


def _as_float(value: Any, what: str) -> float:
    """`value` as a float, or a failure saying that a float was expected."""
    if isinstance(value, bool | np.bool_) or np.ndim(value) != 0:
        checks.fail(f"{what} should be a float", f"Got: {type(value).__name__} {value!r}",
                    hint="return a Python float (e.g. `float(np.mean(...))`)")  # fmt: skip
    try:
        return float(value)
    except (TypeError, ValueError):
        checks.fail(f"{what} should be a float", f"Got: {type(value).__name__}")
    raise AssertionError  # unreachable: checks.fail raises


@dpo_loss.holds("swapping chosen and rejected mirrors the loss: L(m) - L(-m) = -beta * mean(m)", points=2)
@given(batch=_logp_batches(max_pairs=3))
@example(batch=(np.array([-0.5]), np.array([-3.0]), np.array([-1.0]), np.array([-2.0]), 2.0))
def _(f, batch):
    pc, pr, rc, rr, beta = batch
    forward = f(pc, pr, rc, rr, beta)
    swapped = f(pr, pc, rr, rc, beta)
    m = _margins(pc, pr, rc, rr)
    difference = _as_float(forward, "the loss") - _as_float(
        swapped, "the loss with chosen and rejected swapped"
    )
    checks.close(difference, float(-beta * np.mean(m)), rtol=1e-9, atol=1e-9,
                 what="the loss minus the loss with chosen and rejected swapped",
                 mistakes={
                     "the margin has the wrong sign: use -log sigmoid(+beta * m), i.e. log(1 + exp(-beta * m)) "
                     "(you have sigmoid(z) for sigmoid(-z), or reference minus policy)": float(beta * np.mean(m)),
                     "`beta` is missing: -log sigmoid(beta * m)": float(-np.mean(m)),
                     "average over the pairs (np.mean), do not sum": float(-beta * np.sum(m)),
                 },
                 hint="since log(1 + exp(-x)) - log(1 + exp(x)) = -x, the difference is -beta * mean(m) "
                      f"with {MARGIN}")  # fmt: skip


@dpo_loss.holds("stays finite with no warning for margins up to ±1e6", points=2)
@given(batch=_logp_batches(low=-2.5e5, high=2.5e5, max_pairs=3))  # |m| <= 1e6
@example(
    batch=(np.array([0.0, -1e6]), np.array([-1e6, 0.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0]), 0.7)
)
@example(batch=(np.array([-1e6]), np.array([0.0]), np.array([0.0]), np.array([0.0]), 2.0))
def _(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.finite(got, what="the loss",
                  hint="exp(-beta * m) overflows for large negative margins: write -log sigmoid(x) as "
                       "np.logaddexp(0, -x), which is log(1 + exp(-x)) without the overflow")  # fmt: skip
    checks.no_warnings(outcome, hint="np.exp of a large number overflows (and log(0) divides by zero): use "
                                     "np.logaddexp(0, -beta * m)")  # fmt: skip
    checks.close(got, ref.dpo_loss(*batch), rtol=1e-9, atol=1e-8, what="the loss",
                 hint="a huge positive beta * m gives a loss near 0, a huge negative one a loss near -beta * m "
                      "(at such margins several mistakes give the same value: the property 'matches the "
                      "reference' names the likely one)")  # fmt: skip


def _pairs(n: int) -> tuple[np.ndarray, ...]:
    return tuple(np.linspace(-1.0, -2.0, n) - k for k in range(4))


@dpo_loss.holds("raises ValueError when the lengths differ or beta <= 0", points=1)
def _(f):
    pc, pr, rc, rr = _pairs(3)
    short = np.array([-1.0, -2.0])
    cases = [
        ("policy_rejected_logps has 2 pairs and the others 3", ("policy_rejected_logps", "length"), (pc, short, rc, rr, 0.5)),
        ("ref_chosen_logps has 2 pairs and the others 3", ("ref_chosen_logps", "length"), (pc, pr, short, rr, 0.5)),
        ("ref_rejected_logps has 2 pairs and the others 3", ("ref_rejected_logps", "length"), (pc, pr, rc, short, 0.5)),
        ("beta = 0", "beta", (pc, pr, rc, rr, 0.0)),
        ("beta = -0.5", "beta", (pc, pr, rc, rr, -0.5)),
    ]  # fmt: skip
    for why, arguments, args in cases:
        checks.value_error(f.attempt(*args), arguments, why=why)


# --- implicit_reward ------------------------------------------------------------------------

implicit_reward = LAB.function("implicit_reward")


@st.composite
def _policy_pairs(draw, scale: float = 10.0, max_responses: int = 6):
    """`(logits, ref_logits, beta)` over K responses."""
    k = draw(st.integers(1, max_responses), label="K")
    return (
        draw(gen.arrays(k, -scale, scale)),
        draw(gen.arrays(k, -scale, scale)),
        draw(st.sampled_from(BETAS)),
    )


def _reward_mistakes(logits, ref_logits, beta) -> dict[str, np.ndarray]:
    difference = _log_softmax(logits) - _log_softmax(ref_logits)
    return {
        "use log-probabilities, not raw logits: beta * (log_softmax(logits) - log_softmax(ref_logits)); "
        "beta * (logits - ref_logits) is off by a constant": beta * (logits - ref_logits),
        "multiply by beta, do not divide": difference / beta,
        "`beta` is missing: beta * (log pi - log pi_ref)": difference,
        "policy minus reference: beta * (log pi - log pi_ref), not the other way round": -beta * difference,
    }


@implicit_reward.holds("matches the reference on random logits and beta", points=2)
@given(case=_policy_pairs())
@example(case=(np.array([1.0, 0.0]), np.array([0.0, 0.0]), 2.0))
@example(case=(np.array([3.0, 1.0, -2.0]), np.array([0.5, 0.0, 1.0]), 0.5))
def _(f, case):
    logits, ref_logits, beta = case
    checks.close(f(logits, ref_logits, beta), ref.implicit_reward(logits, ref_logits, beta), rtol=1e-9,
                 atol=1e-9, what="the implicit rewards", mistakes=_reward_mistakes(logits, ref_logits, beta),
                 hint="beta * (log_softmax(logits) - log_softmax(ref_logits))")  # fmt: skip


@st.composite
def _optimum_cases(draw):
    """`(ref_logits, rewards, beta, shift)`: ref_logits shifted by up to ±1e3, pi*'s logits by `shift`."""
    k = draw(st.integers(2, 6), label="K")
    ref_logits = draw(gen.arrays(k, -5.0, 5.0)) + draw(gen.floats(-1e3, 1e3), label="ref shift")
    rewards = draw(gen.arrays(k, -3.0, 3.0))
    return ref_logits, rewards, draw(st.sampled_from(BETAS)), draw(gen.floats(-1e3, 1e3), label="shift")


@implicit_reward.holds(
    "recovers r up to one additive constant at the optimum pi* ∝ pi_ref * exp(r / beta)", points=2
)
@given(case=_optimum_cases())
@example(case=(np.array([0.0, 1.0, -1.0]), np.array([1.0, -0.5, 0.25]), 0.5, 800.0))
def _(f, case):
    ref_logits, rewards, beta, shift = case
    optimum = np.exp(_log_softmax(ref_logits + rewards / beta))  # the closed form of Lab 3
    got = f(np.log(optimum) + shift, ref_logits, beta)  # logits of pi*, up to an arbitrary shift
    checks.finite(got, what="the implicit rewards",
                  hint="logits here are in the hundreds: compute log_softmax stably, "
                       "z - max(z) - log(sum(exp(z - max(z))))")  # fmt: skip
    centred = rewards - rewards.mean()
    offset = np.asarray(got, dtype=np.float64) - rewards
    checks.close(offset - offset.mean(), np.zeros_like(rewards), rtol=0.0, atol=1e-8,
                 what="implicit_reward(pi*) - r, with its mean removed (it should be one constant)",
                 mistakes={
                     "multiply by beta, do not divide": centred / beta**2 - centred,
                     "`beta` is missing: beta * (log pi - log pi_ref)": centred / beta - centred,
                     "policy minus reference: beta * (log pi - log pi_ref)": -2 * centred,
                 },
                 hint="r(y) = beta * log(pi*(y) / pi_ref(y)) + beta * log Z: beta * (log pi - log pi_ref)")  # fmt: skip


@implicit_reward.holds("stays finite with no warning for logits up to ±1e3", points=1)
@given(case=_policy_pairs(scale=1e3))
@example(case=(np.array([1000.0, 0.0]), np.array([-1000.0, 999.0]), 0.5))
def _(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.finite(got, what="the implicit rewards",
                  hint="exp(1000) overflows: subtract the maximum before exp (stable log_softmax)")  # fmt: skip
    checks.no_warnings(outcome, hint="np.exp of a large logit overflows: subtract the maximum first")
    checks.close(
        got,
        ref.implicit_reward(*case),
        rtol=1e-9,
        atol=1e-9,
        what="the implicit rewards",
        mistakes=_reward_mistakes(*case),
    )


@implicit_reward.holds("raises ValueError when the shapes differ or beta <= 0", points=1)
def _(f):
    logits, ref_logits = np.array([1.0, 0.0, -1.0]), np.array([0.0, 0.5, 0.0])
    checks.value_error(f.attempt(logits, ref_logits[:2], 0.5), ("ref_logits", "logits"),
                       why="logits has 3 entries and ref_logits 2")  # fmt: skip
    checks.value_error(f.attempt(logits, ref_logits, 0.0), "beta", why="beta = 0")
    checks.value_error(f.attempt(logits, ref_logits, -2.0), "beta", why="beta = -2")


# --- dpo_gradient ---------------------------------------------------------------------------

dpo_gradient = LAB.function("dpo_gradient")


@st.composite
def _gradient_cases(draw, scale: float = 5.0):
    """`(logits, ref_logits, chosen, rejected, beta)`: K responses, n pairs, indices may repeat."""
    k = draw(st.integers(2, 5), label="K")
    n = draw(st.integers(1, 6), label="n")
    indices = hnp.arrays(np.int64, n, elements=st.integers(0, k - 1))
    logits, ref_logits = draw(gen.arrays(k, -scale, scale)), draw(gen.arrays(k, -scale, scale))
    return logits, ref_logits, draw(indices), draw(indices), draw(st.sampled_from(BETAS))


REPEATED = (np.array([0.5, -1.0, 2.0]), np.array([0.0, 0.3, -0.4]), np.array([0, 0, 2, 1]),
            np.array([1, 2, 1, 1]), 0.5)  # fmt: skip
"""Responses 0 and 1 appear more than once: a `grad[chosen] -= w` update loses all but one."""


def _mean_loss(logits, ref_logits, chosen, rejected, beta) -> float:
    """The mean DPO loss of the softmax policy (reference code only)."""
    log_pi, log_ref = _log_softmax(logits), _log_softmax(ref_logits)
    return ref.dpo_loss(log_pi[chosen], log_pi[rejected], log_ref[chosen], log_ref[rejected], beta)


def _gradient_mistakes(logits, ref_logits, chosen, rejected, beta) -> dict[str, np.ndarray]:
    """The gradients that the usual mistakes produce, to name them in the hint."""
    expected = ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    k, n = logits.size, chosen.size
    onehot = np.eye(k)
    rewards = beta * (_log_softmax(logits) - _log_softmax(ref_logits))
    scaled = rewards[chosen] - rewards[rejected]
    wrong_weight = np.exp(-_softplus(-scaled))  # sigmoid(+beta * m)
    pi = np.exp(_log_softmax(logits))
    weight = np.exp(-_softplus(scaled))
    fancy = np.zeros(k)
    fancy[chosen] -= weight
    fancy[rejected] += weight
    return {
        "the gradient of -log sigmoid(x) is -sigmoid(-x): you pushed the wrong way (flip the sign)": -expected,
        "`beta` appears twice: it scales the margin inside sigmoid and multiplies the result": expected / beta,
        "weight each pair by sigmoid(-beta * m_i), the probability of the wrong order, not sigmoid(+beta * m_i)":
            -(beta / n) * (wrong_weight @ (onehot[chosen] - onehot[rejected])),
        "the softmax baseline cancels: d m_i / d logits = onehot(c_i) - onehot(r_i), with no -pi term":
            -(beta / n) * (weight @ (onehot[chosen] - pi - onehot[rejected])),
        "pairs that share a response must add up: `grad[chosen] -= w` keeps one update per index; use "
        "np.add.at or np.bincount": beta * fancy / n,
        "divide by n, the number of pairs, not by K": expected * n / k,
        "the gradient of the mean: divide by n": expected * n,
    }  # fmt: skip


@dpo_gradient.holds("matches the reference on random pairs (with repeated responses)", points=2)
@given(case=_gradient_cases())
@example(case=REPEATED)
def _(f, case):
    checks.close(f(*case), ref.dpo_gradient(*case), rtol=1e-9, atol=1e-12, what="the gradient",
                 mistakes=_gradient_mistakes(*case),
                 hint="-(beta / n) * sum_i sigmoid(-beta * m_i) * (onehot(c_i) - onehot(r_i))")  # fmt: skip


@dpo_gradient.holds("equals finite differences of the mean DPO loss", points=2)
@given(case=_gradient_cases())
@example(case=REPEATED)
def _(f, case):
    logits, ref_logits, chosen, rejected, beta = case
    numeric = _central_differences(lambda z: _mean_loss(z, ref_logits, chosen, rejected, beta), logits)
    checks.close(f(*case), numeric, rtol=1e-5, atol=1e-7, what="the gradient",
                 mistakes=_gradient_mistakes(*case),
                 hint="differentiate L = mean_i -log sigmoid(beta * m_i) with respect to logits")  # fmt: skip


@dpo_gradient.holds("sums to 0 (a constant added to every logit changes nothing)", points=1)
@given(case=_gradient_cases())
@example(case=REPEATED)
def _(f, case):
    got = f(*case)
    try:
        total = float(np.sum(np.asarray(got, dtype=np.float64)))
    except (TypeError, ValueError):
        checks.fail("the gradient should be a float array", f"Got: {type(got).__name__}")
    sums = {hint: float(np.sum(wrong)) for hint, wrong in _gradient_mistakes(*case).items()}
    checks.close(total, 0.0, atol=1e-12, rtol=0.0, what="the sum of the gradient's entries", mistakes=sums,
                 hint="every pair pushes its chosen logit up and its rejected logit down by the same amount; "
                      "with repeated indices, accumulate (np.add.at, np.bincount), do not assign")  # fmt: skip


@dpo_gradient.holds("stays finite with no warning for margins up to ±1e6", points=1)
@given(case=_gradient_cases(scale=2.5e5))
@example(
    case=(np.array([5e5, -5e5, 0.0]), np.array([0.0, 0.0, 0.0]), np.array([0, 1]), np.array([1, 0]), 2.0)
)
def _(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.finite(got, what="the gradient",
                  hint="compute sigmoid(-x) stably, e.g. np.exp(-np.logaddexp(0, x))")  # fmt: skip
    checks.no_warnings(
        outcome, hint="1 / (1 + np.exp(x)) overflows for large x: use np.exp(-np.logaddexp(0, x))"
    )
    checks.close(got, ref.dpo_gradient(*case), rtol=1e-9, atol=1e-9, what="the gradient",
                 hint="a learned pair (huge beta * m) gets weight 0, a reversed one weight 1 (at such margins "
                      "several mistakes give the same value: the property 'matches the reference' names the "
                      "likely one)")  # fmt: skip


@dpo_gradient.holds("raises ValueError for unequal lengths, bad indices, beta <= 0 and n = 0", points=1)
def _(f):
    z, z_ref = np.array([0.5, -1.0, 2.0]), np.zeros(3)
    cases = [
        ("rejected has 1 index and chosen 2", ("rejected", "chosen", "length"),
         (z, z_ref, np.array([0, 1]), np.array([2]), 0.5)),
        ("chosen holds 3 with K = 3", "chosen", (z, z_ref, np.array([0, 3]), np.array([1, 2]), 0.5)),
        ("rejected holds -1", "rejected", (z, z_ref, np.array([0, 1]), np.array([-1, 2]), 0.5)),
        ("beta = 0", "beta", (z, z_ref, np.array([0]), np.array([1]), 0.0)),
        ("beta = -1", "beta", (z, z_ref, np.array([0]), np.array([1]), -1.0)),
        ("there is no pair (n = 0)", ("chosen", "rejected", "pair"),
         (z, z_ref, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0.5)),
    ]  # fmt: skip
    for why, argument, args in cases:
        checks.value_error(f.attempt(*args), argument, why=why)
