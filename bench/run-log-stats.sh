#!/usr/bin/env bash
# Starts a private PostgreSQL (the test fixture), seeds 1,000 services x 30 days of hourly log
# rollups and a day of raw log results, times GET /api/v1/logs/stats and the hourly job, and
# stops everything.
#   bench/run-log-stats.sh [bench_log_stats args, e.g. --services 1000 --days 30 --runs 50]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
export VITALS_TEST_RUN=/tmp/vitals-bench-log-stats-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
trap '"$ROOT/tests/fixtures/services.sh" stop' EXIT
. <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$VITALS_TEST_RUN/fixture.env")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN/bench_log_stats" --db "$pg_conninfo" "$@"
