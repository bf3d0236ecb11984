"""Lab 1 whose sft_gain calls sys.exit and whose sft_step raises KeyboardInterrupt."""

import sys

from _reference import *


def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    sys.exit(0)


def sft_step(W, conversations, lr):
    raise KeyboardInterrupt
