"""Lab 1 whose masked_mean_nll first touches 2 GiB of memory (the address-space limit stops it)."""

import numpy as np
from _reference import *
from _reference import masked_mean_nll as _masked_mean_nll


def masked_mean_nll(logits, targets, mask):
    np.ones(2**28).sum()  # 2 GiB of float64, written then read
    return _masked_mean_nll(logits, targets, mask)
