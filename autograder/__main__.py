"""`python -m autograder`: grade a submission (see `autograder.cli`)."""

import os
import signal
import sys

# The grader's arrays are tiny: one BLAS thread each, so that graders running in parallel do
# not oversubscribe the CPUs (set before numpy is imported).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from autograder.cli import main  # noqa: E402


def _terminated(*_: object) -> None:
    raise KeyboardInterrupt  # stop as on Ctrl-C: the learner's processes end, results files are written


if __name__ == "__main__":  # not when a spawned grader process imports it
    signal.signal(signal.SIGTERM, _terminated)
    sys.exit(main())
