"""`python -m autograder`: grade a submission (see `autograder.cli`)."""

import importlib.util
import json
import os
import signal
import sys

from autograder.results import requested_outputs


def _without_packages(missing: list[str], argv: list[str]) -> int:
    """Say which packages are missing in one line, leave the results files asked for, return 2.

    The README's set-up installs only nox, so `python -m autograder` may run in a Python without
    numpy: that is a broken install (exit 2), reported without a traceback and without numpy.
    """
    problem = (
        f"{' and '.join(missing)} not installed in this Python. Grade through nox, which installs the "
        "pinned packages (`python -m nox -s grade -- --help`), or install them here "
        "(`python -m pip install -r requirements/grade.txt`)."
    )
    print(f"python -m autograder: {problem}", file=sys.stderr)
    documents = {
        "json": json.dumps({"score": 0, "max_score": 0, "execution_time": 0, "output": problem, "tests": []}),
        "junit": '<?xml version="1.0"?>\n<testsuites name="autograder" />',
        "markdown": f"## The grader could not run\n\n{problem}",
    }
    for kind, path in requested_outputs(argv).items():
        path.write_text(documents[kind] + "\n", encoding="utf-8")
    return 2


_missing = [name for name in ("numpy", "hypothesis") if importlib.util.find_spec(name) is None]
if _missing and __name__ == "__main__":
    sys.exit(_without_packages(_missing, sys.argv[1:]))

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
