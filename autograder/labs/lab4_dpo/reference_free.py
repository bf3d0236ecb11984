"""Properties of `simpo_loss` and `kto_loss`: preference losses without a reference model (SimPO)
and without pairs (KTO)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid, LearnerFunction
from autograder.labs.lab4_dpo.catalogue import CATALOGUE, INTEGRAL_FLOATS, KTO_OVERFLOW, SIMPO_OVERFLOW
from autograder.labs.lab4_dpo.lab import BETAS, kto_loss, ref, simpo_loss

GAMMAS = (0.5, 1.5, 0.25)
"""Non-zero target margins (0.5 first: Hypothesis shrinks towards it): with gamma = 0 every
misplaced gamma gives the right value. The limit gamma = 0 has its own property."""
KL_REFS = (0.5, 2.0, 0.0)
"""Reference points z0: 0.5 first, so that a missing z0 shows."""
LAMBDAS = (1.5, 0.75, 1.0, 2.0)
"""Weights of the two kinds of KTO example, drawn independently so that swapped ones show."""


def hint_of_pair(function: str, got: tuple[float, float], calls: tuple[tuple, tuple]) -> str:
    """The hint of the catalogue mistake whose values on both calls are the learner's two values."""
    first, second = (CATALOGUE.values(function, *args) for args in calls)
    for hint, value in first.items():
        if hint in second and all(
            checks.matches(g, v, 1e-9, 1e-12) for g, v in zip(got, (value, second[hint]), strict=True)
        ):
            return hint
    return ""


def check_order(
    f: LearnerFunction,
    function: str,
    lower: tuple,
    higher: tuple,
    what: str,
    hint: str,
    high: float | None = None,
) -> None:
    """Check that the learner's value on `lower` is not above its value on `higher` (to 1e-12), and
    that its value on `higher` is the reference's (a constant loss never decreases). `high` is the
    learner's value on `higher` when the property has it already (the function is not called again)."""
    low = checks.as_float(f(*lower), "the loss")
    if high is None:
        high = checks.as_float(f(*higher), "the loss")
    if low > high + 1e-12:
        checks.fail(
            f"the loss should not decrease when {what}",
            f"Your f(before) = {low!r}",
            f"Your f(after)  = {high!r}",
            "The property needs f(before) <= f(after).",
            hint=hint_of_pair(function, (low, high), (lower, higher)) or hint,
        )
    checks.close(high, getattr(ref, function)(*higher), rtol=1e-9, atol=1e-12, what="the loss", hint=hint)


# --- simpo_loss -----------------------------------------------------------------------------


@st.composite
def simpo_cases(draw, scale: float = 30.0, max_pairs: int = 5, max_length: int = 12):
    """`(chosen_logps, rejected_logps, chosen_lengths, rejected_lengths, beta, gamma)`."""
    n = draw(st.integers(1, max_pairs), label="n")
    lengths = st.lists(st.integers(1, max_length), min_size=n, max_size=n)
    return (
        draw(gen.arrays(n, -scale, 0.0)),
        draw(gen.arrays(n, -scale, 0.0)),
        np.array(draw(lengths, label="chosen_lengths")),
        np.array(draw(lengths, label="rejected_lengths")),
        draw(st.sampled_from(BETAS), label="beta"),
        draw(st.sampled_from(GAMMAS), label="gamma"),
    )


SIMPO = (
    "loss = mean(-log sigmoid(beta * (chosen_logps / chosen_lengths - rejected_logps / rejected_lengths) "
    "- gamma)), written as np.logaddexp(0, -x)"
)


simpo_loss.matches_reference(
    "matches the reference on random log-probabilities, lengths, beta and gamma",
    2,
    simpo_cases(),
    examples=[
        (np.array([-6.0, -20.0]), np.array([-9.0, -8.0]), np.array([3, 10]), np.array([9, 2]), 2.0, 0.5),
        (np.array([-4.0]), np.array([-4.0]), np.array([4]), np.array([2]), 0.7, 1.5),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the loss",
    hint=SIMPO,
)


@simpo_loss.holds(
    "with equal lengths L and gamma = 0 it is DPO's sigmoid loss of the summed log-probs, "
    "with no reference and beta / L",
    points=1,
)
@given(case=simpo_cases(), length=st.integers(1, 8))
@example(case=(np.array([-6.0, -2.0]), np.array([-3.0, -9.0]), None, None, 2.0, 0.5), length=3)
def simpo_without_gamma_is_dpo(f, case, length):
    chosen, rejected, _, _, beta, _ = case
    lengths = np.full(chosen.size, length)
    call = (chosen, rejected, lengths, lengths, beta, 0.0)
    zeros = np.zeros_like(chosen)
    checks.close(
        f(*call),
        ref.dpo_loss(chosen, rejected, zeros, zeros, beta / length),
        rtol=1e-9,
        atol=1e-12,
        what=f"the loss with every length {length} and gamma = 0",
        hint=f"with equal lengths the normalised difference is (chosen_logps - rejected_logps) / {length}, "
        f"so the loss is mean(-log sigmoid(beta / {length} * (chosen_logps - rejected_logps)))",
    )


@simpo_loss.holds(
    "scaling a response's summed log-prob and its length by the same whole number leaves the loss unchanged",
    points=1,
)
@given(case=simpo_cases(), factor=st.integers(2, 5), rejected_side=st.booleans())
@example(
    case=(np.array([-6.0]), np.array([-4.0]), np.array([3]), np.array([4]), 2.0, 0.5),
    factor=3,
    rejected_side=False,
)
def simpo_is_length_normalised(f, case, factor, rejected_side):
    chosen, rejected, chosen_lengths, rejected_lengths, beta, gamma = case
    if rejected_side:
        scaled = (chosen, factor * rejected, chosen_lengths, factor * rejected_lengths, beta, gamma)
        side = "rejected"
    else:
        scaled = (factor * chosen, rejected, factor * chosen_lengths, rejected_lengths, beta, gamma)
        side = "chosen"
    original = checks.as_float(f(*case), "the loss")
    checks.close(original, ref.simpo_loss(*case), rtol=1e-9, atol=1e-12, what="the loss", hint=SIMPO)
    checks.close(
        f(*scaled),
        original,
        rtol=1e-9,
        atol=1e-12,
        what=f"the loss with {side}_logps and {side}_lengths multiplied by {factor}",
        got_from=f"f({side}_logps * {factor}, {side}_lengths * {factor})",
        expected_from="f(the original arguments)",
        hint="a response repeated k times has k times the summed log-probability and k times the tokens: "
        "its length-normalised reward, summed log-prob / length, is the same",
        relation="the two equal: the length-normalised rewards do not change",
    )


@simpo_loss.holds("gamma is the target margin: the loss is log 2 where beta * diff == gamma", points=1)
@given(case=simpo_cases())
@example(case=(np.array([-2.0]), np.array([0.0]), np.array([2]), np.array([5]), 2.0, 1.5))
def simpo_gamma_is_the_target_margin(f, case):
    chosen, _, chosen_lengths, rejected_lengths, beta, gamma = case
    per_token = (
        chosen / chosen_lengths - gamma / beta
    )  # the rejected response's, so that beta * diff == gamma
    call = (chosen, per_token * rejected_lengths, chosen_lengths, rejected_lengths, beta, gamma)
    checks.close(
        f(*call),
        float(np.log(2.0)),
        rtol=1e-9,
        atol=1e-9,
        what="the loss with beta * (chosen_logps / chosen_lengths - rejected_logps / rejected_lengths) == gamma",
        hint="every x = beta * diff - gamma is 0 here, and -log sigmoid(0) = log 2",
    )


@simpo_loss.holds(
    "decreases as chosen_logps grows and increases as rejected_logps grows (monotone in the margin)",
    points=1,
)
@given(case=simpo_cases(), step=gen.floats(0.5, 5.0), rejected_side=st.booleans())
@example(
    case=(np.array([-3.0]), np.array([-3.0]), np.array([3]), np.array([3]), 2.0, 0.5),
    step=1.0,
    rejected_side=False,
)
def simpo_is_monotone_in_the_margin(f, case, step, rejected_side):
    chosen, rejected, chosen_lengths, rejected_lengths, beta, gamma = case
    if rejected_side:
        raised = (chosen, rejected + step, chosen_lengths, rejected_lengths, beta, gamma)
        check_order(f, "simpo_loss", case, raised, f"rejected_logps grows by {step}", hint=SIMPO)
    else:
        raised = (chosen + step, rejected, chosen_lengths, rejected_lengths, beta, gamma)
        check_order(f, "simpo_loss", raised, case, f"chosen_logps falls by {step}", hint=SIMPO)


@st.composite
def huge(draw, n: int, beta: float):
    """n floats of either sign whose product with beta has a magnitude in [1e3, 5e5]: huge even
    after shrinking (towards 1e3), so that a failure of a stability property shows a huge input."""
    magnitudes = draw(gen.arrays(n, 1e3, 5e5), label="|beta * value|")
    signs = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n), label="negative"))
    return np.where(signs, -magnitudes, magnitudes) / beta


@st.composite
def simpo_huge_cases(draw):
    """SimPO cases with one token per response and |beta * diff| between about 1e3 and 1e6."""
    chosen, rejected, chosen_lengths, rejected_lengths, beta, gamma = draw(
        simpo_cases(max_pairs=3, max_length=1)
    )
    return draw(huge(chosen.size, beta)), rejected, chosen_lengths, rejected_lengths, beta, gamma


@simpo_loss.holds("stays finite with no warning for |beta * diff| up to 1e6", points=1)
@given(case=simpo_huge_cases())
@example(case=(np.array([-5e5, 0.0]), np.array([0.0, -5e5]), np.array([1, 1]), np.array([1, 1]), 2.0, 0.5))
@example(case=(np.array([-1e6 / 0.7]), np.array([0.0]), np.array([1]), np.array([1]), 0.7, 0.5))
def simpo_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.finite(got, what="the loss", hint=SIMPO_OVERFLOW)
    checks.no_warnings(outcome, hint=SIMPO_OVERFLOW)
    checks.close(
        got,
        ref.simpo_loss(*case),
        rtol=1e-9,
        atol=1e-8,
        what="the loss",
        hint="a huge positive x gives a loss near 0, a huge negative one a loss near -x (at such margins "
        "several mistakes give the same value: the property 'matches the reference' names the likely one)",
    )


@simpo_loss.holds("accepts lengths given as whole-number floats (3.0)", points=1)
@given(case=simpo_cases())
@example(case=(np.array([-6.0, -2.0]), np.array([-3.0, -9.0]), np.array([3, 1]), np.array([2, 4]), 2.0, 0.5))
def simpo_accepts_integral_floats(f, case):
    chosen, rejected, chosen_lengths, rejected_lengths, beta, gamma = case
    call = (
        chosen,
        rejected,
        chosen_lengths.astype(np.float64),
        rejected_lengths.astype(np.float64),
        beta,
        gamma,
    )
    outcome = f.attempt(*call)
    if outcome.raised("ValueError"):
        checks.fail(
            "raised ValueError for lengths such as 3.0, which are valid",
            f"Message: {outcome.message}",
            hint=INTEGRAL_FLOATS,
        )
    checks.close(
        f.result(outcome),
        ref.simpo_loss(*call),
        rtol=1e-9,
        atol=1e-12,
        what="the loss with float lengths",
        hint=SIMPO,
    )


LOGPS = np.array([-6.0, -2.0, -9.0])
LENGTHS = np.array([3, 1, 4])

simpo_loss.rejects(
    [
        Invalid(
            "rejected_logps has 2 pairs and the others 3",
            "rejected_logps",
            (LOGPS, LOGPS[:2], LENGTHS, LENGTHS),
        ),
        Invalid(
            "chosen_lengths has 2 pairs and the others 3",
            "chosen_lengths",
            (LOGPS, LOGPS, LENGTHS[:2], LENGTHS),
        ),
        Invalid(
            "rejected_lengths has 2 pairs and the others 3",
            "rejected_lengths",
            (LOGPS, LOGPS, LENGTHS, LENGTHS[:2]),
        ),
        Invalid(
            "there is no pair (n = 0)",
            ("chosen_logps", "rejected_logps", "chosen_lengths", "rejected_lengths"),
            (np.zeros(0), np.zeros(0), np.zeros(0, dtype=int), np.zeros(0, dtype=int)),
        ),
        Invalid("chosen_lengths holds 0", "chosen_lengths", (LOGPS, LOGPS, np.array([3, 0, 4]), LENGTHS)),
        Invalid(
            "rejected_lengths holds 2.5",
            "rejected_lengths",
            (LOGPS, LOGPS, LENGTHS, np.array([3.0, 2.5, 4.0])),
        ),
        Invalid(
            "rejected_lengths holds -1", "rejected_lengths", (LOGPS, LOGPS, LENGTHS, np.array([3, -1, 4]))
        ),
        Invalid("beta = 0", "beta", (LOGPS, LOGPS, LENGTHS, LENGTHS), {"beta": 0.0}),
        Invalid("beta = -2", "beta", (LOGPS, LOGPS, LENGTHS, LENGTHS), {"beta": -2.0}),
        Invalid("gamma = -0.5", "gamma", (LOGPS, LOGPS, LENGTHS, LENGTHS), {"gamma": -0.5}),
    ],
    description="raises ValueError when the lengths differ, n = 0, a length is not an integer >= 1, "
    "beta <= 0 or gamma < 0",
)


# --- kto_loss -------------------------------------------------------------------------------


@st.composite
def kto_cases(draw, scale: float = 10.0, min_examples: int = 1, max_examples: int = 6):
    """`(policy_logps, ref_logps, desirable, beta, kl_ref, lambda_d, lambda_u)`."""
    n = draw(st.integers(min_examples, max_examples), label="n")
    return (
        draw(gen.arrays(n, -scale, scale)),
        draw(gen.arrays(n, -scale, scale)),
        np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n), label="desirable"), dtype=bool),
        draw(st.sampled_from(BETAS), label="beta"),
        draw(st.sampled_from(KL_REFS), label="kl_ref"),
        draw(st.sampled_from(LAMBDAS), label="lambda_d"),
        draw(st.sampled_from(LAMBDAS), label="lambda_u"),
    )


KTO = (
    "loss = mean(lambda_i - v_i), v_i = lambda_d * sigmoid(beta * (r_i - kl_ref)) for a desirable example "
    "and lambda_u * sigmoid(beta * (kl_ref - r_i)) for an undesirable one, r = policy_logps - ref_logps"
)


MIXED = (
    np.array([-1.0, -3.0, 2.0, -0.5]),
    np.array([-2.0, -1.0, 0.0, -0.5]),
    np.array([True, False, False, True]),
)


kto_loss.matches_reference(
    "matches the reference on random log-probabilities, labels and weights",
    2,
    kto_cases(),
    examples=[
        (*MIXED, 2.0, 0.5, 1.5, 0.75),
        (
            np.array([1.0, 2.0, -1.5]),
            np.array([0.0, 0.5, 0.0]),
            np.array([False, True, True]),
            0.7,
            2.0,
            1.0,
            2.0,
        ),
    ],
    rtol=1e-9,
    atol=1e-12,
    what="the loss",
    hint=KTO,
)


def one_example(
    r_minus_z0: float, desirable: bool, beta: float, kl_ref: float, lambda_d: float, lambda_u: float
):
    """A batch of one example with the given `r - z0`."""
    return (
        np.array([kl_ref + r_minus_z0]),
        np.zeros(1),
        np.array([desirable]),
        beta,
        kl_ref,
        lambda_d,
        lambda_u,
    )


@kto_loss.holds(
    "each example costs between 0 and its own lambda (0 far on its good side, lambda far on its bad "
    "side, lambda / 2 at r = kl_ref), so the loss is in [0, max(lambda_d, lambda_u)]",
    points=2,
)
@given(case=kto_cases())
@example(case=(*MIXED, 2.0, 0.5, 1.5, 0.75))
def kto_is_bounded_by_lambda(f, case):
    _, _, _, beta, kl_ref, lambda_d, lambda_u = case
    loss = checks.as_float(f(*case), "the loss")
    if not 0.0 <= loss <= max(lambda_d, lambda_u):
        checks.fail(
            f"the loss {loss!r} is outside [0, max(lambda_d, lambda_u)] = [0, {max(lambda_d, lambda_u)!r}]",
            hint="each example costs lambda_i - v_i, between 0 and its own lambda_i, so their mean is too",
        )
    far = 50.0 / beta  # sigmoid(-50) < 1e-21
    for desirable, weight in ((True, lambda_d), (False, lambda_u)):
        kind = "desirable" if desirable else "undesirable"
        good = far if desirable else -far
        for offset, cost, where in (
            (good, 0.0, "on its good side"),
            (-good, weight, "on its bad side"),
            (0.0, weight / 2, "at r = kl_ref"),
        ):
            call = one_example(offset, desirable, beta, kl_ref, lambda_d, lambda_u)
            checks.close(
                f(*call),
                cost,
                rtol=1e-9,
                atol=1e-12,
                what=f"the loss of one {kind} example with r - kl_ref = {offset:g} ({where})",
                hint=f"an example costs lambda - v: a {kind} example's value v tends to its lambda far on its "
                "good side (cost 0) and to 0 far on its bad side (cost lambda)",
            )


@kto_loss.holds(
    "depends on the log-probabilities only through r - kl_ref, r = policy_logps - ref_logps", points=1
)
@given(case=kto_cases(), both=gen.floats(-5.0, 5.0), reference_point=gen.floats(0.5, 3.0))
@example(case=(*MIXED, 2.0, 0.5, 1.5, 0.75), both=0.0, reference_point=1.0)
def kto_depends_on_r_minus_z0(f, case, both, reference_point):
    policy, reference, desirable, beta, kl_ref, lambda_d, lambda_u = case
    moved = (
        policy + both + reference_point,
        reference + both,
        desirable,
        beta,
        kl_ref + reference_point,
        lambda_d,
        lambda_u,
    )
    original = checks.as_float(f(*case), "the loss")
    checks.close(original, ref.kto_loss(*case), rtol=1e-9, atol=1e-12, what="the loss", hint=KTO)
    checks.close(
        f(*moved),
        original,
        rtol=1e-9,
        atol=1e-12,
        what=f"the loss with policy_logps + {both + reference_point:g}, ref_logps + {both:g}, kl_ref + {reference_point:g}",
        got_from="f(the shifted arguments)",
        expected_from="f(the original arguments)",
        hint="these shifts leave every r - kl_ref unchanged, so the loss must not move: use "
        "r = policy_logps - ref_logps and compare it with kl_ref",
        relation="the two equal: every r - kl_ref is unchanged",
    )


@kto_loss.holds(
    "decreases as a desirable example's r grows and increases as an undesirable example's r grows", points=1
)
@given(case=kto_cases(), step=gen.floats(0.5, 3.0))
@example(case=(*MIXED, 0.7, 0.5, 1.5, 0.75), step=1.0)
def kto_is_monotone_in_the_margin(f, case, step):
    policy, reference, desirable, *rest = case
    loss = checks.as_float(f(*case), "the loss")
    for kind, direction in ((desirable, 1.0), (~desirable, -1.0)):
        if np.any(kind):
            better = (policy + step * direction * kind, reference, desirable, *rest)
            moved = "desirable examples' r falls" if direction > 0 else "undesirable examples' r rises"
            check_order(f, "kto_loss", better, case, f"the {moved} by {step:g}", hint=KTO, high=loss)


@kto_loss.holds("is the mean over all examples: two batches joined give the size-weighted mean", points=1)
@given(case=kto_cases(min_examples=2), data=st.data())
@example(
    case=(np.array([1.0, -1.0, 0.0]), np.zeros(3), np.array([True, True, False]), 2.0, 0.5, 1.5, 0.75),
    data=None,
)
def kto_is_a_mean_over_examples(f, case, data):
    policy, reference, desirable, *rest = case
    n = policy.size
    cut = 2 if data is None else data.draw(st.integers(1, n - 1), label="cut")
    parts = [(policy[s], reference[s], desirable[s], *rest) for s in (slice(0, cut), slice(cut, n))]
    losses = [checks.as_float(f(*part), "the loss of a part") for part in parts]
    joined = checks.as_float(f(*case), "the loss of the joined batch")
    checks.close(
        joined,
        (cut * losses[0] + (n - cut) * losses[1]) / n,
        rtol=1e-9,
        atol=1e-12,
        what="the loss of the joined batch",
        got_from="f(all examples)",
        expected_from=f"({cut} * f(first {cut}) + {n - cut} * f(last {n - cut})) / {n}, your values {losses}",
        hint="every example counts once in one mean over the batch, whatever its kind",
        relation="the joined batch's loss is the size-weighted mean of its parts' losses",
    )
    checks.close(
        joined, ref.kto_loss(*case), rtol=1e-9, atol=1e-12, what="the loss of the joined batch", hint=KTO
    )


@st.composite
def kto_huge_cases(draw):
    """KTO cases with |beta * (r - kl_ref)| between about 1e3 and 5e5."""
    policy, reference, *rest = draw(kto_cases(max_examples=4))
    return (draw(huge(policy.size, rest[1])), reference, *rest)


@kto_loss.holds("stays finite with no warning for |beta * (r - kl_ref)| up to 1e6", points=1)
@given(case=kto_huge_cases())
@example(
    case=(
        np.array([5e5, -5e5, 5e5, -5e5]),
        np.zeros(4),
        np.array([True, True, False, False]),
        2.0,
        0.5,
        1.5,
        0.75,
    )
)
def kto_is_stable(f, case):
    outcome = f.attempt(*case)
    got = f.result(outcome)
    checks.finite(got, what="the loss", hint=KTO_OVERFLOW)
    checks.no_warnings(outcome, hint=KTO_OVERFLOW)
    checks.close(
        got,
        ref.kto_loss(*case),
        rtol=1e-9,
        atol=1e-12,
        what="the loss",
        hint="far from the reference point each example costs 0 or its lambda (the property "
        "'matches the reference' names the likely mistake)",
    )


P, R, D = np.array([-1.0, -2.0, -3.0]), np.array([-1.5, -2.0, -2.5]), np.array([True, False, True])

kto_loss.rejects(
    [
        Invalid("ref_logps has 2 examples and policy_logps 3", "ref_logps", (P, R[:2], D)),
        Invalid("desirable has 2 examples and policy_logps 3", "desirable", (P, R, D[:2])),
        Invalid(
            "there is no example (n = 0)",
            ("policy_logps", "ref_logps", "desirable"),
            (np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)),
        ),
        Invalid("desirable holds the ints 1, 0, 1", "desirable", (P, R, np.array([1, 0, 1]))),
        Invalid("desirable holds the floats 1.0, 0.0, 1.0", "desirable", (P, R, np.array([1.0, 0.0, 1.0]))),
        Invalid("beta = 0", "beta", (P, R, D), {"beta": 0.0}),
        Invalid("kl_ref = -0.1", "kl_ref", (P, R, D), {"kl_ref": -0.1}),
        Invalid("lambda_d = 0", "lambda_d", (P, R, D), {"lambda_d": 0.0}),
        Invalid("lambda_u = -1", "lambda_u", (P, R, D), {"lambda_u": -1.0}),
    ],
    description="raises ValueError when the lengths differ, n = 0, desirable is not boolean, beta <= 0, "
    "kl_ref < 0 or a lambda <= 0",
)
