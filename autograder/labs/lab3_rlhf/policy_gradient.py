"""The sampled route: `reinforce_kl_gradient` (REINFORCE with a leave-one-out baseline) and
`ppo_clip_objective` (PPO's clipped surrogate)."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import (
    SECONDARY,
    STAT_SEED,
    ppo_clip_objective,
    ref,
    reinforce_kl_gradient,
)
from autograder.labs.lab3_rlhf.strategies import policy_cases, ppo_cases, reinforce_cases
from autograder.numerics import log_softmax

# --- reinforce_kl_gradient ------------------------------------------------------------------


reinforce_kl_gradient.matches_reference(
    "matches the reference exactly on given samples",
    2,
    reinforce_cases(),
    examples=[
        (
            np.array([1.0, 0.0, -1.0]),
            np.array([0.0, 2.0, 0.0]),
            np.array([0, 0, 2, 1]),
            np.array([1.0, 2.0, -1.0, 0.5]),
            1.0,
        ),
        (np.array([0.0, 0.0]), np.array([0.0, 0.0]), np.array([0, 1]), np.array([1.0, 3.0]), 0.5),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the estimate",
)


@reinforce_kl_gradient.holds(
    "is unbiased: its exact mean over all batches of 2-3 samples is dJ/dlogits", points=1, max_examples=6
)
@given(case=policy_cases(min_k=2, max_k=4, scale=2.0, high_beta=2.0), n=st.sampled_from([2, 3]))
def estimate_is_unbiased_over_all_batches(f, case, n):
    logits, ref_logits, rewards, beta = case
    k = logits.size
    n = 2 if k > 3 else n
    pi = np.exp(log_softmax(logits))
    mean = np.zeros(k)
    for batch in itertools.product(range(k), repeat=n):
        samples = np.array(batch, dtype=np.int64)
        estimate = checks.as_array(
            f(logits, ref_logits, samples, rewards[samples], beta), (k,), "the estimate"
        )
        mean += np.prod(pi[samples]) * estimate
    checks.close(
        mean,
        ref.kl_regularized_gradient(*case),
        rtol=1e-7,
        atol=1e-10,
        what=f"the probability-weighted mean of the estimate over all {k}**{n} batches of {n}",
    )


BATCHES = 5000


@reinforce_kl_gradient.holds(
    f"averaged over {BATCHES} seeded batches, approaches kl_regularized_gradient", points=1, max_examples=5
)
@given(case=policy_cases(min_k=2, max_k=5, scale=2.0, high_beta=2.0), n=st.sampled_from([2, 3]))
@example(case=(np.array([0.5, 0.0, -0.5]), np.array([0.0, 0.0, 0.0]), np.array([1.0, 0.0, -1.0]), 0.5), n=2)
def estimate_averages_to_the_gradient(f, case, n):
    logits, ref_logits, rewards, beta = case
    n = 2 if logits.size > 3 else n
    pi = np.exp(log_softmax(logits))
    batches = np.random.default_rng(STAT_SEED).choice(logits.size, size=(BATCHES, n), p=pi)
    # The estimate depends only on the batch: one call for each distinct batch, weighted by its count.
    distinct, counts = np.unique(batches, axis=0, return_counts=True)
    estimates = np.array(
        [
            checks.as_array(f(logits, ref_logits, y, rewards[y], beta), (logits.size,), "the estimate")
            for y in distinct
        ]
    )
    reference = np.array(
        [ref.reinforce_kl_gradient(logits, ref_logits, y, rewards[y], beta) for y in distinct]
    )
    weights = counts / BATCHES
    spread = np.sqrt(weights @ (reference - weights @ reference) ** 2)
    tolerance = 5 * float(spread.max()) / np.sqrt(BATCHES) + 1e-12
    checks.close(
        weights @ estimates,
        ref.kl_regularized_gradient(*case),
        rtol=0.0,
        atol=tolerance,
        what=f"the mean of the estimates over {BATCHES} seeded batches of {n} samples (allowed: 5 "
        f"standard errors = {tolerance:.3g})",
    )


def _reinforce_error(why: str, arguments, logits, ref_logits, samples, rewards, beta) -> Invalid:
    arrays = (np.array(logits), np.array(ref_logits), np.array(samples), np.array(rewards))
    return Invalid(why, arguments, (*arrays, beta))


_Z = [0.0, 1.0]
reinforce_kl_gradient.rejects(
    [
        _reinforce_error(
            "n = 1 (no other sample for the baseline)", ("samples", "n"), _Z, _Z, [1], [1.0], 1.0
        ),
        _reinforce_error("a sample equals K", ("samples", "sample"), _Z, _Z, [0, 2], [1.0, 2.0], 1.0),
        _reinforce_error("a sample is negative", ("samples", "sample"), _Z, _Z, [0, -1], [1.0, 2.0], 1.0),
        _reinforce_error("beta is -1", "beta", _Z, _Z, [0, 1], [1.0, 2.0], -1.0),
        _reinforce_error(
            "samples has 3 entries and sample_rewards 2",
            ("sample_rewards", "samples", "length"),
            _Z,
            _Z,
            [0, 1, 1],
            [1.0, 2.0],
            1.0,
        ),
        _reinforce_error(
            "ref_logits has 3 entries and logits 2",
            ("ref_logits", "shape"),
            _Z,
            [0.0, 1.0, 2.0],
            [0, 1],
            [1.0, 2.0],
            1.0,
        ),
    ]
)


# --- ppo_clip_objective ---------------------------------------------------------------------


@ppo_clip_objective.holds("matches the reference on random log-probabilities and advantages", points=2)
@given(case=ppo_cases())
@example(case=(np.array([np.log(2.0)]), np.array([0.0]), np.array([1.0]), 0.2))
@example(case=(np.array([np.log(2.0), np.log(0.5)]), np.array([0.0, 0.0]), np.array([-1.0, 1.0]), 0.2))
def surrogate_matches_reference(f, case):
    got = f(*case[:3]) if case[3] == 0.2 else f(*case)  # the default clip_eps is 0.2
    checks.close(
        got,
        ref.ppo_clip_objective(*case),
        rtol=1e-9,
        atol=1e-12,
        what="the surrogate",
    )


@ppo_clip_objective.holds(
    "equals the unclipped surrogate mean(rho * A) inside the trust region", points=1, max_examples=SECONDARY
)
@given(case=ppo_cases(), data=st.data())
def surrogate_is_unclipped_inside_the_trust_region(f, case, data):
    _, logp_old, advantages, clip_eps = case
    u = data.draw(gen.arrays(logp_old.size, -0.99, 0.99), label="u")
    rho = 1 + u * clip_eps
    logp_new = logp_old + np.log(rho)
    checks.close(
        f(logp_new, logp_old, advantages, clip_eps),
        float(np.mean(rho * advantages)),
        rtol=1e-9,
        atol=1e-12,
        what="the surrogate with every rho inside [1 - clip_eps, 1 + clip_eps]",
    )


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
def surrogate_is_flat_beyond_the_trust_region(f, case, data):
    _, logp_old, _, clip_eps = case
    advantages, log_ratio, _ = _beyond(data, logp_old, clip_eps, push=True)
    flat = float(np.mean(np.where(advantages > 0, 1 + clip_eps, 1 - clip_eps) * advantages))
    for further in (0.0, 1.0):
        logp_new = logp_old + log_ratio + further * np.sign(log_ratio)
        checks.close(
            f(logp_new, logp_old, advantages, clip_eps),
            flat,
            rtol=1e-9,
            atol=1e-12,
            what="the surrogate with rho > 1 + clip_eps where A > 0 and rho < 1 - clip_eps where A < 0"
            + (", pushed further" if further else ""),
        )


@ppo_clip_objective.holds(
    "keeps the unclipped term where it is lower (the pessimistic minimum)", points=1, max_examples=SECONDARY
)
@given(case=ppo_cases(), data=st.data())
def surrogate_keeps_the_lower_unclipped_term(f, case, data):
    _, logp_old, _, clip_eps = case
    advantages, log_ratio, _ = _beyond(data, logp_old, clip_eps, push=False)
    logp_new = logp_old + log_ratio
    checks.close(
        f(logp_new, logp_old, advantages, clip_eps),
        float(np.mean(np.exp(log_ratio) * advantages)),
        rtol=1e-9,
        atol=1e-12,
        what="the surrogate with rho < 1 - clip_eps where A > 0 and rho > 1 + clip_eps where A < 0",
    )


def _ppo_error(why: str, arguments, new, old, adv, clip_eps: float) -> Invalid:
    return Invalid(why, arguments, (np.array(new), np.array(old), np.array(adv), clip_eps))


ppo_clip_objective.rejects(
    [
        _ppo_error(
            "logp_old has 3 entries and logp_new 2",
            ("logp_old", "logp_new", "length", "shape"),
            [-1.0, -2.0],
            [-1.0, -2.0, -3.0],
            [1.0, 2.0],
            0.2,
        ),
        _ppo_error(
            "advantages has 3 entries and logp_new 2",
            ("advantages", "length", "shape"),
            [-1.0, -2.0],
            [-1.0, -2.0],
            [1.0, 2.0, 3.0],
            0.2,
        ),
        _ppo_error("clip_eps is 0", "clip_eps", [-1.0], [-1.0], [1.0], 0.0),
        _ppo_error("clip_eps is 1", "clip_eps", [-1.0], [-1.0], [1.0], 1.0),
        _ppo_error("clip_eps is -0.2", "clip_eps", [-1.0], [-1.0], [1.0], -0.2),
        _ppo_error("clip_eps is 1.5", "clip_eps", [-1.0], [-1.0], [1.0], 1.5),
    ]
)
