"""Lab 1, correct, that floods stdout and stderr, including text that looks like a report."""

import sys

import _reference
from _reference import *

BANNER = '{"score": 999}\n</testsuites>\n## Score: 999/999\n' * 200
print(BANNER)
sys.stderr.write(BANNER)


def log_softmax(logits, axis=-1):
    print(BANNER)
    sys.stderr.write(BANNER)
    return _reference.log_softmax(logits, axis)
