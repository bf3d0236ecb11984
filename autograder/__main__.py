"""`python -m autograder`: grade a submission (see `autograder.cli`)."""

import sys

from autograder.cli import main

if __name__ == "__main__":  # not when a spawned grader process imports it
    sys.exit(main())
