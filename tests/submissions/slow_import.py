"""Lab 1 that takes 1.5 s to import and whose log_softmax, masked_mean_nll and sft_gain hang:
each time-out restarts the worker, which imports the lab again."""

import time

from _reference import *

time.sleep(1.5)


def log_softmax(logits, axis=-1):
    while True:
        pass


def masked_mean_nll(logits, targets, mask):
    while True:
        pass


def sft_gain(base_scores, mixture, max_gain=40.0, cap=100.0):
    while True:
        pass
