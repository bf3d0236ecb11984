"""Lab 1 whose log_softmax is correct but spends about 1.3 s of CPU time on its first call
(under the 2 s limit): its verdict must not depend on what else runs on the machine."""

import time

from _reference import *
from _reference import log_softmax as _log_softmax

_warmed_up = []


def log_softmax(logits, axis=-1):
    if not _warmed_up:
        started = time.process_time()
        while time.process_time() - started < 1.3:
            pass
        _warmed_up.append(True)
    return _log_softmax(logits, axis)
