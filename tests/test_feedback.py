"""Feedback that is true (issue 24): the mistakes a learner tried, each replayed on top of the
reference, get their own hint or the property's generic explanation, never another mistake's
hint, in one full block for the function; and submissions that return nothing meaningful earn
only the points of the contract's errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from autograder.catalogue import CATALOGUES
from autograder.cli import grade_submission
from autograder.labs import LAB_MODULES
from autograder.report import function_feedback
from tests.test_variants import graded_alone
from tests.variants import Variant, submission


def report(lab: str, function: str, source: str, tmp_path: Path) -> tuple[str, int]:
    """The function's report (as the scoreboard shows it) for `source` on top of the reference,
    and the points it lost."""
    variant = Variant(lab, function, "replayed", (textwrap.dedent(source),), False)
    result = graded_alone(variant, tmp_path)
    return "\n".join(function_feedback(result)), result.points - result.earned


def hints_of(lab: str) -> set[str]:
    return {m.hint for m in CATALOGUES[lab].mistakes if m.hint}


def shown_hints(lab: str, text: str) -> set[str]:
    """The catalogue hints of `lab` that the report names."""
    return {h for h in hints_of(lab) if f"Hint: {h}." in text or f"  - {h}" in text}


EXAMPLES = {
    "best_of_n F(v)**n without F(v-)**n": (
        "lab3_rlhf",
        "best_of_n_policy",
        """
        def best_of_n_policy(ref_logits, rewards, n):
            _reference.best_of_n_policy(ref_logits, rewards, n)
            z = np.asarray(ref_logits, dtype=float)
            r = np.asarray(rewards, dtype=float)
            pi = np.exp(z - np.logaddexp.reduce(z))
            out = np.zeros_like(pi)
            for v in np.unique(r):
                level = r == v
                out[level] = pi[level] / pi[level].sum() * np.sum(pi[r <= v]) ** n
            return out
        """,
        "a level gets F(v)**n - F(v-)**n",
    ),
    "pass_at_k with n - c <= k": (
        "lab5_grpo",
        "pass_at_k",
        """
        def pass_at_k(n, c, k):
            _reference.pass_at_k(n, c, k)
            if n - c <= k:
                return 1.0
            return _reference.pass_at_k(n, c, k)
        """,
        None,
    ),
    "grpo_objective with 'sequence' and 'token' swapped": (
        "lab5_grpo",
        "grpo_objective",
        """
        def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
            swap = {"token": "sequence", "sequence": "token"}.get(aggregation, aggregation)
            _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
            return _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, swap)
        """,
        None,
    ),
    "grpo_objective_grad with the sign flipped": (
        "lab5_grpo",
        "grpo_objective_grad",
        """
        def grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
            return -_reference.grpo_objective_grad(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
        """,
        "check the sign",
    ),
    "kl_loss_gradient: the true KL gradient for k1": (
        "lab3_rlhf",
        "kl_loss_gradient",
        """
        def kl_loss_gradient(logits, ref_logits, estimator):
            held = _reference.kl_loss_gradient(logits, ref_logits, estimator)
            if estimator != "k1":
                return held
            z, z_ref = np.asarray(logits, float), np.asarray(ref_logits, float)
            log_pi, log_ref = z - np.logaddexp.reduce(z), z_ref - np.logaddexp.reduce(z_ref)
            pi = np.exp(log_pi)
            d = log_pi - log_ref
            return pi * (d - pi @ d)
        """,
        None,
    ),
    "group_advantages normalised along axis 0": (
        "lab5_grpo",
        "group_advantages",
        """
        def group_advantages(rewards, normalize_std=True, eps=1e-6):
            _reference.group_advantages(rewards, normalize_std, eps)
            r = np.asarray(rewards, dtype=float)
            centred = r - r.mean(axis=0, keepdims=True)
            if not normalize_std:
                return centred
            with np.errstate(divide="ignore", invalid="ignore"):
                return centred / (r.std(axis=0, ddof=1, keepdims=True) + eps)
        """,
        None,
    ),
}


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_tried_mistake_gets_its_hint_or_the_explanation_in_one_block(name, tmp_path):
    lab, function, source, own = EXAMPLES[name]
    text, lost = report(lab, function, source, tmp_path)
    assert lost > 0, text
    assert text.count("Problem:") == 1, text
    shown = shown_hints(lab, text)
    if own is None:
        assert not shown, text
    else:
        assert own in text, text
        assert all(own in h for h in shown), text
    assert len([line for line in text.splitlines() if "Hint:" in line]) <= 1, text


def test_relations_label_both_values_as_the_learners(tmp_path):
    text, _ = report(
        "lab5_grpo",
        "grpo_objective",
        """
        def grpo_objective(logp_new, logp_old, advantages, mask, clip_eps=0.2, aggregation="token"):
            _reference.grpo_objective(logp_new, logp_old, advantages, mask, clip_eps, aggregation)
            full = np.ones_like(np.asarray(mask, dtype=bool))
            return _reference.grpo_objective(logp_new, logp_old, advantages, full, clip_eps, aggregation)
        """,
        tmp_path,
    )
    assert "Expected (0.0 on the padding)" not in text


@pytest.mark.parametrize("kind", ["zeros", "constant", "echo"])
def test_degenerate_submissions_earn_only_the_error_points(kind, tmp_path):
    folder = degenerate_submission(kind, tmp_path)
    results = grade_submission(folder, list(LAB_MODULES), 2.0, jobs=2)
    earned = [
        f"{fn.function_id}: {p.description}"
        for lab in results
        for fn in lab.functions
        for p in fn.properties
        if p.passed and not p.description.startswith("raises ValueError")
    ]
    assert not earned, "\n".join(earned)


DEGENERATE = {
    "zeros": "0.0",
    "constant": "0.5",
}


def degenerate_submission(kind: str, folder: Path) -> Path:
    """Every lab function validates its input like the reference, then returns zeros, a constant
    or its first argument, in the reference's structure (dict keys, tuple, array shape)."""
    if kind == "echo":
        body = "def _wrap(name):\n    def f(*args, **kwargs):\n        getattr(_reference, name)(*args, **kwargs)\n        return args[0] if args else next(iter(kwargs.values()))\n    return f\n"
    else:
        fill = DEGENERATE[kind]
        body = (
            "def _like(v):\n"
            f"    if isinstance(v, dict):\n        return {{k: {fill} for k in v}}\n"
            "    if isinstance(v, tuple):\n        return tuple(_like(x) for x in v)\n"
            f"    if isinstance(v, np.ndarray):\n        return np.full_like(v, {fill})\n"
            f"    return {fill}\n\n\n"
            "def _wrap(name):\n    def f(*args, **kwargs):\n        return _like(getattr(_reference, name)(*args, **kwargs))\n    return f\n"
        )
    from autograder.labs import load_lab

    for number, lab in LAB_MODULES.items():
        names = [g.name for g in load_lab(number).functions]
        source = body + "\n\n" + "".join(f"{n} = _wrap({n!r})\n" for n in names)
        submission(Variant(lab, "*", kind, (source,), True), folder)
    return folder


def test_one_block_by_default_every_block_with_verbose_and_a_hint_once():
    from autograder.engine import FunctionResult, PropertyResult

    hint = ["Problem: wrong.", "Hint: you doubled it."]
    result = FunctionResult(
        "lab.f",
        [
            PropertyResult("lab.f", "matches the reference", 2, False, ["Problem: wrong."]),
            PropertyResult("lab.f", "is shift invariant", 1, False, hint, ["you doubled it"]),
            PropertyResult("lab.f", "scales", 1, False, hint, ["you doubled it"]),
        ],
    )
    short = "\n".join(function_feedback(result))
    assert short.count("Problem:") == 1 and short.count("Hint:") == 1
    assert short.index("is shift invariant") < short.index("Problem:") < short.index("scales")
    assert "2 more failing properties" in short
    verbose = "\n".join(function_feedback(result, verbose=True))
    assert verbose.count("Problem:") == 3 and verbose.count("Hint:") == 1
