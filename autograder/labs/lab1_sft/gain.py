"""Lab 1, `sft_gain`: the seed's SFT table, the mixture-weighted gain and its cap."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from autograder import checks
from autograder import strategies as gen
from autograder.engine import Invalid
from autograder.labs.lab1_sft.lab import (
    ref,
    sft_gain,
)

# The seed's SFT table: its base scores and mixture (the reference's demo constants) give these.
SEED_TABLE = {"coding": 53.0, "math": 46.0, "creative": 66.0, "reasoning": 47.0, "safety": 28.0}

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
    {d: base[d] + mixture.get(d, 0.0) * max_gain for d in base}
    checks.close_dict(
        f(base, mixture, max_gain=max_gain, cap=cap),
        ref.sft_gain(base, mixture, max_gain=max_gain, cap=cap),
        what="the scores after SFT",
        keys_hint=IN_ORDER,
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
