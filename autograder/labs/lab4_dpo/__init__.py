"""Graded properties of Lab 4: direct preference optimisation (`exercises/lab4_dpo.py`).

`lab` declares the graded functions in the order of the lab file and holds what the topic
modules share; each topic module adds its functions' properties: `loss` (`dpo_loss`,
`implicit_reward`), `gradient` (`dpo_gradient`), `family` (`dpo_family_loss`,
`dpo_family_loss_grad`) and `reference_free` (`simpo_loss`, `kto_loss`). The mistakes the
properties name are declared once, in `catalogue`.
"""

from __future__ import annotations

from autograder.labs.lab4_dpo import family, gradient, loss, reference_free  # noqa: F401  (registers the properties)
from autograder.labs.lab4_dpo.lab import LAB

__all__ = ["LAB"]
