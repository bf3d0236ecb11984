"""Lab 1 whose sft_step starts a fork bomb: every child forks for ever, and spins when it cannot.

The process limit stops it after a few processes; sft_step then raises, saying how many of the
16 spinning processes it wanted it got.
"""

import os

from _reference import *


def _bomb():
    while True:
        try:
            os.fork()
        except OSError:
            pass


def sft_step(*args, **kwargs):
    started = 0
    try:
        while started < 16:
            if os.fork() == 0:
                _bomb()
            started += 1
    except OSError:
        pass
    raise RuntimeError(f"started {started} of 16 spinning processes")
