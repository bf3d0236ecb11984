"""When a function fails because another of the learner's own functions it calls is wrong, the
report names that function (grading.md, "What the learner sees"; issue 17, item 5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from autograder.cli import main

ROOT = Path(__file__).resolve().parent.parent
WRONG_TARGETS = """

def next_token_targets(tokens, assistant_mask):  # off by one: the mask of the inputs
    tokens, assistant_mask = np.asarray(tokens), np.asarray(assistant_mask, dtype=bool)
    if tokens.shape != assistant_mask.shape or len(tokens) < 2:
        raise ValueError("tokens and assistant_mask must have the same length >= 2")
    return tokens[:-1], tokens[1:], assistant_mask[:-1]
"""
RAISING_LOG_SOFTMAX = """

def log_softmax(logits, axis=-1):  # refuses 2-D input, which is valid
    logits = np.asarray(logits, dtype=float)
    if logits.ndim > 1:
        raise ValueError("only vectors are supported")
    return logits - logits.max() - np.log(np.exp(logits - logits.max()).sum())
"""


def grade_lab1_with(addition: str, tmp_path: Path) -> dict[str, list[str]]:
    """The reference lab 1 with one function replaced (defined after it, in the same module, so
    that the reference's other functions call the replacement); each function's failing outputs."""
    folder = tmp_path / "sub"
    folder.mkdir()
    for helper in ("labkit.py", "sft_corpus.py"):
        shutil.copy(ROOT / "solutions" / helper, folder / helper)
    text = (ROOT / "solutions" / "lab1_sft.py").read_text()
    head, sep, tail = text.partition('\nif __name__ == "__main__":')
    (folder / "lab1_sft.py").write_text(head + addition + "\n" + sep + tail)
    main(["--submission", str(folder), "--lab", "1", "--json", str(tmp_path / "r.json")])
    failing: dict[str, list[str]] = {}
    for test in json.loads((tmp_path / "r.json").read_text())["tests"]:
        if test["status"] != "passed":
            failing.setdefault(test["name"].split(":")[0].split(".")[1], []).append(test["output"])
    return failing


def test_a_wrong_helper_is_named_as_the_cause(tmp_path):
    failing = grade_lab1_with(WRONG_TARGETS, tmp_path)
    assert set(failing) == {"next_token_targets", "sft_step"}
    assert any(
        "sft_step calls your next_token_targets, which fails its own properties" in text
        for text in failing["sft_step"]
    )


def test_an_exception_raised_by_a_helper_is_traced_to_it(tmp_path):
    failing = grade_lab1_with(RAISING_LOG_SOFTMAX, tmp_path)
    assert {"log_softmax", "sft_step"} <= set(failing)
    assert any(
        "The ValueError came from your log_softmax, called by sft_step" in text
        for text in failing["sft_step"]
    )
