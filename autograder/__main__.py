"""`python -m autograder`: grade a submission (see `autograder.cli`)."""

import os
import sys

# The grader's arrays are tiny: one BLAS thread each, so that graders running in parallel do
# not oversubscribe the CPUs (set before numpy is imported).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from autograder.cli import main  # noqa: E402

if __name__ == "__main__":  # not when a spawned grader process imports it
    sys.exit(main())
