"""Lab 6, `majority_vote_accuracy`: every n-tuple of votes enumerated for small K and n, the
reference for K <= 8 and n <= 64, a seeded simulation, n = 1, monotonicity with two answers and its
failure when a wrong answer is the most likely, and the contract's errors."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder.engine import Invalid
from autograder.labs.lab6_reasoning.lab import SECONDARY, majority_vote_accuracy, ref
from autograder.labs.lab6_reasoning.strategies import answer_distributions

SCATTERED = np.array([0.3, 0.14, 0.14, 0.14, 0.14, 0.14])
"""The correct answer (index 0) at 30 %, the wrong ones scattered: majority vote wins at large n."""
ONE_WRONG_AHEAD = np.array([0.3, 0.4, 0.1, 0.1, 0.05, 0.05])
"""A wrong answer (index 1) more likely than the correct one (index 0): majority vote loses at large n."""


def _enumerated_accuracy(probs: np.ndarray, correct: int, n: int) -> float:
    """Sum over every n-tuple of votes of its probability times the correct answer's tie-break share."""
    k = probs.size
    tuples = np.array(list(itertools.product(range(k), repeat=n)))
    counts = (tuples[:, :, None] == np.arange(k)).sum(axis=1)
    top = counts.max(axis=1)
    leaders = (counts == top[:, None]).sum(axis=1)
    wins = np.where(counts[:, correct] == top, 1.0 / leaders, 0.0)
    return float(np.sum(np.prod(probs[tuples], axis=1) * wins))


@st.composite
def small_votes(draw):
    """`(answer_probs, correct, n)` with K**n <= 4096, small enough to list every n-tuple."""
    probs, correct = draw(answer_distributions(max_answers=4))
    n = draw(st.integers(1, {1: 8, 2: 8, 3: 7, 4: 6}[probs.size]), label="n")
    return probs, correct, n


@majority_vote_accuracy.holds("equals the sum over every n-tuple of votes (K <= 4, n <= 8)", points=3)
@given(votes=small_votes())
@example(votes=(np.array([0.5, 0.25, 0.25]), 0, 2))
@example(votes=(np.array([0.4, 0.3, 0.3]), 1, 4))
@example(votes=(np.array([0.6, 0.4]), 0, 4))
def majority_matches_enumeration(f, votes):
    checks.close(
        f(*votes),
        _enumerated_accuracy(*votes),
        rtol=0.0,
        atol=1e-12,
        what=f"majority_vote_accuracy({votes[0].tolist()}, {votes[1]}, {votes[2]})",
        expected_from="every n-tuple listed",
        hint="sum over the count vectors: multinomial probability times [the correct answer has the top "
        "count] / (number of answers with the top count)",
    )


majority_vote_accuracy.matches_reference(
    "matches the reference for K <= 8 and n <= 64, to 1e-12",
    2,
    st.tuples(answer_distributions(), st.integers(1, 64)).map(lambda votes_n: (*votes_n[0], votes_n[1])),
    examples=[(SCATTERED, 0, 64), (np.full(8, 0.125), 3, 64), (ONE_WRONG_AHEAD, 0, 33)],
    rtol=0.0,
    atol=1e-12,
    what="the accuracy",
    hint="exact, not sampled: condition on the correct answer's count m, and add up the ways the "
    "others share the remaining n - m draws with at most m each (a dynamic programme), weighting "
    "t ties by 1 / (1 + t)",
)


@majority_vote_accuracy.holds(
    "agrees with a seeded simulation of 20000 votes (within 4.5 standard errors)",
    points=1,
    max_examples=SECONDARY,
)
@given(votes=answer_distributions(max_answers=6), n=st.integers(2, 15))
@example(votes=(np.array([0.45, 0.35, 0.2]), 0), n=6)
def majority_agrees_with_simulation(f, votes, n):
    probs, correct = votes
    got = checks.as_float(f(probs, correct, n), f"majority_vote_accuracy(..., {correct}, {n})")
    rng = np.random.default_rng(2022)
    trials = 20_000
    k = probs.size
    draws = np.minimum(np.searchsorted(np.cumsum(probs), rng.random((trials, n)), side="right"), k - 1)
    flat = (np.arange(trials)[:, None] * k + draws).ravel()
    counts = np.bincount(flat, minlength=trials * k).reshape(trials, k)
    leaders = counts == counts.max(axis=1, keepdims=True)
    scores = np.where(leaders, rng.random(counts.shape), -1.0)  # a uniform tie-break
    estimate = float(np.mean(np.argmax(scores, axis=1) == correct))
    tolerance = 4.5 * np.sqrt(max(estimate * (1 - estimate), 1e-4) / trials)
    if abs(got - estimate) > tolerance:
        checks.fail(
            f"majority_vote_accuracy({probs.tolist()}, {correct}, {n}) is far from a simulation",
            f"Simulated ({trials} seeded votes): {estimate:.4f} ± {tolerance:.4f}",
            f"Got: {got!r}",
            hint="draw n answers, return the most frequent one, break ties uniformly at random: the "
            "probability that this is the correct answer",
        )


@majority_vote_accuracy.holds(
    "one sample (n = 1) gives answer_probs[correct]", points=1, max_examples=SECONDARY
)
@given(votes=answer_distributions())
@example(votes=(np.array([0.2, 0.5, 0.3]), 0))
def majority_of_one_is_the_probability(f, votes):
    probs, correct = votes
    checks.close(
        f(probs, correct, 1),
        float(probs[correct]),
        rtol=0.0,
        atol=1e-12,
        what=f"majority_vote_accuracy({probs.tolist()}, {correct}, 1)",
        hint="with one sample the vote returns that sample: it is correct with probability "
        "answer_probs[correct]",
    )


@majority_vote_accuracy.holds(
    "with two answers and the correct one above 50 %, never decreases as n grows (n = 1..30)", points=1
)
def majority_is_monotone_with_two_answers(f):
    for pc in (0.55, 0.7, 0.9):
        values = [
            checks.as_float(f(np.array([pc, 1 - pc]), 0, n), f"the accuracy at n = {n}") for n in range(1, 31)
        ]
        drops = [n for n in range(1, 30) if values[n] < values[n - 1] - 1e-12]
        if drops:
            n = drops[0] + 1
            checks.fail(
                f"with answer_probs [{pc}, {1 - pc:.2f}] the accuracy drops from n = {n - 1} to n = {n}",
                f"Values: {values[n - 2]!r}, {values[n - 1]!r}",
                hint="with two answers, an even n adds a tie that is broken at random: its accuracy equals "
                "that of n - 1, and an odd n can only add votes for the more likely answer",
            )
        checks.close(
            values[-1],
            ref.majority_vote_accuracy(np.array([pc, 1 - pc]), 0, 30),
            rtol=0.0,
            atol=1e-12,
            what=f"majority_vote_accuracy([{pc}, {1 - pc:.2f}], 0, 30)",
        )


@majority_vote_accuracy.holds(
    "falls towards 0 as n grows when a wrong answer is the most likely (and rises when the correct "
    "answer is, even below 50 %)",
    points=1,
)
def majority_follows_the_most_likely_answer(f):
    for probs, rises in ((ONE_WRONG_AHEAD, False), (SCATTERED, True)):
        one, many = (checks.as_float(f(probs, 0, n), f"the accuracy at n = {n}") for n in (1, 64))
        if (many > one) != rises or (not rises and many > 0.2) or (rises and many < 0.9):
            checks.fail(
                f"with answer_probs {probs.tolist()} (the correct answer is index 0) the accuracy goes "
                f"from {one!r} at n = 1 to {many!r} at n = 64",
                f"Expected: {ref.majority_vote_accuracy(probs, 0, 1)!r} to "
                f"{ref.majority_vote_accuracy(probs, 0, 64)!r}",
                hint="majority vote converges to the single most likely answer: it wins below 50 % when the "
                "wrong answers scatter, and loses when one wrong answer is more likely",
            )


majority_vote_accuracy.rejects(
    [
        Invalid("answer_probs is 2-D", "answer_probs", (np.array([[0.5, 0.5]]), 0, 3)),
        Invalid("answer_probs has a negative entry", "answer_probs", (np.array([1.2, -0.2]), 0, 3)),
        Invalid("answer_probs sums to 0.9", "answer_probs", (np.array([0.5, 0.4]), 0, 3)),
        Invalid("correct = K", "correct", (np.array([0.5, 0.5]), 2, 3)),
        Invalid("correct = -1", "correct", (np.array([0.5, 0.5]), -1, 3)),
        Invalid("correct = 0.5", "correct", (np.array([0.5, 0.5]), 0.5, 3)),
        Invalid("n = 0", "n", (np.array([0.5, 0.5]), 0, 0)),
        Invalid("n = 2.5", "n", (np.array([0.5, 0.5]), 0, 2.5)),
    ],
    description="raises ValueError for answer_probs that is not a probability vector, correct outside "
    "[0, K) and n not an integer >= 1",
)
