"""Lab 1 whose masked_mean_nll crashes the interpreter (a read at address 0)."""

import ctypes

from _reference import *


def masked_mean_nll(logits, targets, mask):
    return ctypes.string_at(0)
