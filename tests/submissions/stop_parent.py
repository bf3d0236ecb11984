"""Lab 1 whose next_token_targets stops the grader's process above it (SIGSTOP cannot be caught)."""

import os
import signal

import _reference
from _reference import *


def next_token_targets(tokens, assistant_mask):
    os.kill(os.getppid(), signal.SIGSTOP)
    return _reference.next_token_targets(tokens, assistant_mask)
