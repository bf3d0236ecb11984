#!/usr/bin/env bash
# Grade a pull request's learner files with this checkout's (trusted) grader.
#
#   grade-pull-request.sh HEAD_CHECKOUT RESULTS_DIR [GRADER_OPTION...]
#
# Options after the two folders go to the grader. The jail is required (--isolation jail) unless
# they say otherwise (--isolation process): a runner may grade many pull requests.
# Only lab files under HEAD_CHECKOUT/exercises/ are taken from the pull request, found by the
# course's file-finding rule (autograder/tools/finding.py: regular files named like a lab, in
# exercises/ or one level of subfolders; it prints which file was graded when there was a
# choice); the provided helpers, the grader, the reference solutions and the pins come from the
# tree this script lives in. Used by .github/workflows/grade.yml and by tests/test_pr_grading.py.
set -euo pipefail
trusted=$(cd "$(dirname "$0")/../.." && pwd)
head_exercises="$(cd "$1" && pwd)/exercises"
results=$(mkdir -p "$2" && cd "$2" && pwd)
submission=$(mktemp -d)
trap 'rm -rf "$submission"' EXIT

cd "$trusted"
# Learner text (file names, exception messages) reaches this step's log: from here to the line
# that repeats the token the runner executes no workflow command (::error, ::add-mask::, ...).
# The token is drawn here, by this trusted script, where no learner code can read it.
token=$(python -c 'import secrets; print(secrets.token_hex(16))')
echo "::stop-commands::$token"
trap 'echo "::$token::"; rm -rf "$submission"' EXIT  # commands resume however this script ends
# Reads the head's files as data only: no learner code runs here.
python -E -s -m autograder.tools.finding "$head_exercises" "$submission"
status=0
# The runner's command files (GITHUB_ENV, GITHUB_STEP_SUMMARY, ...) stay out of reach of learner
# code, which could read them from the grader's environment: the grader does not get them.
env -u GITHUB_ENV -u GITHUB_STEP_SUMMARY -u GITHUB_OUTPUT -u GITHUB_PATH -u GITHUB_STATE \
  python -E -s -m autograder --submission "$submission" --fail-under 0 \
  --json "$results/results.json" --junit "$results/junit.xml" \
  --isolation jail "${@:3}" || status=$?
# 0 and 1 are grades (the score is in the results); 2, or no results, means the grader did not run.
[ "$status" -le 1 ] && [ -s "$results/results.json" ]
