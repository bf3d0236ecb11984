"""Properties of `dpo_loss` and `implicit_reward`."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab4_dpo.lab import BETAS, dpo_loss, implicit_reward, margins, ref
from autograder.numerics import log_softmax

# --- dpo_loss -------------------------------------------------------------------------------


@st.composite
def logp_batches(draw, low: float = -10.0, high: float = 10.0, max_pairs: int = 5):
    """`(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)`, n pairs each."""
    n = draw(st.integers(1, max_pairs), label="n")
    logps = tuple(draw(gen.arrays(n, low, high)) for _ in range(4))
    return (*logps, draw(st.sampled_from(BETAS), label="beta"))


dpo_loss.matches_reference(
    "matches the reference on random log-probabilities and beta",
    2,
    logp_batches(),
    examples=[
        (np.array([-1.0, -2.0]), np.array([-3.0, -0.5]), np.array([-2.0, -1.0]), np.array([-1.5, -2.5]), 0.5),
        (np.array([-0.5]), np.array([-3.0]), np.array([-1.0]), np.array([-2.0]), 2.0),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the loss",
)


@dpo_loss.holds("is log 2 when the policy equals the reference", points=1)
@given(batch=logp_batches())
def loss_is_log_2_at_the_reference(f, batch):
    chosen, rejected, _, _, beta = batch
    checks.close(
        f(chosen, rejected, chosen, rejected, beta),
        float(np.log(2.0)),
        rtol=1e-12,
        atol=1e-12,
        what="the loss with policy_*_logps == ref_*_logps",
    )


@dpo_loss.holds("swapping chosen and rejected mirrors the loss: L(m) - L(-m) = -beta * mean(m)", points=2)
@given(batch=logp_batches(max_pairs=3))
@example(batch=(np.array([-0.5]), np.array([-3.0]), np.array([-1.0]), np.array([-2.0]), 2.0))
def swapping_mirrors_the_loss(f, batch):
    pc, pr, rc, rr, beta = batch
    forward = checks.as_float(f(pc, pr, rc, rr, beta), "the loss")
    swapped = checks.as_float(f(pr, pc, rr, rc, beta), "the loss with chosen and rejected swapped")
    m = margins(pc, pr, rc, rr)
    checks.close(
        forward - swapped,
        float(-beta * np.mean(m)),
        rtol=1e-9,
        atol=1e-9,
        what="the loss minus the loss with chosen and rejected swapped",
        got_from=f"L(m) - L(-m) = {forward!r} - {swapped!r}",
        expected_from="-beta * mean(m)",
    )


@dpo_loss.holds("stays finite with no warning for margins up to ±1e6", points=2)
@given(batch=logp_batches(low=-2.5e5, high=2.5e5, max_pairs=3))  # |m| <= 1e6
@example(
    batch=(np.array([0.0, -1e6]), np.array([-1e6, 0.0]), np.array([0.0, 0.0]), np.array([0.0, 0.0]), 0.7)
)
@example(batch=(np.array([-1e6]), np.array([0.0]), np.array([0.0]), np.array([0.0]), 2.0))
def loss_is_stable(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.dpo_loss(*batch), rtol=1e-9, atol=1e-8, what="the loss")


PC, PR, RC, RR = (np.linspace(-1.0, -2.0, 3) - k for k in range(4))
SHORT = np.array([-1.0, -2.0])

dpo_loss.rejects(
    [
        Invalid(
            "policy_rejected_logps has 2 pairs and the others 3",
            ("policy_rejected_logps", "length"),
            (PC, SHORT, RC, RR, 0.5),
        ),
        Invalid(
            "ref_chosen_logps has 2 pairs and the others 3",
            ("ref_chosen_logps", "length"),
            (PC, PR, SHORT, RR, 0.5),
        ),
        Invalid(
            "ref_rejected_logps has 2 pairs and the others 3",
            ("ref_rejected_logps", "length"),
            (PC, PR, RC, SHORT, 0.5),
        ),
        Invalid("beta = 0", "beta", (PC, PR, RC, RR, 0.0)),
        Invalid("beta = -0.5", "beta", (PC, PR, RC, RR, -0.5)),
    ],
    description="raises ValueError when the lengths differ or beta <= 0",
)


# --- implicit_reward ------------------------------------------------------------------------


@st.composite
def policy_pairs(draw, scale: float = 10.0, max_responses: int = 6):
    """`(logits, ref_logits, beta)` over K responses."""
    k = draw(st.integers(1, max_responses), label="K")
    return (
        draw(gen.arrays(k, -scale, scale)),
        draw(gen.arrays(k, -scale, scale)),
        draw(st.sampled_from(BETAS)),
    )


implicit_reward.matches_reference(
    "matches the reference on random logits and beta",
    2,
    policy_pairs(),
    examples=[
        (np.array([1.0, 0.0]), np.array([0.0, 0.0]), 2.0),
        (np.array([3.0, 1.0, -2.0]), np.array([0.5, 0.0, 1.0]), 0.5),
    ],
    rtol=1e-9,
    atol=1e-9,
    what="the implicit rewards",
)


@st.composite
def optimum_cases(draw):
    """`(ref_logits, rewards, beta, shift)`: ref_logits shifted by up to ±1e3, pi*'s logits by `shift`."""
    k = draw(st.integers(2, 6), label="K")
    ref_logits = draw(gen.arrays(k, -5.0, 5.0)) + draw(gen.floats(-1e3, 1e3), label="ref shift")
    rewards = draw(gen.arrays(k, -3.0, 3.0))
    return ref_logits, rewards, draw(st.sampled_from(BETAS)), draw(gen.floats(-1e3, 1e3), label="shift")


@implicit_reward.holds(
    "recovers r up to one additive constant at the optimum pi* ∝ pi_ref * exp(r / beta)", points=2
)
@given(case=optimum_cases())
@example(case=(np.array([0.0, 1.0, -1.0]), np.array([1.0, -0.5, 0.25]), 0.5, 800.0))
def reward_recovers_r_at_the_optimum(f, case):
    ref_logits, rewards, beta, shift = case
    optimum = np.exp(log_softmax(ref_logits + rewards / beta))  # the closed form of Lab 3
    got = f(np.log(optimum) + shift, ref_logits, beta)  # logits of pi*, up to an arbitrary shift
    checks.finite(
        got,
        what="the implicit rewards",
    )
    offset = np.asarray(got, dtype=np.float64) - rewards
    checks.close(
        offset - offset.mean(),
        np.zeros_like(rewards),
        rtol=0.0,
        atol=1e-8,
        what="implicit_reward(pi*) - r, with its mean removed (it should be one constant)",
    )


@implicit_reward.holds("stays finite with no warning for logits up to ±1e3", points=1)
@given(case=policy_pairs(scale=1e3))
@example(case=(np.array([1000.0, 0.0]), np.array([-1000.0, 999.0]), 0.5))
def reward_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.stable(got, outcome, ref.implicit_reward(*case), rtol=1e-9, atol=1e-9, what="the implicit rewards")


LOGITS, REF_LOGITS = np.array([1.0, 0.0, -1.0]), np.array([0.0, 0.5, 0.0])

implicit_reward.rejects(
    [
        Invalid(
            "logits has 3 entries and ref_logits 2", ("ref_logits", "logits"), (LOGITS, REF_LOGITS[:2], 0.5)
        ),
        Invalid("beta = 0", "beta", (LOGITS, REF_LOGITS, 0.0)),
        Invalid("beta = -2", "beta", (LOGITS, REF_LOGITS, -2.0)),
    ],
    description="raises ValueError when the shapes differ or beta <= 0",
)
