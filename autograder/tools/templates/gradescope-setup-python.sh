#!/usr/bin/env bash
# The Python part of setup.sh: a virtualenv with the exact pins of grading, in
# $AUTOGRADER_ROOT/venv (default /autograder, where Gradescope lays out its folders).
set -euo pipefail
root="${AUTOGRADER_ROOT:-/autograder}"
"${PYTHON:-python3}" -m venv "$root/venv"
"$root/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/source/requirements/grade.txt"
