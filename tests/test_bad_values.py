"""The grader never trusts a value it did not make (grading.md, "Untrusted learner code").

Whatever a learner's function returns — `None` from a forgotten `return`, strings, an int too
large for a float, a list nested 1,000 deep, a tuple of the wrong length, a dict of strings, an
array too large to carry or to print — the run completes, every results file is written, and
only the functions that returned it lose points, each with a property failure that says what
came back (never an internal error)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autograder.cli import main
from autograder.labs import LAB_MODULES, available_labs, load_lab

ROOT = Path(__file__).resolve().parent.parent

BAD_VALUES = {
    "None": "None",
    "a string": "'x'",
    "10**400": "10**400",
    "a list nested 1000 deep": "_nested(1000)",
    "a tuple of the wrong length": "(np.zeros(2), 1.0, 'extra')",
    "a dict of strings": "{'a': 'b', 'c': 'd'}",
    "nan in a list of lists": "[[float('nan')] * 3] * 2",
}
HEADER = """import numpy as np


def _nested(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


"""


def returning(value: str, names: list[str]) -> str:
    """Source in which every function in `names` returns `value`, whatever its arguments."""
    return HEADER + "".join(f"def {name}(*args, **kwargs):\n    return {value}\n\n\n" for name in names)


def grade(folder: Path, tmp_path: Path, *args: str) -> tuple[int, dict, dict[str, str]]:
    outputs = {kind: tmp_path / f"out.{kind}" for kind in ("json", "junit", "markdown")}
    status = main(["--submission", str(folder), "--timeout", "2",
                   *(a for kind, path in outputs.items() for a in (f"--{kind}", str(path))), *args])  # fmt: skip
    texts = {kind: path.read_text(encoding="utf-8") for kind, path in outputs.items()}
    return status, json.loads(texts["json"]), texts


@pytest.mark.parametrize("value", list(BAD_VALUES), ids=list(BAD_VALUES))
def test_every_function_returning_a_bad_value_fails_its_properties_cleanly(value, tmp_path):
    folder = tmp_path / "sub"
    folder.mkdir()
    for number in available_labs():
        names = [g.name for g in load_lab(number).functions]
        (folder / f"{LAB_MODULES[number]}.py").write_text(returning(BAD_VALUES[value], names))
    status, report, texts = grade(folder, tmp_path)
    assert status == 1
    assert report["score"] == 0 and report["max_score"] == sum(load_lab(n).points for n in available_labs())
    for test in report["tests"]:
        assert test["output"], test["name"]
        assert "internal error" not in test["output"] and "Traceback" not in test["output"], test
    assert texts["markdown"].startswith("## Score: 0/") and texts["junit"].startswith("<?xml")


def test_a_forgotten_return_costs_only_that_function(tmp_path):
    """In each lab one function returns None (sft_step and rlhf_capability_step, as in the
    issue: they used to crash the whole run); the others are the reference."""
    forgetful = {
        1: "sft_step",
        2: "preference_loss",
        3: "rlhf_capability_step",
        4: "dpo_gradient",
        5: "pass_at_k",
        6: "majority_vote_accuracy",
    }
    folder = tmp_path / "sub"
    folder.mkdir()
    for helper in ("labkit.py", "sft_corpus.py", "preference_kit.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    for number in available_labs():
        module = LAB_MODULES[number]
        shutil.copy(ROOT / "solutions" / f"{module}.py", folder / f"_reference_{module}.py")
        (folder / f"{module}.py").write_text(
            f"from _reference_{module} import *\n\n\ndef {forgetful[number]}(*args, **kwargs):\n    pass\n"
        )
    status, report, _ = grade(folder, tmp_path)
    losing = {t["name"].split(":")[0] for t in report["tests"] if t["status"] != "passed"}
    expected = {f"{LAB_MODULES[n]}.{forgetful[n]}" for n in available_labs()}
    assert status == 1 and losing == expected
    sft_step = [t["output"] for t in report["tests"] if t["name"].startswith("lab1_sft.sft_step:")]
    assert any("returned None" in text and "return" in text for text in sft_step), sft_step


def test_huge_return_values_cost_little_and_only_their_function(tmp_path):
    """A 128 MiB bool array (over the reply limit) and a 48 MiB one (under it): the grader
    neither runs out of memory nor spends long formatting them."""
    folder = tmp_path / "sub"
    folder.mkdir()
    for helper in ("labkit.py", "sft_corpus.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    shutil.copy(ROOT / "solutions" / "lab1_sft.py", folder / "_reference.py")
    (folder / "lab1_sft.py").write_text(
        "import numpy as np\nfrom _reference import *\n\n\n"
        "def log_softmax(logits, axis=-1):\n    return np.ones(128 * 2**20, dtype=bool)\n\n\n"
        "def masked_mean_nll_grad(logits, targets, mask):\n    return np.ones(48 * 2**20, dtype=bool)\n"
    )
    status, report, texts = grade(folder, tmp_path, "--lab", "1")
    assert status == 1
    losing = {t["name"].split(":")[0] for t in report["tests"] if t["status"] != "passed"}
    assert losing == {"lab1_sft.log_softmax", "lab1_sft.masked_mean_nll_grad"}
    assert len(texts["json"]) < 200_000
