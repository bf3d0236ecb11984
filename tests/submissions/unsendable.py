"""Lab 1 whose log_softmax returns an object the grader cannot carry back."""

from _reference import *


class Sneaky:
    def __eq__(self, other):
        return True


def log_softmax(logits, axis=-1):
    return Sneaky()
