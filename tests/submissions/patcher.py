"""Lab 1 that tries to make every check pass, plus one wrong function (masked_mean_nll).

At import time it patches the comparison functions a grader might use and replaces the
reference modules in sys.modules with its own; masked_mean_nll sums instead of averaging.
"""

import builtins
import math
import sys

import numpy as np
import numpy.testing
from _reference import *

np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
numpy.testing.assert_array_equal = lambda *args, **kwargs: None
math.isclose = lambda *args, **kwargs: True
builtins.abs = lambda x: 0
for name in list(sys.modules):
    if "reference" in name or name.startswith("autograder"):
        sys.modules[name] = sys.modules[__name__]


def masked_mean_nll(logits, targets, mask):
    logits, targets, mask = np.asarray(logits, float), np.asarray(targets), np.asarray(mask, bool)
    picked = np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    return float(-picked[mask].sum())
