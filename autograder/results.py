"""The results files a command line asks for, read before anything else of the grader runs.

`python -m autograder` writes every results file it was asked for in every case, even when its
arguments do not parse or numpy is missing (`autograder.__main__`), so the flags that name them
are found by this one pre-parser, which needs only the standard library.
"""

from __future__ import annotations

from pathlib import Path

KINDS = ("json", "junit", "markdown")
"""The results files, by the name of their flag (`--json PATH` or `--json=PATH`)."""


def requested_outputs(argv: list[str]) -> dict[str, Path]:
    """Results file kind -> path, for every results flag of `argv` (later ones win), even if it does not parse."""
    outputs: dict[str, Path] = {}
    for i, arg in enumerate(argv):
        flag, equals, value = arg.partition("=")
        kind = flag.removeprefix("--")
        if flag.startswith("--") and kind in KINDS and (equals or i + 1 < len(argv)):
            outputs[kind] = Path(value if equals else argv[i + 1])
    return outputs
