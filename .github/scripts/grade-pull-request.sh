#!/usr/bin/env bash
# Grade a pull request's learner files with this checkout's (trusted) grader.
#
#   grade-pull-request.sh HEAD_CHECKOUT RESULTS_DIR [GRADER_OPTION...]
#
# Options after the two folders go to the grader. The jail is required (--isolation jail) unless
# they say otherwise (--isolation process): a runner may grade many pull requests.
# Only the regular files HEAD_CHECKOUT/exercises/*.py are taken from the pull request (no
# symlinks, no subfolders); the grader, the reference solutions and the pins come from the
# tree this script lives in. Used by .github/workflows/grade.yml and by tests/test_pr_grading.py.
set -euo pipefail
trusted=$(cd "$(dirname "$0")/../.." && pwd)
head_exercises="$1/exercises"
results=$(mkdir -p "$2" && cd "$2" && pwd)
submission=$(mktemp -d)
trap 'rm -rf "$submission"' EXIT

if [ -d "$head_exercises" ]; then
  find "$head_exercises" -maxdepth 1 -type f -name '*.py' -exec cp {} "$submission/" \;
fi

cd "$trusted"
status=0
# Learner text (exception messages) reaches this step's log: between these two lines the runner
# executes no workflow command (::error, ::add-mask::, ...), and the token that ends the pause is
# drawn after the learner's files were written, so they cannot hold it.
token=$(python -c 'import secrets; print(secrets.token_hex(16))')
echo "::stop-commands::$token"
# The runner's command files (GITHUB_ENV, GITHUB_STEP_SUMMARY, ...) stay out of reach of learner
# code, which could read them from the grader's environment: the grader does not get them.
env -u GITHUB_ENV -u GITHUB_STEP_SUMMARY -u GITHUB_OUTPUT -u GITHUB_PATH -u GITHUB_STATE \
  python -E -s -m autograder --submission "$submission" --fail-under 0 \
  --json "$results/results.json" --junit "$results/junit.xml" \
  --isolation jail "${@:3}" || status=$?
echo "::$token::"
# 0 and 1 are grades (the score is in the results); 2, or no results, means the grader did not run.
[ "$status" -le 1 ] && [ -s "$results/results.json" ]
