"""The assertion helpers the graders share: what passes, what fails, and what the learner is told."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis.extra import numpy as hnp

from autograder import checks
from autograder import strategies as gen
from autograder.catalogue import FLOAT32, structural
from autograder.checks import PropertyFailed
from autograder.outcome import Outcome
from autograder.sandbox import InProcessModule


def failure(check: Callable[..., Any], *args: Any, **kwargs: Any) -> PropertyFailed:
    """The `PropertyFailed` that `check(*args, **kwargs)` raises."""
    with pytest.raises(PropertyFailed) as caught:
        check(*args, **kwargs)
    return caught.value


def outcome_of(function: Callable[..., Any], *args: Any) -> Outcome:
    """The `Outcome` of calling `function` as the engine calls a learner's function."""
    return InProcessModule({"function": function}).call("function", args, {})


def report(failed: PropertyFailed) -> str:
    return "\n".join([failed.summary, *failed.details, failed.hint])


# --- close ----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(x=gen.arrays(gen.shapes(min_dims=0)))
def test_close_accepts_the_expected_value_and_tiny_relative_errors(x):
    checks.close(x.copy(), x)
    checks.close(x * (1 + 1e-9), x)


def test_close_reports_the_type_before_the_values():
    assert (
        failure(checks.close, [1.0, 2.0], np.array([1.0, 2.0])).summary
        == "the result should be a numpy array"
    )
    assert failure(checks.close, np.zeros(3), np.zeros(2)).summary == "the result has the wrong shape"
    assert (
        failure(checks.close, np.zeros(2, dtype=int), np.zeros(2)).summary == "the result has the wrong dtype"
    )
    assert failure(checks.close, np.array([1.0]), 1.0).summary == "the result should be a float"


def test_close_shows_expected_got_and_the_largest_difference():
    failed = failure(checks.close, np.array([1.0, 2.5]), np.array([1.0, 2.0]), what="the loss")
    assert failed.summary == "the loss has wrong values"
    text = report(failed)
    assert "1 of 2 entries differ" in text and "Largest difference: 0.5 at [1]" in text


def test_a_mistake_is_named_only_when_the_value_matches_it():
    mistakes = {"you doubled it": np.array([2.0, 4.0])}
    doubled = failure(
        checks.close, np.array([2.0, 4.0]), np.array([1.0, 2.0]), mistakes=mistakes, hint="other"
    )
    assert doubled.matched == ["you doubled it"]
    other = failure(checks.close, np.array([3.0, 4.0]), np.array([1.0, 2.0]), mistakes=mistakes, hint="other")
    assert other.matched == [] and other.hint == "other" and not other.proven


def test_the_two_sides_are_named_when_both_are_the_learners_calls():
    sides = {"got_from": "log_softmax(x + c)", "expected_from": "log_softmax(x)"}
    shifted = failure(checks.close, np.array([1.0, 2.5]), np.array([1.0, 2.0]), **sides).details
    assert shifted[0] == "Expected (log_softmax(x)): float64 array of shape (2,)"
    assert shifted[2] == "Got (log_softmax(x + c)):  float64 array of shape (2,)"
    scalar = failure(checks.close, 2.5, 2.0, **sides).details
    assert scalar[:2] == ["Expected (log_softmax(x)): 2.0", "Got (log_softmax(x + c)):  2.5"]
    shape = failure(checks.close, np.zeros(3), np.zeros(2), **sides).details
    assert shape[0].startswith("Expected (log_softmax(x)): ") and shape[1].startswith(
        "Got (log_softmax(x + c)): "
    )
    exact = failure(checks.equal, np.array([1, 3]), np.array([1, 2]), **sides).details
    assert exact == [
        "Expected (log_softmax(x)): np.array([1, 2])",
        "Got (log_softmax(x + c)):  np.array([1, 3])",
    ]


def test_unnamed_sides_read_as_before():
    assert failure(checks.close, 2.5, 2.0).details[:2] == ["Expected: 2.0", "Got:      2.5"]
    assert failure(checks.equal, "b", "a").details == ["Expected: 'a'", "Got:      'b'"]


def test_infinities_must_match_and_nan_never_does():
    checks.close(np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]))
    failure(checks.close, np.array([np.inf]), np.array([-np.inf]))
    failure(checks.close, np.array([np.nan]), np.array([np.nan]))
    failure(checks.close, float("nan"), 1.0)


# --- type checks before arithmetic ----------------------------------------------------------


@pytest.mark.parametrize("value", [1, 2.5, np.float64(3.0), np.int32(4), np.array(5.0)])
def test_as_float_accepts_real_numbers(value):
    assert checks.as_float(value) == float(value) and type(checks.as_float(value)) is float


@pytest.mark.parametrize("value", [True, np.bool_(False), np.array([1.0]), "1.0", None, (1.0,)])
def test_as_float_refuses_everything_else(value):
    assert failure(checks.as_float, value, "the loss").summary == "the loss should be a float"


def test_as_array_returns_float64_of_the_shape_or_fails():
    got = checks.as_array(np.ones(3, dtype=np.float32), (3,))
    assert got.dtype == np.float64
    assert failure(checks.as_array, np.ones(2), (3,), "w").summary == "w has the wrong shape"
    assert failure(checks.as_array, np.ones(3, dtype=int), (3,), "w").summary == "w has the wrong dtype"


def test_as_probabilities_needs_non_negative_entries_summing_to_one():
    checks.as_probabilities(np.array([0.25, 0.75]), 2)
    assert "not a probability vector" in failure(checks.as_probabilities, np.array([0.5, 0.6]), 2).summary
    assert "not a probability vector" in failure(checks.as_probabilities, np.array([-0.5, 1.5]), 2).summary
    assert "nan or inf" in failure(checks.as_probabilities, np.array([np.nan, 1.0]), 2).summary


# --- equal, finite, warnings ----------------------------------------------------------------


def test_equal_compares_shape_dtype_kind_and_values():
    checks.equal(np.array([1, 2]), np.array([1, 2]))
    assert "wrong dtype" in failure(checks.equal, np.array([1.0, 2.0]), np.array([1, 2])).summary
    assert "wrong values" in failure(checks.equal, np.array([1, 3]), np.array([1, 2])).summary
    assert "is wrong" in failure(checks.equal, ["b", "a"], ["a", "b"]).summary


def test_finite_and_no_warnings():
    checks.finite(np.array([1.0, -2.0]))
    assert "nan or inf" in failure(checks.finite, np.array([1.0, np.inf]), hint="h").summary

    def overflows(x):
        return np.exp(x)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        failed = failure(checks.no_warnings, outcome_of(overflows, np.array([1000.0])), hint="h")
    assert "overflow" in report(failed) and failed.hint == "h"
    checks.no_warnings(outcome_of(overflows, np.array([1.0])))


# --- value_error ----------------------------------------------------------------------------


def validates(lr):
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}")
    return lr


def test_value_error_passes_when_the_message_names_the_argument():
    checks.value_error(outcome_of(validates, 0.0), "lr", why="lr = 0")
    checks.value_error(outcome_of(validates, 0.0), ("rate", "LR"), why="lr = 0")  # any name, any case


def test_value_error_names_each_way_to_get_it_wrong():
    assert failure(checks.value_error, outcome_of(validates, 1.0), "lr", why="lr = 1").summary.startswith(
        "no ValueError although lr = 1"
    )
    assert (
        "instead of ValueError"
        in failure(checks.value_error, outcome_of(lambda lr: 1 / 0, 0.0), "lr", why="lr = 0").summary
    )
    assert (
        "does not name the argument"
        in failure(checks.value_error, outcome_of(validates, 0.0), "beta", why="beta = 0").summary
    )


# --- dicts and float32 ----------------------------------------------------------------------


def test_close_dict_shows_dicts_not_arrays():
    expected = {"coding": 53.0, "math": 46.0}
    checks.close_dict({"coding": 53.0, "math": 46.0 + 1e-12}, expected)
    failed = failure(checks.close_dict, {"coding": 53.0, "math": 40.0}, expected, what="the scores")
    assert failed.summary == "the scores have wrong values"
    assert "{'coding': 53.0, 'math': 46.0}" in report(failed) and "'math': expected 46.0, got 40.0" in report(
        failed
    )
    assert "array" not in report(failed)


def test_close_dict_checks_type_keys_and_values_in_that_order():
    expected = {"a": 1.0, "b": 2.0}
    assert failure(checks.close_dict, np.array([1.0, 2.0]), expected).summary == "the result should be a dict"
    assert "keys" in failure(checks.close_dict, {"b": 2.0, "a": 1.0}, expected, keys_hint="k").summary
    assert "should be a float" in failure(checks.close_dict, {"a": 1.0, "b": "2"}, expected).summary
    mistaken = failure(
        checks.close_dict, {"a": 2.0, "b": 4.0}, expected, mistakes={"doubled": {"a": 2.0, "b": 4.0}}
    )
    assert mistaken.matched == ["doubled"]


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, 5, elements=gen.floats(-20.0, 20.0)))
def test_structural_diagnoses_are_proven_by_the_two_values(x):
    assume(np.any(np.abs(x) > 1e-3))
    assert len(structural(-x, x, 1e-9, 1e-12)) == 1 and "sign" in structural(-x, x, 1e-9, 1e-12)[0]
    rounded = x.astype(np.float32).astype(np.float64)
    if not checks.matches(rounded, x, 1e-12, 1e-12):
        assert structural(rounded, x, 1e-12, 1e-15) == [FLOAT32]
    assert "constant" in structural(x + 0.5, x, 1e-9, 1e-12)[0]
    assert structural(x + np.arange(5.0) * x[np.argmax(np.abs(x))], x, 1e-9, 1e-12) == []


def test_a_relation_labels_both_values_as_the_learners_and_says_what_it_needs():
    sides = {"got_from": "f(x + c)", "expected_from": "f(x)", "relation": "the two equal"}
    details = failure(checks.close, np.array([1.0, 2.5]), np.array([1.0, 2.0]), **sides).details
    assert details[0] == "Yours (f(x)):     float64 array of shape (2,)"
    assert details[2] == "Yours (f(x + c)): float64 array of shape (2,)"
    assert "The property needs: the two equal" in details and not any("Expected" in d for d in details)


def test_array_comparisons_print_their_tolerance_and_agree_in_number():
    got, expected = np.array([1.0, 2.5]), np.array([1.0, 2.0])
    failed = failure(checks.close, got, expected, rtol=1e-6, atol=1e-8, what="the advantages")
    assert failed.summary == "the advantages have wrong values"
    assert (
        "Allowed: |got - expected| <= atol + rtol * |expected| with atol = 1e-08, rtol = 1e-06"
        in failed.details
    )
    assert checks.has("the loss") == "the loss has" and checks.has("kl(p, q)") == "kl(p, q) has"
