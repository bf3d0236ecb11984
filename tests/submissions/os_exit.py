"""Lab 1 whose next_token_targets ends the process with os._exit(0)."""

import os

from _reference import *


def next_token_targets(tokens, assistant_mask):
    os._exit(0)
