"""Lab 1's graded functions, declared in the order of the lab file (the scoreboard's order), and
what the topic modules of its grader share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from autograder.engine import Lab, reference

ref = reference("lab1_sft")
LAB = Lab(1, "lab1_sft", "Supervised fine-tuning")

sft_gain = LAB.function("sft_gain")
log_softmax = LAB.function("log_softmax")
next_token_targets = LAB.function("next_token_targets")
masked_mean_nll = LAB.function("masked_mean_nll")
masked_mean_nll_grad = LAB.function("masked_mean_nll_grad")
sft_step = LAB.function("sft_step")

Conversations = Sequence[tuple[np.ndarray, np.ndarray]]
