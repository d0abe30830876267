#!/usr/bin/env bash
# Runs every benchmark once, in sequence, with the arguments docs/benchmarks.md uses, keeps each
# one's whole output under $OUT (default /tmp/vitals-bench-all-<pid>) and ends with one table: the
# headline lines of each (throughput, latency percentiles, ratios against the peer measured in
# the same run). Needs a build (scripts/build). Takes about 25 minutes; --quick uses smaller
# sizes (a few minutes) to check that every benchmark still runs.
#   bench/run-all.sh [--quick] [--only NAME[,NAME...]]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export VITALS_BUILD_DIR=${VITALS_BUILD_DIR:-$ROOT/build}
BIN=$VITALS_BUILD_DIR/bin
OUT=${OUT:-/tmp/vitals-bench-all-$$}
QUICK=0 ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; shift ;;
    --only) ONLY=$2; shift 2 ;;
    *) echo "usage: $0 [--quick] [--only NAME,...]" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
q() { [ "$QUICK" = 1 ] && echo "$1" || echo "$2"; }

# name | command | extended regex of the headline lines in its output
BENCHES=(
  "ingest-live|$ROOT/bench/run-ingest.sh --mode live --results $(q 50000 200000)|^(hub end-to-end|hub drain|raw COPY|ratio hub/raw)"
  "ingest-drain|$ROOT/bench/run-ingest.sh --mode drain --results $(q 50000 200000)|^(hub end-to-end|hub drain|raw COPY|ratio hub/raw)"
  "alert-latency|$ROOT/bench/run-alert-latency.sh --flips $(q 40 200) --background $(q 2000 10000)|^(flips|observation -> webhook)"
  "uptime|$ROOT/bench/run-uptime.sh --services $(q 1000 10000) --days $(q 7 30) --runs $(q 10 30)|uptime.*p99"
  "services|$ROOT/bench/run-services.sh --services $(q 1000 10000) --requests $(q 20 100)|(p99|hub RSS)"
  "history-index|$ROOT/bench/run-history-index.sh --rows $(q 50000 200000) --runs $(q 3 5)|^median"
  "stream-sse|$BIN/bench_stream --transport sse --seconds $(q 3 10)|^(events read|latency p50|latency p99|hub side CPU)"
  "stream-ws|$BIN/bench_stream --transport ws --seconds $(q 3 10)|^(events read|latency p50|latency p99|hub side CPU)"
  "federation|$ROOT/bench/run-federation.sh --changes $(q 10 40)|(change -> global view|bytes per)"
  "log-stats|$ROOT/bench/run-log-stats.sh --services $(q 100 1000) --days $(q 7 30) --runs $(q 10 30) --repeat $(q 1 5)|(median of|^  )"
  "agent|$ROOT/bench/run-agent.sh --seconds $(q 5 20)|(ratio|probes failed|VmHWM)"
  "scale|$ROOT/bench/run-scale.sh --agents $(q 1000 10000) --connections $(q 10 100) --sustain-s $(q 20 60) --vanish $(q 100 1000)|^(registration storm|sustained|ingest lag|hub  |API under|grouped incident|incidents )"
)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "logs: $OUT"
failed=0
for b in "${BENCHES[@]}"; do
  IFS='|' read -r name cmd pattern <<<"$b"
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$name,"* ]]; then
    continue
  fi
  echo "== $name (load $(cut -d' ' -f1 /proc/loadavg)): $cmd" | tee "$OUT/$name.log"
  start=$(date +%s)
  # shellcheck disable=SC2086  # the command is split into words on purpose
  if ! $cmd >>"$OUT/$name.log" 2>&1; then
    echo "   FAILED (see $OUT/$name.log)"
    failed=$((failed + 1))
  fi
  echo "   took $(($(date +%s) - start)) s"
done

echo
printf '%-14s %s\n' BENCHMARK FIGURES
for b in "${BENCHES[@]}"; do
  IFS='|' read -r name _ pattern <<<"$b"
  [ -f "$OUT/$name.log" ] || continue
  first=1
  grep -E "$pattern" "$OUT/$name.log" | sed 's/^ *//' | while IFS= read -r line; do
    printf '%-14s %s\n' "$([ $first = 1 ] && echo "$name")" "$line"
    first=0
  done
done
exit $((failed > 0))
