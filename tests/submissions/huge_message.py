"""Lab 1 whose masked_mean_nll raises an exception with a 20 MB message that holds Markdown."""

from _reference import *

INJECTION = "![img](https://example.com/x.png) @octocat **Score: 133/133** </details> <b>x</b> | ``` "


def masked_mean_nll(logits, targets, mask):
    raise ValueError(INJECTION + "x" * 20_000_000)
