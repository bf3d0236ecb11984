"""Graded properties of Lab 1: supervised fine-tuning (`exercises/lab1_sft.py`)."""

from __future__ import annotations

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Lab, reference
from autograder.numerics import numerical_gradient

ref = reference("lab1_sft")
LAB = Lab(1, "lab1_sft", "Supervised fine-tuning")

SEED_BASE = {"coding": 45.0, "math": 40.0, "creative": 60.0, "reasoning": 35.0, "safety": 20.0}
SEED_MIXTURE = {"coding": 0.20, "math": 0.15, "creative": 0.15, "reasoning": 0.30, "safety": 0.20}


# --- sft_gain -------------------------------------------------------------------------------

sft_gain = LAB.function("sft_gain")


@sft_gain.holds("reproduces the seed's SFT table", points=1)
def _(f):
    got = f(SEED_BASE, SEED_MIXTURE)
    checks.equal(type(got).__name__, "dict", what="the result's type")
    checks.equal(list(got), list(SEED_BASE), what="the domains, in order",
                 hint="return every domain of base_scores, in the order of base_scores")  # fmt: skip
    checks.close(np.array(list(got.values())), np.array([53.0, 46.0, 66.0, 47.0, 28.0]), what="the scores")


@st.composite
def _scores_and_mixture(draw):
    domains = draw(st.lists(st.sampled_from("abcdefg"), min_size=1, max_size=5, unique=True))
    cap = draw(st.sampled_from([100.0, 10.0, 1.0]))
    base = {d: draw(gen.floats(0.0, cap)) for d in domains}
    chosen = draw(st.lists(st.sampled_from(domains), min_size=1, unique=True))
    raw = np.array([draw(st.integers(0, 4)) for _ in chosen], dtype=float)
    raw[0] += 1.0
    mixture = dict(zip(chosen, (raw / raw.sum()).tolist(), strict=True))
    return base, mixture, draw(gen.floats(0.0, 200.0)), cap


@sft_gain.holds("matches the reference on random domains, mixtures and caps", points=2)
@given(case=_scores_and_mixture())
def _(f, case):
    base, mixture, max_gain, cap = case
    got = f(base, mixture, max_gain=max_gain, cap=cap)
    expected = ref.sft_gain(base, mixture, max_gain=max_gain, cap=cap)
    checks.equal(list(got) if isinstance(got, dict) else got, list(expected), what="the domains, in order",
                 hint="return a dict with every domain of base_scores, in its order")  # fmt: skip
    no_cap = {d: base[d] + mixture.get(d, 0.0) * max_gain for d in base}
    checks.close(np.array(list(got.values())), np.array(list(expected.values())), what="the scores",
                 mistakes={"the score must not exceed `cap`: take min(cap, ...)": np.array(list(no_cap.values()))},
                 hint="a domain missing from mixture gets weight 0")  # fmt: skip


SFT_GAIN_ERRORS = [
    ("a mixture weight is negative", "mixture", dict(base_scores={"a": 1.0, "b": 2.0}, mixture={"a": 1.5, "b": -0.5})),
    ("the mixture sums to 0.9", "mixture", dict(base_scores={"a": 1.0, "b": 2.0}, mixture={"a": 0.5, "b": 0.4})),
    ("a mixture domain is not in base_scores", ("mixture", "base_scores"),
     dict(base_scores={"a": 1.0}, mixture={"a": 0.5, "zzz": 0.5})),
    ("a base score is above cap", "base_scores", dict(base_scores={"a": 101.0}, mixture={"a": 1.0})),
    ("a base score is negative", "base_scores", dict(base_scores={"a": -1.0}, mixture={"a": 1.0})),
    ("max_gain is negative", "max_gain", dict(base_scores={"a": 1.0}, mixture={"a": 1.0}, max_gain=-1.0)),
    ("a base score is nan", "base_scores", dict(base_scores={"a": float("nan")}, mixture={"a": 1.0})),
    ("max_gain is inf", "max_gain", dict(base_scores={"a": 1.0}, mixture={"a": 1.0}, max_gain=float("inf"))),
]  # fmt: skip


@sft_gain.holds("raises ValueError for each invalid input listed in the docstring", points=1)
def _(f):
    for why, argument, kwargs in SFT_GAIN_ERRORS:
        checks.value_error(f.attempt(**kwargs), argument, why=why)


# --- log_softmax ----------------------------------------------------------------------------

log_softmax = LAB.function("log_softmax")


@log_softmax.holds("matches the reference on random logits and axes", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=3)), data=st.data())
def _(f, logits, data):
    axis = data.draw(st.integers(-logits.ndim, logits.ndim - 1), label="axis")
    naive = logits - np.log(np.sum(np.exp(logits), axis=0, keepdims=True))
    checks.close(f(logits, axis=axis), ref.log_softmax(logits, axis=axis),
                 mistakes={"normalise along `axis`, not along axis 0": naive},
                 hint="log_softmax(x) = x - logsumexp(x) along `axis`, with keepdims=True")  # fmt: skip


@log_softmax.holds("is unchanged by adding a constant along the axis", points=1)
@given(logits=gen.arrays(gen.shapes(max_dims=2)), shift=gen.floats(-1e3, 1e3))
@example(logits=np.array([0.0, 1.0]), shift=1000.0)  # exp(1000) overflows
def _(f, logits, shift):
    checks.close(f(logits + shift), f(logits), rtol=1e-9, atol=1e-9,
                 what="log_softmax(x + c) compared with log_softmax(x)",
                 hint="softmax only sees differences between logits: shift by the maximum")  # fmt: skip


@log_softmax.holds("stays finite with no warning for logits up to ±1e300", points=2)
@given(logits=gen.arrays(gen.shapes(max_dims=2, max_side=3), -1e300, 1e300))
@example(logits=np.array([1e300, -1e300]))
@example(logits=np.array([1000.0, 0.0]))
def _(f, logits):
    outcome = f.attempt(logits)
    got = f.result(outcome)
    checks.finite(got, hint="subtract the maximum before exp, and keep x - max from overflowing to -inf")
    checks.no_warnings(outcome, hint="np.exp of a large number overflows: subtract the maximum first")
    checks.close(got, ref.log_softmax(logits), rtol=1e-12, atol=1e-9)


# --- next_token_targets ---------------------------------------------------------------------

next_token_targets = LAB.function("next_token_targets")


@next_token_targets.holds("returns (inputs, targets, loss_mask), each of length T-1", points=2)
@given(tokens=st.lists(st.integers(0, 50), min_size=2, max_size=10), data=st.data())
def _(f, tokens, data):
    tokens = np.array(tokens)
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=len(tokens), max_size=len(tokens))))
    got = f(tokens, mask)
    expected = ref.next_token_targets(tokens, mask)
    if not (isinstance(got, tuple) and len(got) == 3):
        checks.fail("the result should be a tuple of three arrays", f"Got: {type(got).__name__}")
    for name, g, e in zip(("inputs", "targets", "loss_mask"), got, expected, strict=True):
        checks.equal(g, e, what=name, hint={
            "inputs": "inputs are tokens[:-1]: every token that is followed by another",
            "targets": "targets are tokens[1:]: the token to predict at each position",
            "loss_mask": "loss_mask is assistant_mask[1:]: train where the *target* was written by the assistant",
        }[name])  # fmt: skip


@next_token_targets.holds("raises ValueError for mismatched lengths and T < 2", points=1)
def _(f):
    checks.value_error(f.attempt(np.array([1, 2, 3]), np.array([True, False])), ("assistant_mask", "tokens", "length"),
                       why="tokens has 3 entries and assistant_mask 2")  # fmt: skip
    checks.value_error(f.attempt(np.array([4]), np.array([True])), "tokens", why="T = 1")


# --- masked_mean_nll ------------------------------------------------------------------------

masked_mean_nll = LAB.function("masked_mean_nll")


def _nll_mistakes(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The values that the usual mistakes produce, to name them in the hint."""
    picked = -np.take_along_axis(ref.log_softmax(logits), targets[..., None], axis=-1)[..., 0]
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
def _(f, batch):
    logits, targets, mask = batch
    checks.close(f(logits, targets, mask), ref.masked_mean_nll(logits, targets, mask),
                 mistakes=_nll_mistakes(logits, targets, mask),
                 hint="mean over masked-in positions of -log_softmax(logits)[target]")  # fmt: skip


@masked_mean_nll.holds("averages per token: flattening the rows changes nothing", points=1)
@given(batch=gen.logits_targets_mask())
@example(
    batch=(
        np.array([[[0.0, 2.0], [1.0, 0.0]], [[0.0, 0.0], [3.0, 0.0]]]),  # rows of 2 and 1 tokens
        np.array([[1, 1], [0, 1]]),
        np.array([[True, True], [False, True]]),
    )
)
def _(f, batch):
    logits, targets, mask = batch
    vocab = logits.shape[-1]
    rows = f(logits, targets, mask)
    flat = f(logits.reshape(-1, vocab), targets.reshape(-1), mask.reshape(-1))
    checks.close(rows, flat, rtol=1e-9, what="the loss of the batch compared with the loss of its flattened tokens",
                 hint="average over all masked-in tokens together, not per row or per sequence")  # fmt: skip


@masked_mean_nll.holds("ignores every position where mask is False", points=1)
@given(batch=gen.logits_targets_mask(), noise=gen.arrays(1, -50.0, 50.0))
def _(f, batch, noise):
    logits, targets, mask = batch
    changed = logits.copy()
    changed[~mask] += noise[0] * np.arange(1, logits.shape[-1] + 1)
    changed_targets = np.where(mask, targets, (targets + 1) % logits.shape[-1])
    checks.close(f(changed, changed_targets, mask), f(logits, targets, mask), rtol=1e-9,
                 what="the loss after changing masked-out positions",
                 hint="multiply by the mask (or index with it) before summing")  # fmt: skip


@masked_mean_nll.holds("stays finite with no warning for logits up to ±1e6", points=1)
@given(batch=gen.logits_targets_mask(scale=1e6))
def _(f, batch):
    outcome = f.attempt(*batch)
    got = f.result(outcome)
    checks.finite(got, hint="use a stable log_softmax (subtract the max) rather than log(softmax)")
    checks.no_warnings(outcome, hint="log(softmax(x)) underflows to log(0): use log_softmax")
    checks.close(got, ref.masked_mean_nll(*batch), rtol=1e-9, atol=1e-6)


NLL_ERRORS = [
    ("targets has 3 positions but logits 2", ("targets", "shape", "logits"),
     (np.zeros((2, 3)), np.array([0, 1, 2]), np.array([True, True, True]))),
    ("a target equals V", "target", (np.zeros((2, 3)), np.array([0, 3]), np.array([True, True]))),
    ("a target is negative", "target", (np.zeros((2, 3)), np.array([-1, 0]), np.array([True, True]))),
    ("mask holds no True", "mask", (np.zeros((2, 3)), np.array([0, 1]), np.array([False, False]))),
]  # fmt: skip


@masked_mean_nll.holds("raises ValueError for bad shapes, targets and an empty mask", points=1)
def _(f):
    for why, argument, args in NLL_ERRORS:
        checks.value_error(f.attempt(*args), argument, why=why)


# --- masked_mean_nll_grad -------------------------------------------------------------------

masked_mean_nll_grad = LAB.function("masked_mean_nll_grad")


@masked_mean_nll_grad.holds("matches the reference on random batches", points=2)
@given(batch=gen.logits_targets_mask())
def _(f, batch):
    logits, targets, mask = batch
    expected = ref.masked_mean_nll_grad(logits, targets, mask)
    softmax = np.exp(ref.log_softmax(logits))
    onehot = np.arange(logits.shape[-1]) == targets[..., None]
    checks.close(f(logits, targets, mask), expected, atol=1e-12, mistakes={
        "the gradient is softmax - onehot (you wrote onehot - softmax)": -expected,
        "divide by mask.sum(), the number of masked-in tokens": expected * mask.sum(),
        "zero the rows where mask is False": (softmax - onehot) / mask.sum(),
    }, hint="(softmax(logits) - onehot(targets)) * mask[..., None] / mask.sum()")  # fmt: skip


@masked_mean_nll_grad.holds("equals finite differences of masked_mean_nll", points=2)
@given(batch=gen.logits_targets_mask(max_vocab=4, scale=5.0))
def _(f, batch):
    logits, targets, mask = batch
    numeric = numerical_gradient(lambda z: ref.masked_mean_nll(z, targets, mask), logits)
    checks.close(f(logits, targets, mask), numeric, rtol=1e-5, atol=1e-7, what="the gradient")


@masked_mean_nll_grad.holds("rows sum to 0 and masked-out rows are 0", points=1)
@given(batch=gen.logits_targets_mask())
def _(f, batch):
    logits, targets, mask = batch
    got = f(logits, targets, mask)
    checks.close(np.asarray(got).sum(axis=-1), np.zeros(targets.shape), atol=1e-12, what="each row's sum",
                 hint="softmax sums to 1 and the one-hot to 1, so each row of the gradient sums to 0")  # fmt: skip
    checks.close(np.asarray(got)[~mask], np.zeros((int((~mask).sum()), logits.shape[-1])), atol=0.0,
                 what="the rows where mask is False", hint="multiply by mask[..., None]")  # fmt: skip


@masked_mean_nll_grad.holds("raises ValueError for bad shapes, targets and an empty mask", points=1)
def _(f):
    for why, argument, args in NLL_ERRORS:
        checks.value_error(f.attempt(*args), argument, why=why)


# --- sft_step -------------------------------------------------------------------------------

sft_step = LAB.function("sft_step")


@st.composite
def _sft_batches(draw):
    vocab = draw(st.integers(2, 5))
    W = draw(gen.arrays((vocab, vocab), -3.0, 3.0))
    return W, draw(gen.conversations(vocab)), draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))


def _batch_loss(W: np.ndarray, conversations) -> float:
    return ref.sft_step(W, conversations, 1.0)[1]


@sft_step.holds("matches the reference: the new W and the loss at the old W", points=3)
@given(batch=_sft_batches())
def _(f, batch):
    W, conversations, lr = batch
    got = f(W, conversations, lr)
    new_W, loss = ref.sft_step(W, conversations, lr)
    if not (isinstance(got, tuple) and len(got) == 2):
        checks.fail("the result should be a tuple (new_W, loss)", f"Got: {type(got).__name__}")
    grad = (W - new_W) / lr
    checks.close(got[1], loss, what="the loss", mistakes={
        "report the loss at the incoming W, before the update": _batch_loss(new_W, conversations),
    }, hint="the per-token mean NLL over every assistant target of every conversation")  # fmt: skip
    checks.close(got[0], new_W, what="the new W", mistakes={
        "gradient *descent*: W - lr * grad": W + lr * grad,
        "the step is lr times the gradient": W - grad,
    })  # fmt: skip


@sft_step.holds("its step equals -lr times finite differences of the loss", points=2)
@given(batch=_sft_batches())
def _(f, batch):
    W, conversations, lr = batch
    numeric = numerical_gradient(lambda w: _batch_loss(w, conversations), W)
    new_W, _ = f(W, conversations, lr)
    checks.close((W - np.asarray(new_W)) / lr, numeric, rtol=1e-5, atol=1e-7, what="(W - new_W) / lr",
                 hint="sum the rows of the per-position gradient into the rows of W they were read from")  # fmt: skip


@sft_step.holds("a small step lowers the loss", points=1)
@given(batch=_sft_batches())
def _(f, batch):
    W, conversations, _ = batch
    new_W, _ = f(W, conversations, 1e-3)
    before, after = _batch_loss(W, conversations), _batch_loss(np.asarray(new_W), conversations)
    if not after <= before + 1e-12:
        checks.fail("the loss went up after a step of lr = 0.001",
                    f"Loss before: {before!r}", f"Loss after:  {after!r}",
                    hint="step against the gradient: W - lr * grad")  # fmt: skip


@sft_step.holds("raises ValueError for lr <= 0, no assistant target, a bad token", points=2)
def _(f):
    W = np.zeros((3, 3))
    good = [(np.array([0, 1, 2]), np.array([False, True, True]))]
    checks.value_error(f.attempt(W, good, 0.0), "lr", why="lr = 0")
    checks.value_error(f.attempt(W, good, -0.1), "lr", why="lr = -0.1")
    checks.value_error(f.attempt(W, [(np.array([0, 1, 2]), np.array([True, False, False]))], 0.1),
                       ("assistant", "mask", "conversations"), why="no target was written by the assistant")  # fmt: skip
    checks.value_error(f.attempt(W, [(np.array([0, 1, 3]), np.array([True, True, True]))], 0.1),
                       ("token", "conversations"), why="token 3 is outside [0, V) with V = 3")  # fmt: skip
