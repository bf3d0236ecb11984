"""Lab 6, `distillation_loss` and `distillation_loss_grad`: the reference, the two directions as one
KL with its arguments swapped, non-negativity, masked-out positions ignored, finite differences,
stability at ±1e3 logits, and the contract's errors."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab6_reasoning.lab import (
    SECONDARY,
    distillation_loss,
    distillation_loss_grad,
    ref,
)
from autograder.labs.lab6_reasoning.strategies import PADDED, TWO_POSITIONS, case, distillation_batches
from autograder.numerics import numerical_gradient

STABILITY_HINT = (
    "use a stable log-softmax (subtract each position's maximum logit, then the log of the sum of "
    "exp): softmax then np.log gives log 0 = -inf at logits of ±1e3, and 0 * -inf is nan"
)
EXTREME = case(
    [[[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]]],
    [[[-1000.0, 1000.0, 0.0], [0.0, 0.0, -1000.0]]],
    [[True, True]],
    "reverse",
)
"""Logits of ±1e3 where softmax underflows to exact zeros in both the student and the teacher."""


distillation_loss.matches_reference(
    "matches the reference on random logits and masks (both directions)",
    3,
    distillation_batches(),
    examples=[case(*TWO_POSITIONS, "forward"), case(*TWO_POSITIONS, "reverse"), case(*PADDED, "reverse")],
    rtol=1e-9,
    atol=1e-12,
    what="the loss",
    hint="per position, KL(q || s) for 'forward' or KL(s || q) for 'reverse' (s the student's softmax, q the teacher's), averaged over the positions where mask is True",
)


@distillation_loss.holds(
    "the two directions are one KL with the arguments swapped; >= 0, and 0 when they agree",
    points=1,
    max_examples=SECONDARY,
)
@given(batch=distillation_batches(garbage=False))
@example(batch=case(*TWO_POSITIONS, "forward"))
def loss_directions_are_one_kl(f, batch):
    student, teacher, mask, _ = batch
    forward = checks.as_float(f(student, teacher, mask, "forward"), "the forward loss")
    checks.close(
        forward,
        ref.distillation_loss(student, teacher, mask, "forward"),
        rtol=1e-9,
        atol=1e-12,
        what="the forward loss",
    )
    checks.close(
        f(teacher, student, mask, "reverse"),
        forward,
        rtol=1e-9,
        atol=1e-12,
        what="the reverse loss with student and teacher swapped",
        got_from="distillation_loss(teacher, student, mask, 'reverse')",
        expected_from="distillation_loss(student, teacher, mask, 'forward')",
        relation="the two equal: swapping the logits swaps the direction",
        hint="'forward' is KL(teacher || student) and 'reverse' is KL(student || teacher): swapping the two "
        "logits must turn one into the other",
    )
    same = checks.as_float(
        f(student, student + 3.0, mask, "reverse"), "the loss of a student equal to its teacher"
    )
    if forward < 0 or abs(same) > 1e-12:
        checks.fail(
            "a KL is negative, or not 0 for a student equal to its teacher (up to a shift of the logits)",
            f"Got: {forward!r} (forward) and {same!r} (student = teacher)",
            hint="KL(a || b) = sum a (log a - log b) is >= 0, and 0 when a = b: normalise each position's "
            "logits with a log-softmax",
        )


@distillation_loss.holds(
    "masked-out positions are ignored, whatever their logits hold", points=1, max_examples=SECONDARY
)
@given(batch=distillation_batches(garbage=False), garbage=st.sampled_from([np.nan, np.inf, 1e3]))
@example(batch=case(*PADDED, "forward"), garbage=np.nan)
def loss_ignores_masked_positions(f, batch, garbage):
    student, teacher, mask, direction = batch
    dirty = np.where(mask[..., None], student, garbage), np.where(mask[..., None], teacher, -garbage)
    checks.close(
        f(*dirty, mask, direction),
        ref.distillation_loss(student, teacher, mask, direction),
        rtol=1e-9,
        atol=1e-12,
        what=f"the loss with {garbage} in the logits of the masked-out positions",
        hint="select the positions where mask is True (student_logits[mask]) before computing anything: "
        "nan * 0 is still nan",
    )


@distillation_loss.holds(
    "finite, no warning and right for logits up to ±1e3", points=2, max_examples=SECONDARY
)
@given(batch=distillation_batches(scale=1e3, garbage=False))
@example(batch=EXTREME)
@example(batch=(*EXTREME[:3], "forward"))
def loss_is_stable(f, batch):
    outcome = f.attempt(*batch)
    checks.stable(
        f.result(outcome),
        outcome,
        ref.distillation_loss(*batch),
        rtol=1e-9,
        atol=1e-9,  # log-probabilities of logits near 1e3 carry errors near 1e-13
        what="the loss at logits of ±1e3",
        hint=STABILITY_HINT,
    )


def distillation_invalid() -> list[Invalid]:
    """The contract's errors, shared by the loss and its gradient."""
    logits, mask = np.zeros((1, 2, 3)), np.ones((1, 2), dtype=bool)
    return [
        Invalid(
            "the logits are 2-D", ("student_logits", "logits"), (np.zeros((2, 3)), np.zeros((2, 3)), mask)
        ),
        Invalid("the shapes differ", ("teacher_logits", "shape"), (logits, np.zeros((1, 2, 4)), mask)),
        Invalid("mask is (2, 1) for (B, T) = (1, 2)", "mask", (logits, logits, np.ones((2, 1), dtype=bool))),
        Invalid("mask has no True", "mask", (logits, logits, np.zeros((1, 2), dtype=bool))),
        Invalid("direction = 'both'", "direction", (logits, logits, mask), {"direction": "both"}),
    ]


distillation_loss.rejects(
    distillation_invalid(),
    description="raises ValueError for logits that are not 3-D or differ in shape, a mask not of shape "
    "(B, T) or with no True, and an unknown direction",
)


# --- distillation_loss_grad -------------------------------------------------------------------


distillation_loss_grad.matches_reference(
    "matches the reference on random logits and masks (both directions)",
    3,
    distillation_batches(),
    examples=[case(*TWO_POSITIONS, "reverse"), case(*PADDED, "forward")],
    rtol=1e-9,
    atol=1e-12,
    what="the gradient",
    hint="(s - q) / N for 'forward', s * (d - sum_v s_v d_v) / N for 'reverse' (d = log s - log q), 0 where mask is False",
)


@distillation_loss_grad.holds(
    "equals finite differences of distillation_loss", points=3, max_examples=SECONDARY
)
@given(batch=distillation_batches(scale=4.0))
@example(batch=case(*TWO_POSITIONS, "reverse"))
@example(batch=case(*PADDED, "reverse"))
def gradient_matches_finite_differences(f, batch):
    student, teacher, mask, direction = batch
    numeric = numerical_gradient(lambda x: ref.distillation_loss(x, teacher, mask, direction), student)
    checks.close(
        f(*batch),
        numeric,
        rtol=1e-5,
        atol=1e-8,
        what="the gradient",
        expected_from="finite differences of the reference loss",
        hint="differentiate the mean KL with respect to the student's logits: d log s_v / d z_u = "
        "[u = v] - s_u",
    )


@distillation_loss_grad.holds(
    "0 at masked-out positions, and each position's gradient sums to 0", points=1, max_examples=SECONDARY
)
@given(batch=distillation_batches())
@example(batch=case(*PADDED, "reverse"))
def gradient_is_zero_off_mask_and_sums_to_zero(f, batch):
    student, _, mask, _ = batch
    got = checks.as_array(f(*batch), student.shape, "the gradient")
    if np.any(got[~mask] != 0.0):
        checks.fail(
            "a masked-out position has a non-zero gradient",
            f"Got there: {got[~mask][:2].tolist()}",
            hint="only the positions where mask is True are in the loss: give the others exactly 0",
        )
    checks.close(
        got.sum(axis=-1),
        np.zeros(mask.shape),
        rtol=0.0,
        atol=1e-12,
        what="the gradient summed over the vocabulary at each position",
        hint="adding a constant to a position's logits changes no softmax, so the gradient sums to 0 there; "
        "for 'reverse' subtract the position's KL: s * (d - sum_v s_v d_v)",
    )
    checks.close(got, ref.distillation_loss_grad(*batch), rtol=1e-9, atol=1e-12, what="the gradient")


@distillation_loss_grad.holds(
    "finite, no warning and right for logits up to ±1e3", points=1, max_examples=SECONDARY
)
@given(batch=distillation_batches(scale=1e3, garbage=False))
@example(batch=EXTREME)
@example(batch=(*EXTREME[:3], "forward"))
def gradient_is_stable(f, batch):
    outcome = f.attempt(*batch)
    checks.stable(
        f.result(outcome),
        outcome,
        ref.distillation_loss_grad(*batch),
        rtol=1e-9,
        atol=1e-10,  # log-probabilities of logits near 1e3 carry errors near 1e-13
        what="the gradient at logits of ±1e3",
        hint=STABILITY_HINT,
    )


distillation_loss_grad.rejects(
    distillation_invalid(),
    description="raises ValueError for logits that are not 3-D or differ in shape, a mask not of shape "
    "(B, T) or with no True, and an unknown direction",
)
