"""Time limits (grading.md, "Untrusted learner code"): a correct but slow method keeps full
marks where the contract admits it, and a time-out says which limit, how to raise it and what
is faster."""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder.engine import LearnerFunction, grade_function
from autograder.labs import load_lab
from autograder.sandbox import IsolatedModule

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def test_gradient_descent_with_a_fixed_small_step_keeps_full_marks(tmp_path):
    """Seconds a call on the seed's consistent labels (above the default 2 s limit): the 30 s
    that fit_reward_model is declared with let it finish."""
    for helper in ("labkit.py", "preference_kit.py"):
        shutil.copy(ROOT / "solutions" / helper, tmp_path / helper)
    shutil.copy(ROOT / "solutions" / "lab2_reward.py", tmp_path / "_reference.py")
    shutil.copy(SUBMISSIONS / "slow_gradient_descent.py", tmp_path / "lab2_reward.py")
    graded = next(g for g in load_lab(2).functions if g.name == "fit_reward_model")
    assert graded.time_limit is not None and graded.time_limit >= 30
    worker = IsolatedModule(tmp_path, "lab2_reward", 2.0)
    try:
        result = grade_function(graded, worker)
    finally:
        worker.close()
    assert result.earned == result.points, [p.feedback for p in result.properties if not p.passed]


def test_a_time_out_names_the_limit_the_option_and_the_faster_method():
    graded = next(g for g in load_lab(2).functions if g.name == "fit_reward_model")
    f = LearnerFunction(IsolatedModule(ROOT, "x"), graded.name, [], graded.time_limit, graded.faster)
    message = f._timeout_message(30.0)
    assert "30 s" in message and "--timeout" in message and "Newton" in message
