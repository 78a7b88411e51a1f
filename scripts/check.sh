#!/usr/bin/env bash
# Runs every test: lit (IR, tools), ctest (gtest units), pytest (Python and
# end to end). Prints a summary and, as the last line, `N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
PY=.venv/bin/python
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

# lit
.venv/bin/lit -sv --xunit-xml-output "$LOGDIR/lit.xml" "$BUILD/test" 2>&1 | tee "$LOGDIR/lit.log" | grep -E "^(FAIL|XPASS|UNRESOLVED|TIMEOUT)|Total|Passed|Failed" || true
# ctest
(cd "$BUILD" && ctest --output-on-failure --output-junit test-logs/ctest.xml -j "$(nproc)") > "$LOGDIR/ctest.log" 2>&1
grep -E "tests passed|Failed|\*\*\*" "$LOGDIR/ctest.log" | tail -20 || true
# pytest
QUANTC_BUILD=$(realpath "$BUILD") $PY -m pytest -q python/tests --junitxml="$LOGDIR/pytest.xml" 2>&1 | tee "$LOGDIR/pytest.log" | tail -15

$PY scripts/summarize_tests.py "$LOGDIR/lit.xml" "$LOGDIR/ctest.xml" "$LOGDIR/pytest.xml"
