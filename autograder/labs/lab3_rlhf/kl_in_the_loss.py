"""`kl_loss_gradient`: what a per-sample KL estimator put in the loss contributes to the gradient.

In expectation over `y ~ pi`, with the sample held fixed, k1 gives nothing, k2 the gradient of
`KL(pi || pi_ref)` and k3 `pi - pi_ref`, the gradient of the reverse `KL(pi_ref || pi)`.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab3_rlhf.lab import SECONDARY, kl_loss_gradient, ref
from autograder.labs.lab3_rlhf.strategies import ESTIMATORS, policy_cases
from autograder.numerics import log_softmax, numerical_gradient

INDEX = {"k1": 0, "k2": 1, "k3": 2}


@kl_loss_gradient.holds("matches the reference for k1, k2 and k3", points=2)
@given(case=policy_cases(), estimator=ESTIMATORS)
@example(case=(np.array([0.0, 0.0]), np.array([0.0, np.log(3.0)]), None, None), estimator="k3")
@example(case=(np.array([1.0, -0.5, 0.0]), np.array([0.0, 1.0, -1.0]), None, None), estimator="k2")
@example(case=(np.array([1.0, -0.5, 0.0]), np.array([0.0, 1.0, -1.0]), None, None), estimator="k1")
def loss_gradient_matches_reference(f, case, estimator):
    logits, ref_logits, _, _ = case
    checks.close(
        f(logits, ref_logits, estimator),
        ref.kl_loss_gradient(logits, ref_logits, estimator),
        rtol=1e-9,
        atol=1e-12,
        what=f"the expected gradient of {estimator} in the loss",
    )


@kl_loss_gradient.holds(
    "k1 gives 0, k2 the gradient of KL(pi || pi_ref), k3 that of the reverse KL(pi_ref || pi)",
    points=1,
    max_examples=SECONDARY,
)
@given(case=policy_cases(max_k=5))
@example(case=(np.array([1.0, -0.5, 0.0]), np.array([0.0, 1.0, -1.0]), None, None))
def loss_gradients_are_the_divergences_gradients(f, case):
    logits, ref_logits, _, _ = case
    log_ref = log_softmax(ref_logits)
    pi_ref = np.exp(log_ref)

    def forward_kl(z):
        log_pi = log_softmax(z)
        return float(np.exp(log_pi) @ (log_pi - log_ref))

    def reverse_kl(z):
        return float(pi_ref @ (log_ref - log_softmax(z)))

    closed_forms = {
        "k1": (np.zeros(logits.size), "k1 gives no gradient in expectation: E_pi[onehot(y) - pi] = 0"),
        "k2": (
            numerical_gradient(forward_kl, logits),
            "k2 gives the gradient of KL(pi || pi_ref): pi * (d - E_pi[d]), d = log pi - log pi_ref",
        ),
        "k3": (
            numerical_gradient(reverse_kl, logits),
            "k3 gives pi - pi_ref, the gradient of the reverse KL(pi_ref || pi)",
        ),
    }
    for estimator, (expected, hint) in closed_forms.items():
        checks.close(
            f(logits, ref_logits, estimator),
            expected,
            rtol=1e-5,
            atol=1e-7,
            what=f"the expected gradient of {estimator} in the loss, against finite differences of the "
            "divergence it optimises",
            hint=hint,
        )


@kl_loss_gradient.holds(
    "equals the pi-weighted finite differences of each sampled estimator, the sample held fixed", points=2
)
@given(case=policy_cases(max_k=5), estimator=ESTIMATORS)
def loss_gradient_equals_finite_differences(f, case, estimator):
    logits, ref_logits, _, _ = case
    log_ref = log_softmax(ref_logits)
    pi = np.exp(log_softmax(logits))
    index = INDEX[estimator]
    expected = np.zeros(logits.size)
    for y in range(logits.size):

        def estimate(z, y=y):
            return float(ref.kl_estimators(log_softmax(z)[y : y + 1], log_ref[y : y + 1])[index][0])

        expected += pi[y] * numerical_gradient(estimate, logits)
    checks.close(
        f(logits, ref_logits, estimator),
        expected,
        rtol=1e-5,
        atol=1e-7,
        what=f"the expected gradient of {estimator} in the loss, against sum_y pi(y) * (finite differences "
        f"of {estimator}(y) in the logits)",
    )


@kl_loss_gradient.holds(
    "stays finite, with no warning, for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(case=policy_cases(scale=1e3, extreme=True), estimator=ESTIMATORS)
@example(case=(np.array([1e3, -1e3]), np.array([-1e3, 1e3]), None, None), estimator="k3")
@example(case=(np.array([1e3, 0.0, -1e3]), np.array([-1e3, 0.0, 1e3]), None, None), estimator="k2")
def loss_gradient_is_stable(f, case, estimator):
    logits, ref_logits, _, _ = case
    outcome = f.attempt(logits, ref_logits, estimator)
    got = f.result(outcome)
    checks.stable(
        got,
        outcome,
        ref.kl_loss_gradient(logits, ref_logits, estimator),
        rtol=1e-9,
        atol=1e-12,
        what=f"the expected gradient of {estimator}",
    )


_PAIR = np.array([0.0, 1.0])
kl_loss_gradient.rejects(
    [
        Invalid(
            "ref_logits has 3 entries and logits 2",
            ("ref_logits", "shape"),
            (_PAIR, np.array([0.0, 1.0, 2.0]), "k2"),
        ),
        Invalid("estimator is 'k4'", "estimator", (_PAIR, _PAIR, "k4")),
        Invalid("estimator is 'KL'", "estimator", (_PAIR, _PAIR, "KL")),
    ]
)
