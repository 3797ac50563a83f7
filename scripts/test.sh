#!/usr/bin/env bash
# Runs the whole test suite (unit, integration, e2e) against the local PostgreSQL and
# Redis; installs what it needs first. Ends with one line: `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
# Node 22 from the `node` package (and every tool npm installed) before the machine's Node 20.
export PATH="$PWD/node_modules/.bin:$PATH"

# `.ci/run` has run the set-up already (before the lint gate) and says so with SETUP_DONE=1.
if [ "${SETUP_DONE:-}" != 1 ] && ! bash scripts/setup.sh; then
  echo "setup failed"
  echo "0 passed, 1 failed"
  exit 1
fi

summary="$(mktemp)"
TEST_SUMMARY_FILE="$summary" node_modules/.bin/jest "$@"
status=$?
line="$(cat "$summary" 2>/dev/null)"
rm -f "$summary"
if [ -z "$line" ]; then
  echo "jest did not report (exit $status)"
  line="0 passed, 1 failed"
fi
echo "$line"
exit $status
