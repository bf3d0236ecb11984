"""Lab 1 whose log_softmax first writes 1 GiB to /tmp (the file-size limit stops it at 64 MiB)."""

from _reference import *
from _reference import log_softmax as _log_softmax

CHUNK = b"\0" * 2**24


def log_softmax(logits, axis=-1):
    with open("/tmp/filler", "wb") as handle:
        for _ in range(64):
            handle.write(CHUNK)
    return _log_softmax(logits, axis)
