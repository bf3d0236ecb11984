"""Lab 1 whose masked_mean_nll_grad copies the reference solution from the repository.

It looks for `solutions/lab1_sft.py` in the grader's checkout (found from the worker's own
module) and returns the reference's answer when it finds one. In the jail there is nothing of
the repository but the worker's own files, so it raises and names what it could see.
"""

import os
import sys
from pathlib import Path

from _reference import *

PACKAGE = Path(sys.modules["autograder._worker"].__file__).parent


def masked_mean_nll_grad(logits, targets, mask):
    namespace = {"__name__": "stolen"}
    try:
        exec((PACKAGE.parent / "solutions" / "lab1_sft.py").read_text(), namespace)
    except OSError as error:
        raise FileNotFoundError(
            f"nothing to steal ({error}); autograder/ holds {sorted(os.listdir(PACKAGE))}"
        )
    return namespace["masked_mean_nll_grad"](logits, targets, mask)
