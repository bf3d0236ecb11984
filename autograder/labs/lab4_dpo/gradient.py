"""Properties of `dpo_gradient`."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab4_dpo.lab import BETAS, dpo_gradient, ref
from autograder.numerics import log_softmax, numerical_gradient, softplus


@st.composite
def gradient_cases(draw, scale: float = 5.0):
    """`(logits, ref_logits, chosen, rejected, beta)`: K responses, n pairs, indices may repeat."""
    k = draw(st.integers(2, 5), label="K")
    n = draw(st.integers(1, 6), label="n")
    indices = gen.array_of(np.int64, n, st.integers(0, k - 1))
    logits, ref_logits = draw(gen.arrays(k, -scale, scale)), draw(gen.arrays(k, -scale, scale))
    return logits, ref_logits, draw(indices), draw(indices), draw(st.sampled_from(BETAS))


REPEATED = (
    np.array([0.5, -1.0, 2.0]),
    np.array([0.0, 0.3, -0.4]),
    np.array([0, 0, 2, 1]),
    np.array([1, 2, 1, 1]),
    0.5,
)
"""Responses 0 and 1 appear more than once: a `grad[chosen] -= w` update loses all but one."""

SCATTER = (
    "pairs that share a response must add up: `grad[chosen] -= w` keeps one update per index; use "
    "np.add.at or np.bincount"
)
"""The hint for the repeated-index scatter bug."""


def mean_loss(logits, ref_logits, chosen, rejected, beta) -> float:
    """The mean DPO loss of the softmax policy (reference code only)."""
    log_pi, log_ref = log_softmax(logits), log_softmax(ref_logits)
    return ref.dpo_loss(log_pi[chosen], log_pi[rejected], log_ref[chosen], log_ref[rejected], beta)


def gradient_mistakes(logits, ref_logits, chosen, rejected, beta) -> dict[str, np.ndarray]:
    """The gradients that the usual mistakes produce, to name them in the hint."""
    expected = ref.dpo_gradient(logits, ref_logits, chosen, rejected, beta)
    k, n = logits.size, chosen.size
    onehot = np.eye(k)
    rewards = beta * (log_softmax(logits) - log_softmax(ref_logits))
    scaled = rewards[chosen] - rewards[rejected]
    wrong_weight = np.exp(-softplus(-scaled))  # sigmoid(+beta * m)
    pi = np.exp(log_softmax(logits))
    weight = np.exp(-softplus(scaled))
    scattered = np.zeros(k)
    scattered[chosen] -= weight
    scattered[rejected] += weight
    return {
        "the gradient of -log sigmoid(x) is -sigmoid(-x): you pushed the wrong way (flip the sign)": -expected,
        "`beta` appears twice: it scales the margin inside sigmoid and multiplies the result": expected
        / beta,
        "weight each pair by sigmoid(-beta * m_i), the probability of the wrong order, not sigmoid(+beta * m_i)": -(
            beta / n
        )
        * (wrong_weight @ (onehot[chosen] - onehot[rejected])),
        "the softmax baseline cancels: d m_i / d logits = onehot(c_i) - onehot(r_i), with no -pi term": -(
            beta / n
        )
        * (weight @ (onehot[chosen] - pi - onehot[rejected])),
        SCATTER: beta * scattered / n,
        "divide by n, the number of pairs, not by K": expected * n / k,
        "the gradient of the mean: divide by n": expected * n,
    }


dpo_gradient.matches_reference(
    "matches the reference on random pairs (with repeated responses)",
    2,
    gradient_cases(),
    examples=[REPEATED],
    rtol=1e-9,
    atol=1e-12,
    what="the gradient",
)


@dpo_gradient.holds("equals finite differences of the mean DPO loss", points=2)
@given(case=gradient_cases())
@example(case=REPEATED)
def gradient_equals_finite_differences(f, case):
    logits, ref_logits, chosen, rejected, beta = case
    numeric = numerical_gradient(lambda z: mean_loss(z, ref_logits, chosen, rejected, beta), logits)
    checks.close(
        f(*case),
        numeric,
        rtol=1e-5,
        atol=1e-7,
        what="the gradient",
    )


@dpo_gradient.holds("sums to 0 (a constant added to every logit changes nothing)", points=1)
@given(case=gradient_cases())
@example(case=REPEATED)
def gradient_sums_to_zero(f, case):
    got = checks.as_array(f(*case), case[0].shape, "the gradient")
    checks.close(
        float(np.sum(got)),
        0.0,
        atol=1e-12,
        rtol=0.0,
        what="the sum of the gradient's entries",
    )
    checks.close(got, ref.dpo_gradient(*case), rtol=1e-9, atol=1e-12, what="the gradient")


@dpo_gradient.holds("stays finite with no warning for margins up to ±1e6", points=1)
@given(case=gradient_cases(scale=2.5e5))
@example(
    case=(np.array([5e5, -5e5, 0.0]), np.array([0.0, 0.0, 0.0]), np.array([0, 1]), np.array([1, 0]), 2.0)
)
def gradient_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.dpo_gradient(*case), rtol=1e-9, atol=1e-9, what="the gradient")


Z, Z_REF = np.array([0.5, -1.0, 2.0]), np.zeros(3)
NONE = np.zeros(0, dtype=np.int64)

dpo_gradient.rejects(
    [
        Invalid(
            "rejected has 1 index and chosen 2",
            ("rejected", "chosen", "length"),
            (Z, Z_REF, np.array([0, 1]), np.array([2]), 0.5),
        ),
        Invalid("chosen holds 3 with K = 3", "chosen", (Z, Z_REF, np.array([0, 3]), np.array([1, 2]), 0.5)),
        Invalid("rejected holds -1", "rejected", (Z, Z_REF, np.array([0, 1]), np.array([-1, 2]), 0.5)),
        Invalid("beta = 0", "beta", (Z, Z_REF, np.array([0]), np.array([1]), 0.0)),
        Invalid("beta = -1", "beta", (Z, Z_REF, np.array([0]), np.array([1]), -1.0)),
        Invalid("there is no pair (n = 0)", ("chosen", "rejected", "pair"), (Z, Z_REF, NONE, NONE, 0.5)),
    ],
    description="raises ValueError for unequal lengths, bad indices, beta <= 0 and n = 0",
)
