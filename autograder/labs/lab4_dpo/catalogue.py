"""Lab 4's mistake catalogue: the known wrong implementations of its functions (see
`autograder.catalogue` for what an entry is and the rules its body follows)."""

from __future__ import annotations

import math  # noqa: F401  (the rules give every entry `np`, `math` and `ref`)

import numpy as np

from autograder.catalogue import Catalogue
from autograder.labs.lab4_dpo.lab import ref

CATALOGUE = Catalogue("lab4_dpo")


# --- simpo_loss -----------------------------------------------------------------------------


@CATALOGUE.mistake(
    "simpo_loss",
    "summed log-probabilities, not divided by the lengths",
    hint="SimPO's reward is length-normalised: divide each summed log-probability by its own length, "
    "chosen_logps / chosen_lengths - rejected_logps / rejected_lengths (you used the sums)",
)
def simpo_without_length_normalisation(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    difference = np.asarray(chosen_logps, float) - np.asarray(rejected_logps, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * difference - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "divides by the total length of the pair",
    hint="divide each response by its *own* length: chosen_logps / chosen_lengths - rejected_logps / "
    "rejected_lengths (you divided the difference by the pair's total length)",
)
def simpo_one_length_per_pair(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    difference = np.asarray(chosen_logps, float) - np.asarray(rejected_logps, float)
    total = np.asarray(chosen_lengths, float) + np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * difference / total - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "gamma added instead of subtracted",
    hint="gamma is a target margin: subtract it, -log sigmoid(beta * diff - gamma) (you added it)",
)
def simpo_gamma_added(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff + gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "gamma inside beta: beta * (diff - gamma)",
    hint="gamma is subtracted after beta scales the difference: beta * diff - gamma, "
    "not beta * (diff - gamma)",
)
def simpo_gamma_inside_beta(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -beta * (diff - gamma))))


@CATALOGUE.mistake(
    "simpo_loss",
    "rejected minus chosen",
    hint="chosen minus rejected: the loss is -log sigmoid(beta * (chosen_logps / chosen_lengths - "
    "rejected_logps / rejected_lengths) - gamma) (you have the difference the other way round)",
)
def simpo_rejected_minus_chosen(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(rejected_logps, float) / np.asarray(rejected_lengths, float) - np.asarray(
        chosen_logps, float
    ) / np.asarray(chosen_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff - gamma))))


SIMPO_OVERFLOW = "exp(-x) overflows for a large negative x = beta * diff - gamma: write -log sigmoid(x) as np.logaddexp(0, -x)"


@CATALOGUE.mistake(
    "simpo_loss",
    "naive log-sigmoid: -log(1 / (1 + exp(-x)))",
    hint=SIMPO_OVERFLOW,
)
def simpo_naive_log_sigmoid(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(-np.log(1.0 / (1.0 + np.exp(-(beta * diff - gamma))))))


INTEGRAL_FLOATS = (
    "a whole-number float such as 3.0 is a valid length: test the values "
    "(lengths == np.floor(lengths), lengths >= 1), not the dtype"
)


@CATALOGUE.mistake("simpo_loss", "rejects lengths given as floats", hint=INTEGRAL_FLOATS)
def simpo_rejects_float_lengths(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    for lengths in (chosen_lengths, rejected_lengths):
        if not np.issubdtype(np.asarray(lengths).dtype, np.integer):
            raise ValueError(f"chosen_lengths must hold integers, got {lengths}")
    return ref.simpo_loss(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta, gamma)


@CATALOGUE.mistake(
    "simpo_loss", "lengths not validated (0 or 2.5 tokens accepted)", hint="", keeps_validation=False
)
def simpo_lengths_unchecked(
    chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta=2.0, gamma=0.5
):
    diff = np.asarray(chosen_logps, float) / np.asarray(chosen_lengths, float) - np.asarray(
        rejected_logps, float
    ) / np.asarray(rejected_lengths, float)
    return float(np.mean(np.logaddexp(0.0, -(beta * diff - gamma))))


# --- kto_loss -------------------------------------------------------------------------------


@CATALOGUE.mistake(
    "kto_loss",
    "undesirable examples: sigmoid(beta * (r - z0)), the reference point on the wrong side",
    hint="an undesirable example's value is lambda_u * sigmoid(beta * (z0 - r)): the reference point "
    "minus r, so that pushing r down raises it (you used r - z0 for both kinds)",
)
def kto_undesirable_wrong_side(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    value = np.where(labels, lambda_d, lambda_u) * np.exp(-np.logaddexp(0.0, -beta * (r - kl_ref)))
    return float(np.mean(np.where(labels, lambda_d, lambda_u) - value))


@CATALOGUE.mistake(
    "kto_loss",
    "lambda_d and lambda_u swapped",
    hint="lambda_d weighs the desirable examples and lambda_u the undesirable ones (you swapped them)",
)
def kto_lambdas_swapped(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    return ref.kto_loss(policy_logps, ref_logps, desirable, beta, kl_ref, lambda_u, lambda_d)


@CATALOGUE.mistake(
    "kto_loss",
    "mean of the values, not of lambda - v",
    hint="the loss is mean(lambda_i - v_i), what the values fall short of their weights (you averaged "
    "the values v_i themselves, which training should raise, not lower)",
)
def kto_mean_of_values(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    above = beta * (r - kl_ref)
    sigmoid = np.exp(-np.logaddexp(0.0, -np.where(labels, above, -above)))
    return float(np.mean(np.where(labels, lambda_d, lambda_u) * sigmoid))


@CATALOGUE.mistake(
    "kto_loss",
    "reference point ignored: sigmoid(beta * r)",
    hint="compare r with the reference point: sigmoid(beta * (r - kl_ref)) for a desirable example, "
    "sigmoid(beta * (kl_ref - r)) for an undesirable one (kl_ref is missing)",
)
def kto_reference_point_ignored(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    return ref.kto_loss(policy_logps, ref_logps, desirable, beta, 0.0, lambda_d, lambda_u)


@CATALOGUE.mistake(
    "kto_loss",
    "beta missing: sigmoid(r - z0)",
    hint="`beta` is missing: sigmoid(beta * (r - kl_ref))",
)
def kto_beta_missing(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    return ref.kto_loss(policy_logps, ref_logps, desirable, 1.0, kl_ref, lambda_d, lambda_u)


@CATALOGUE.mistake(
    "kto_loss",
    "one mean per kind, then their average",
    hint="average over all examples at once: mean_i (lambda_i - v_i) (you averaged the desirable and "
    "the undesirable examples separately, then took the mean of the two)",
)
def kto_mean_per_kind(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    policy, reference = np.asarray(policy_logps, float), np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    means = [
        ref.kto_loss(policy[kind], reference[kind], labels[kind], beta, kl_ref, lambda_d, lambda_u)
        for kind in (labels, ~labels)
        if np.any(kind)
    ]
    return float(np.mean(means))


KTO_OVERFLOW = "np.exp overflows for a large |x| = |beta * (r - kl_ref)|: compute sigmoid(x) as np.exp(-np.logaddexp(0, -x))"


@CATALOGUE.mistake(
    "kto_loss",
    "naive sigmoid: 1 / (1 + exp(-x))",
    hint=KTO_OVERFLOW,
)
def kto_naive_sigmoid(policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0):
    r = np.asarray(policy_logps, float) - np.asarray(ref_logps, float)
    labels = np.asarray(desirable, bool)
    above = beta * (r - kl_ref)
    value = 1.0 / (1.0 + np.exp(-np.where(labels, above, -above)))
    weights = np.where(labels, lambda_d, lambda_u)
    return float(np.mean(weights - weights * value))


@CATALOGUE.mistake(
    "kto_loss", "desirable not checked: 0 and 1 accepted as labels", hint="", keeps_validation=False
)
def kto_labels_unchecked(
    policy_logps, ref_logps, desirable, beta=0.1, kl_ref=0.0, lambda_d=1.0, lambda_u=1.0
):
    return ref.kto_loss(
        policy_logps, ref_logps, np.asarray(desirable).astype(bool), beta, kl_ref, lambda_d, lambda_u
    )
