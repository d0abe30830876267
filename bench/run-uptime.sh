#!/usr/bin/env bash
# Starts a private PostgreSQL (the test fixture), seeds 10,000 services x 30 days of uptime
# history, times the uptime queries, and stops everything.
#   bench/run-uptime.sh [bench_uptime args, e.g. --services 10000 --days 30 --runs 30]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
export VITALS_TEST_RUN=/tmp/vitals-bench-uptime-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
trap '"$ROOT/tests/fixtures/services.sh" stop' EXIT
. <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$VITALS_TEST_RUN/fixture.env")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/bench_uptime" --db "$pg_conninfo" "$@"
