"""Lab 1, `sft_step`: one gradient step of the bigram model."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab1_sft.lab import (
    Conversations,
    ref,
    sft_step,
)
from autograder.numerics import numerical_gradient

SCATTER_ONCE = (
    "`grad[inputs] += rows` adds only one row for a token that is read at several positions "
    "(numpy buffers the repeated index): accumulate with np.add.at(grad, inputs, rows) or a loop"
)
PER_CONVERSATION = (
    "the loss is the mean per token over the whole batch, not the mean of per-conversation means: "
    "concatenate every conversation's positions first (a conversation with more assistant tokens weighs more)"
)


@st.composite
def sft_batches(draw):
    """`(W, conversations, lr)`: a small bigram table, a batch with an assistant target, a step size."""
    vocab = draw(st.integers(2, 5))
    W = draw(gen.arrays((vocab, vocab), -3.0, 3.0))
    return W, draw(gen.conversations(vocab)), draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))


def batch_loss(W: np.ndarray, conversations: Conversations) -> float:
    """The reference's SFT loss of a batch at `W`."""
    return ref.sft_step(W, conversations, 1.0)[1]


def scattered_once(W: np.ndarray, conversations: Conversations) -> np.ndarray:
    """The gradient that `grad[inputs] += rows` gives: one row for each distinct input token."""
    shifted = [ref.next_token_targets(tokens, mask) for tokens, mask in conversations]
    inputs, targets, loss_mask = (np.concatenate(parts) for parts in zip(*shifted, strict=True))
    grad = np.zeros_like(W)
    grad[inputs] += ref.masked_mean_nll_grad(W[inputs], targets, loss_mask)
    return grad


def per_conversation(W: np.ndarray, conversations: Conversations) -> tuple[np.ndarray, float]:
    """The gradient and loss of a mean over conversations instead of a mean over tokens."""
    graded = [c for c in conversations if np.asarray(c[1])[1:].any()]
    steps = [ref.sft_step(W, [c], 1.0) for c in graded]
    return np.mean([W - new_W for new_W, _ in steps], axis=0), float(np.mean([loss for _, loss in steps]))


def step_mistakes(W: np.ndarray, conversations: Conversations, lr: float) -> dict[str, np.ndarray]:
    """`W - new_W` for the usual mistakes of the update, to name them in the hint."""
    grad = (W - ref.sft_step(W, conversations, lr)[0]) / lr
    return {
        "gradient *descent*: W - lr * grad": -lr * grad,
        "the step is lr times the gradient": grad,
        SCATTER_ONCE: lr * scattered_once(W, conversations),
        PER_CONVERSATION: lr * per_conversation(W, conversations)[0],
    }


@sft_step.holds("matches the reference: the new W and the loss at the old W", points=3)
@given(batch=sft_batches())
def step_matches_reference(f, batch):
    W, conversations, lr = batch
    got = f(W, conversations, lr)
    new_W, loss = ref.sft_step(W, conversations, lr)
    if not (isinstance(got, tuple) and len(got) == 2):
        checks.fail("the result should be a tuple (new_W, loss)", f"Got: {type(got).__name__}")
    checks.close(
        got[1],
        loss,
        what="the loss",
    )
    got_W = checks.as_array(got[0], W.shape, "the new W")
    {h: W - step for h, step in step_mistakes(W, conversations, lr).items()}
    checks.close(got_W, new_W, what="the new W")


@sft_step.holds("its step equals -lr times finite differences of the loss", points=2)
@given(batch=sft_batches())
def step_is_finite_differences(f, batch):
    W, conversations, lr = batch
    numeric = numerical_gradient(lambda w: batch_loss(w, conversations), W)
    new_W, _ = f(W, conversations, lr)
    step = W - checks.as_array(new_W, W.shape, "the new W")
    checks.close(
        step / lr,
        numeric,
        rtol=1e-5,
        atol=1e-7,
        what="(W - new_W) / lr",
    )


@sft_step.holds("a small step lowers the loss", points=1)
@given(batch=sft_batches())
def small_step_lowers_loss(f, batch):
    W, conversations, _ = batch
    new_W, _ = f(W, conversations, 1e-3)
    new_W = checks.as_array(new_W, W.shape, "the new W")
    before, after = batch_loss(W, conversations), batch_loss(new_W, conversations)
    if not after <= before + 1e-12:
        step_mistakes(W, conversations, 1e-3)
        checks.fail(
            "the loss went up after a step of lr = 0.001",
            f"Loss before: {before!r}",
            f"Loss after:  {after!r}",
        )


W3 = np.zeros((3, 3))
GOOD = [(np.array([0, 1, 2]), np.array([False, True, True]))]
sft_step.rejects(
    [
        Invalid("lr = 0", "lr", (W3, GOOD, 0.0)),
        Invalid("lr = -0.1", "lr", (W3, GOOD, -0.1)),
        Invalid(
            "no target was written by the assistant",
            ("assistant", "mask", "conversations"),
            (W3, [(np.array([0, 1, 2]), np.array([True, False, False]))], 0.1),
        ),
        Invalid(
            "token 3 is outside [0, V) with V = 3",
            ("token", "conversations"),
            (W3, [(np.array([0, 1, 3]), np.array([True, True, True]))], 0.1),
        ),
    ],
    points=2,
    description="raises ValueError for lr <= 0, no assistant target, a bad token",
)
