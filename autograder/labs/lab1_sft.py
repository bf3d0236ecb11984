"""Graded properties of Lab 1: supervised fine-tuning (`exercises/lab1_sft.py`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid, Lab, reference
from autograder.numerics import log_softmax as stable_log_softmax
from autograder.numerics import numerical_gradient

ref = reference("lab1_sft")
LAB = Lab(1, "lab1_sft", "Supervised fine-tuning")

# The seed's SFT table: its base scores and mixture (the reference's demo constants) give these.
SEED_TABLE = {"coding": 53.0, "math": 46.0, "creative": 66.0, "reasoning": 47.0, "safety": 28.0}

Conversations = Sequence[tuple[np.ndarray, np.ndarray]]


# --- sft_gain -------------------------------------------------------------------------------

sft_gain = LAB.function("sft_gain")
IN_ORDER = "return every domain of base_scores, in the order of base_scores"


@sft_gain.holds("reproduces the seed's SFT table", points=1)
def reproduces_seed_table(f):
    got = f(ref.SEED_BASE_SCORES, ref.SEED_MIXTURE)
    checks.close_dict(got, SEED_TABLE, what="the scores after SFT", keys_hint=IN_ORDER)


@st.composite
def scores_and_mixtures(draw):
    """`(base_scores, mixture, max_gain, cap)`: a few domains, some of them in the mixture."""
    domains = draw(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=5, unique=True))
    cap = draw(st.sampled_from([100.0, 10.0, 1.0]))
    base = {d: draw(gen.floats(0.0, cap)) for d in domains}
    chosen = draw(st.lists(st.sampled_from(domains), min_size=1, unique=True))
    raw = np.array([draw(st.integers(0, 4)) for _ in chosen], dtype=float)
    raw[0] += 1.0
    mixture = dict(zip(chosen, (raw / raw.sum()).tolist(), strict=True))
    return base, mixture, draw(gen.floats(0.0, 200.0)), cap


@sft_gain.holds("matches the reference on random domains, mixtures and caps", points=2)
@given(case=scores_and_mixtures())
def gains_match_reference(f, case):
    base, mixture, max_gain, cap = case
    no_cap = {d: base[d] + mixture.get(d, 0.0) * max_gain for d in base}
    checks.close_dict(
        f(base, mixture, max_gain=max_gain, cap=cap),
        ref.sft_gain(base, mixture, max_gain=max_gain, cap=cap),
        what="the scores after SFT",
        keys_hint=IN_ORDER,
        mistakes={"the score must not exceed `cap`: take min(cap, ...)": no_cap},
        hint="a domain missing from mixture gets weight 0",
    )


BASE = {"a": 1.0, "b": 2.0}
sft_gain.rejects(
    [
        Invalid(
            "a mixture weight is negative",
            "mixture",
            (),
            {"base_scores": BASE, "mixture": {"a": 1.5, "b": -0.5}},
        ),
        Invalid(
            "the mixture sums to 0.9", "mixture", (), {"base_scores": BASE, "mixture": {"a": 0.5, "b": 0.4}}
        ),
        Invalid(
            "a mixture domain is not in base_scores",
            ("mixture", "base_scores"),
            (),
            {"base_scores": {"a": 1.0}, "mixture": {"a": 0.5, "zzz": 0.5}},
        ),
        Invalid(
            "a base score is above cap",
            "base_scores",
            (),
            {"base_scores": {"a": 101.0}, "mixture": {"a": 1.0}},
        ),
        Invalid(
            "a base score is negative", "base_scores", (), {"base_scores": {"a": -1.0}, "mixture": {"a": 1.0}}
        ),
        Invalid(
            "max_gain is negative",
            "max_gain",
            (),
            {"base_scores": {"a": 1.0}, "mixture": {"a": 1.0}, "max_gain": -1.0},
        ),
        Invalid(
            "a base score is nan",
            "base_scores",
            (),
            {"base_scores": {"a": float("nan")}, "mixture": {"a": 1.0}},
        ),
        Invalid(
            "max_gain is inf",
            "max_gain",
            (),
            {"base_scores": {"a": 1.0}, "mixture": {"a": 1.0}, "max_gain": float("inf")},
        ),
    ]
)


# --- log_softmax ----------------------------------------------------------------------------

log_softmax = LAB.function("log_softmax")
SUBTRACT_MAX = (
    "subtract the maximum first and keep it subtracted: (x - max) - log(sum(exp(x - max))); "
    "x - (max + log(sum(...))) rounds the log-sum away once |x| is large (at x = [1e300, 1e300] "
    "it gives 0 instead of -log 2)"
)


def log_sum_added_back(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """`x - logsumexp(x)` with `logsumexp = max + log(sum(exp(x - max)))`: the usual imprecise form."""
    top = np.max(logits, axis=axis, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):
        return logits - (top + np.log(np.sum(np.exp(logits - top), axis=axis, keepdims=True)))


@log_softmax.holds("matches the reference on random logits and axes", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=3)), data=st.data())
def log_probabilities_match_reference(f, logits, data):
    axis = data.draw(st.integers(-logits.ndim, logits.ndim - 1), label="axis")
    got, expected = f(logits, axis=axis), ref.log_softmax(logits, axis=axis)
    naive = logits - np.log(np.sum(np.exp(logits), axis=0, keepdims=True))
    hint = "log_softmax(x) = x - logsumexp(x) along `axis`, with keepdims=True"
    checks.close(
        got,
        expected,
        mistakes={"normalise along `axis`, not along axis 0": naive},
        hint=checks.FLOAT32_HINT if checks.float32_like(got, expected) else hint,
    )


@log_softmax.holds("is unchanged by adding a constant along the axis", points=1)
@given(logits=gen.arrays(gen.shapes(max_dims=2)), shift=gen.floats(-1e3, 1e3))
@example(logits=np.array([0.0, 1.0]), shift=1000.0)  # exp(1000) overflows
def shift_invariant(f, logits, shift):
    shifted, unshifted = f(logits + shift), f(logits)
    hint = "softmax only sees differences between logits: shift by the maximum"
    checks.close(
        shifted,
        unshifted,
        rtol=1e-9,
        atol=1e-9,
        what="log_softmax(x + c) compared with log_softmax(x)",
        got_from="log_softmax(x + c)",
        expected_from="log_softmax(x)",
        hint=checks.FLOAT32_HINT if checks.float32_like(shifted, unshifted) else hint,
    )


@log_softmax.holds("keeps full precision (rtol 1e-12) with no warning for logits up to ±1e300", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=2, max_side=3), -1e300, 1e300))
@example(logits=np.array([1e300, 1e300]))  # exactly -log 2 each: the flagrant case first
@example(logits=np.array([2.0**24, 2.0**24]))
@example(logits=np.array([1e300, -1e300]))
@example(logits=np.array([1000.0, 0.0]))
def precise_for_huge_logits(f, logits):
    outcome = f.attempt(logits)
    got = f.result(outcome)
    cast = any("cast" in warning for warning in outcome.warnings)  # float32 overflows at 3.4e38
    checks.finite(
        got,
        hint=checks.FLOAT32_HINT
        if cast
        else "subtract the maximum before exp, and keep x - max from overflowing to -inf",
    )
    checks.no_warnings(
        outcome,
        hint=checks.FLOAT32_HINT
        if cast
        else "np.exp of a large number overflows: subtract the maximum first",
    )
    expected = ref.log_softmax(logits)
    checks.close(
        got,
        expected,
        rtol=1e-12,
        atol=1e-9,
        mistakes={SUBTRACT_MAX: log_sum_added_back(logits)},
        hint=checks.FLOAT32_HINT if checks.float32_like(got, expected) else "",
    )


# --- next_token_targets ---------------------------------------------------------------------

next_token_targets = LAB.function("next_token_targets")
SHIFT_HINTS = {
    "inputs": "inputs are tokens[:-1]: every token that is followed by another",
    "targets": "targets are tokens[1:]: the token to predict at each position",
    "loss_mask": "loss_mask is assistant_mask[1:]: train where the *target* was written by the assistant",
}


@next_token_targets.holds("returns (inputs, targets, loss_mask), each of length T-1", points=2)
@given(tokens=st.lists(st.integers(0, 50), min_size=2, max_size=10), data=st.data())
def shifts_by_one(f, tokens, data):
    tokens = np.array(tokens)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens))))
    got = f(tokens, mask)
    expected = ref.next_token_targets(tokens, mask)
    if not (isinstance(got, tuple) and len(got) == 3):
        checks.fail("the result should be a tuple of three arrays", f"Got: {type(got).__name__}")
    for name, g, e in zip(SHIFT_HINTS, got, expected, strict=True):
        checks.equal(g, e, what=name, hint=SHIFT_HINTS[name])


next_token_targets.rejects(
    [
        Invalid(
            "tokens has 3 entries and assistant_mask 2",
            ("assistant_mask", "tokens", "length"),
            (np.array([1, 2, 3]), np.array([True, False])),
        ),
        Invalid("T = 1", "tokens", (np.array([4]), np.array([True]))),
    ],
    description="raises ValueError for mismatched lengths and T < 2",
)


# --- masked_mean_nll ------------------------------------------------------------------------

masked_mean_nll = LAB.function("masked_mean_nll")


def nll_mistakes(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The values that the usual mistakes produce, to name them in the hint."""
    picked = -np.take_along_axis(stable_log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    rows = picked.reshape(-1, picked.shape[-1]) if picked.ndim > 1 else picked[None]
    row_mask = mask.reshape(rows.shape)
    per_row = [r[m].mean() for r, m in zip(rows, row_mask, strict=True) if m.any()]
    return {
        "divide by the number of masked-in tokens, not sum them": float(picked[mask].sum()),
        "average per token over everything, not per row/sequence": float(np.mean(per_row)),
        "only positions where mask is True count (you averaged over all positions)": float(picked.mean()),
        "the loss is -log p(target): check the sign": float(-picked[mask].mean()),
    }


@masked_mean_nll.holds("matches the reference on random batches", points=2)
@given(batch=gen.logits_targets_mask())
def nll_matches_reference(f, batch):
    logits, targets, mask = batch
    checks.close(
        f(logits, targets, mask),
        ref.masked_mean_nll(logits, targets, mask),
        mistakes=nll_mistakes(logits, targets, mask),
        hint="mean over masked-in positions of -log_softmax(logits)[target]",
    )


@masked_mean_nll.holds("averages per token: flattening the rows changes nothing", points=1)
@given(batch=gen.logits_targets_mask())
@example(
    batch=(
        np.array([[[0.0, 2.0], [1.0, 0.0]], [[0.0, 0.0], [3.0, 0.0]]]),  # rows of 2 and 1 tokens
        np.array([[1, 1], [0, 1]]),
        np.array([[True, True], [False, True]]),
    )
)
def nll_is_mean_per_token(f, batch):
    logits, targets, mask = batch
    vocab = logits.shape[-1]
    rows = f(logits, targets, mask)
    flat = f(logits.reshape(-1, vocab), targets.reshape(-1), mask.reshape(-1))
    checks.close(
        rows,
        flat,
        rtol=1e-9,
        what="the loss of the batch compared with the loss of its flattened tokens",
        got_from="the batch (B, T)",
        expected_from="its tokens flattened to one row",
        hint="average over all masked-in tokens together, not per row or per sequence",
    )


@masked_mean_nll.holds("ignores every position where mask is False", points=1)
@given(batch=gen.logits_targets_mask(), noise=gen.arrays(1, -50.0, 50.0))
def nll_ignores_masked_out_positions(f, batch, noise):
    logits, targets, mask = batch
    changed = logits.copy()
    changed[~mask] += noise[0] * np.arange(1, logits.shape[-1] + 1)
    changed_targets = np.where(mask, targets, (targets + 1) % logits.shape[-1])
    checks.close(
        f(changed, changed_targets, mask),
        f(logits, targets, mask),
        rtol=1e-9,
        what="the loss after changing masked-out positions",
        got_from="masked-out logits and targets changed",
        expected_from="the original batch",
        hint="multiply by the mask (or index with it) before summing",
    )


@masked_mean_nll.holds("keeps its precision (rtol 1e-9) with no warning for logits up to ±1e6", points=1)
@given(batch=gen.logits_targets_mask(scale=1e6))
@example(batch=(np.array([[1e6, 0.0]]), np.array([1]), np.array([True])))  # p(target) = exp(-1e6) = 0.0
def nll_precise_for_large_logits(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.finite(got, hint="use a stable log_softmax (subtract the max) rather than log(softmax)")
    checks.no_warnings(outcome, hint="log(softmax(x)) underflows to log(0): use log_softmax")
    checks.close(got, ref.masked_mean_nll(*batch), rtol=1e-9, atol=1e-6)


NLL_ERRORS = [
    Invalid(
        "targets has 3 positions but logits 2",
        ("targets", "shape", "logits"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), np.array([True, True, True])),
    ),
    Invalid("a target equals V", "target", (np.zeros((2, 3)), np.array([0, 3]), np.array([True, True]))),
    Invalid("a target is negative", "target", (np.zeros((2, 3)), np.array([-1, 0]), np.array([True, True]))),
    Invalid("mask holds no True", "mask", (np.zeros((2, 3)), np.array([0, 1]), np.array([False, False]))),
]
masked_mean_nll.rejects(NLL_ERRORS, description="raises ValueError for bad shapes, targets and an empty mask")


# --- masked_mean_nll_grad -------------------------------------------------------------------

masked_mean_nll_grad = LAB.function("masked_mean_nll_grad")


@masked_mean_nll_grad.holds("matches the reference on random batches", points=2)
@given(batch=gen.logits_targets_mask())
def nll_gradient_matches_reference(f, batch):
    logits, targets, mask = batch
    expected = ref.masked_mean_nll_grad(logits, targets, mask)
    softmax = np.exp(stable_log_softmax(logits))
    onehot = np.arange(logits.shape[-1]) == targets[..., None]
    checks.close(
        f(logits, targets, mask),
        expected,
        atol=1e-12,
        mistakes={
            "the gradient is softmax - onehot (you wrote onehot - softmax)": -expected,
            "divide by mask.sum(), the number of masked-in tokens": expected * mask.sum(),
            "divide by mask.sum(), the number of masked-in tokens, not mask.size (every position)": (
                expected * mask.sum() / mask.size
            ),
            "zero the rows where mask is False": (softmax - onehot) / mask.sum(),
        },
        hint="(softmax(logits) - onehot(targets)) * mask[..., None] / mask.sum()",
    )


@masked_mean_nll_grad.holds("equals finite differences of masked_mean_nll", points=2)
@given(batch=gen.logits_targets_mask(max_vocab=4, scale=5.0))
def nll_gradient_is_finite_differences(f, batch):
    logits, targets, mask = batch
    numeric = numerical_gradient(lambda z: ref.masked_mean_nll(z, targets, mask), logits)
    checks.close(f(logits, targets, mask), numeric, rtol=1e-5, atol=1e-7, what="the gradient")


@masked_mean_nll_grad.holds("rows sum to 0 and masked-out rows are 0", points=1)
@given(batch=gen.logits_targets_mask())
def nll_gradient_rows_sum_to_zero(f, batch):
    logits, targets, mask = batch
    got = checks.as_array(f(logits, targets, mask), logits.shape, "the gradient")
    checks.close(
        got.sum(axis=-1),
        np.zeros(targets.shape),
        atol=1e-12,
        what="each row's sum",
        hint="softmax sums to 1 and the one-hot to 1, so each row of the gradient sums to 0",
    )
    checks.close(
        got[~mask],
        np.zeros((int((~mask).sum()), logits.shape[-1])),
        atol=0.0,
        what="the rows where mask is False",
        hint="multiply by mask[..., None]",
    )


masked_mean_nll_grad.rejects(
    NLL_ERRORS, description="raises ValueError for bad shapes, targets and an empty mask"
)


# --- sft_step -------------------------------------------------------------------------------

sft_step = LAB.function("sft_step")
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
        mistakes={
            "report the loss at the incoming W, before the update": batch_loss(new_W, conversations),
            PER_CONVERSATION: per_conversation(W, conversations)[1],
        },
        hint="the per-token mean NLL over every assistant target of every conversation",
    )
    got_W = checks.as_array(got[0], W.shape, "the new W")
    mistakes = {h: W - step for h, step in step_mistakes(W, conversations, lr).items()}
    checks.close(got_W, new_W, what="the new W", mistakes=mistakes)


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
        mistakes={h: wrong / lr for h, wrong in step_mistakes(W, conversations, lr).items()},
        hint="sum the rows of the per-position gradient into the rows of W they were read from",
    )


@sft_step.holds("a small step lowers the loss", points=1)
@given(batch=sft_batches())
def small_step_lowers_loss(f, batch):
    W, conversations, _ = batch
    new_W, _ = f(W, conversations, 1e-3)
    new_W = checks.as_array(new_W, W.shape, "the new W")
    before, after = batch_loss(W, conversations), batch_loss(new_W, conversations)
    if not after <= before + 1e-12:
        known = step_mistakes(W, conversations, 1e-3)
        hint = next((h for h, step in known.items() if checks.matches(W - new_W, step, 1e-7, 1e-12)), "")
        checks.fail(
            "the loss went up after a step of lr = 0.001",
            f"Loss before: {before!r}",
            f"Loss after:  {after!r}",
            hint=hint or "step against the gradient: W - lr * grad",
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
