"""Lab 1, correct, that at import appends to files the grader imports later.

It targets numpy's `numpy/random/_pickle.py` and the grader's `autograder/labs/lab4_dpo/loss.py`
(found from the worker's own module): with only process isolation the change lands, persists,
and runs inside the grader. In the jail numpy is read-only and the grader's labs are not there.
"""

import sys
from pathlib import Path

import numpy
from _reference import *

TARGETS = [
    Path(numpy.__file__).parent / "random" / "_pickle.py",
    Path(sys.modules["autograder._worker"].__file__).parent / "labs" / "lab4_dpo" / "loss.py",
]
for target in TARGETS:
    try:
        with open(target, "a") as handle:
            handle.write("\n# appended by a learner's lab1_sft.py\n")
    except OSError:
        pass
