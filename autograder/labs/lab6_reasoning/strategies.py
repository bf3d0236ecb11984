"""The Hypothesis strategies of the Lab 6 grader: sampled answers with the checker's verdicts,
answer distributions for majority vote, and student/teacher logits with a mask."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder import strategies as gen
from autograder.labs.lab6_reasoning.lab import DIRECTIONS


@st.composite
def rft_batches(draw, max_answers: int = 6, max_samples: int = 8):
    """`(logits (K,), samples (n,), rewards (n,))` with at least one reward 1 (a sample kept)."""
    k = draw(st.integers(1, max_answers), label="K")
    n = draw(st.integers(1, max_samples), label="n")
    logits = draw(gen.arrays(k, -5.0, 5.0))
    samples = draw(gen.array_of(np.int64, n, st.integers(0, k - 1)))
    rewards = draw(gen.array_of(np.float64, n, st.sampled_from([0.0, 1.0])))
    rewards[draw(st.integers(0, n - 1), label="a kept sample")] = 1.0
    return logits, samples, rewards


@st.composite
def answer_distributions(draw, max_answers: int = 8, zeros: bool = True):
    """`answer_probs (K,)` and `correct`, sometimes with zero entries, sometimes with equal ones."""
    k = draw(st.integers(1, max_answers), label="K")
    kind = draw(st.sampled_from(["softmax", "ties", "zeros"] if zeros else ["softmax", "ties"]), label="kind")
    if kind == "ties":
        weights = draw(gen.array_of(np.float64, k, st.sampled_from([1.0, 2.0, 3.0])))
    else:
        weights = np.exp(draw(gen.arrays(k, -3.0, 3.0)))
        if kind == "zeros" and k > 1:
            weights[draw(st.integers(0, k - 1), label="a zero")] = 0.0
    correct = draw(st.integers(0, k - 1), label="correct")
    return weights / weights.sum(), correct


@st.composite
def distillation_batches(draw, scale: float = 10.0, garbage: bool = True):
    """`(student_logits, teacher_logits, mask, direction)` of shape (B, T, V); padding holds garbage."""
    b = draw(st.integers(1, 3), label="B")
    t = draw(st.integers(1, 3), label="T")
    v = draw(st.integers(2, 5), label="V")
    student = draw(gen.arrays((b, t, v), -scale, scale))
    teacher = draw(gen.arrays((b, t, v), -scale, scale))
    mask = draw(gen.array_of(np.bool_, (b, t), st.booleans()))
    mask[draw(st.integers(0, b - 1)), draw(st.integers(0, t - 1))] = True
    if garbage and not mask.all():
        student[~mask] = draw(st.sampled_from([50.0, -300.0, 7.0]), label="garbage")
    return student, teacher, mask, draw(st.sampled_from(DIRECTIONS), label="direction")


def case(student, teacher, mask, direction: str) -> tuple:
    """An explicit `(student_logits, teacher_logits, mask, direction)`, written as lists."""
    return (
        np.array(student, dtype=np.float64),
        np.array(teacher, dtype=np.float64),
        np.array(mask, bool),
        direction,
    )


TWO_POSITIONS = (
    [[[2.0, 0.0, -1.0], [0.5, 0.5, 3.0]]],
    [[[0.0, 1.0, 0.0], [-2.0, 1.0, 0.0]]],
    [[True, True]],
)
"""One sequence of two positions over three tokens, student and teacher apart (`case(*TWO_POSITIONS, d)`)."""

PADDED = (
    [[[2.0, 0.0, -1.0], [40.0, -40.0, 0.0]], [[0.3, 0.2, 0.1], [1.0, 2.0, 3.0]]],
    [[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [[-1.0, 0.0, 1.0], [0.0, 0.0, 5.0]]],
    [[True, False], [True, True]],
)
"""Two sequences, one masked-out position with large student logits: the mean over 3 positions, not 4."""
