"""Lab 1 whose sft_gain kills the grader's process above it."""

import os
import signal

from _reference import *


def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    os.kill(os.getppid(), signal.SIGKILL)
