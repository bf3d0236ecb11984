"""`python -m autograder`: grade a submission (see `autograder.cli`)."""

import sys

from autograder.cli import main

sys.exit(main())
