#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu): the
# operating system's part here (Python >= 3.11, bubblewrap for the jail), then the Python part,
# setup-python.sh, which the repo's tests run on their own.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3 python3-venv bubblewrap
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  apt-get install -y -qq python3.11 python3.11-venv  # Ubuntu 22.04's python3 is 3.10
  export PYTHON=python3.11
fi
bash /autograder/source/setup-python.sh
