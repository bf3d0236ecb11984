"""Lab 1 with an infinite loop in log_softmax: only log_softmax may lose points."""

from _reference import *


def log_softmax(logits, axis=-1):
    while True:
        pass
