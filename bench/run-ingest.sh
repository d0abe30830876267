#!/usr/bin/env bash
# Starts private nats-server + PostgreSQL (the test fixture) and a vitals-hub, runs bench_ingest,
# and stops everything.
#   bench/run-ingest.sh [--mode live|drain|both] [bench_ingest args, e.g. --results 200000]
# live:  the hub runs while the publishers publish (end-to-end, sharing the CPUs).
# drain: the stream is filled while the hub is stopped; bench_ingest then starts the hub and
#        times the backlog drain (the hub's own rate). both (the default): live, then drain.
# VITALS_BENCH_HUB_EXTRA: extra hub.yaml lines (e.g. "ingest: {max_delay: 0ms}").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
MODE=both
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mode) MODE=$2; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
case "$MODE" in live|drain|both) ;; *) echo "run-ingest.sh: --mode must be live, drain or both" >&2; exit 2 ;; esac
export VITALS_TEST_RUN=/tmp/vitals-bench-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
trap '[ -n "${HUB:-}" ] && kill $HUB 2>/dev/null; wait 2>/dev/null; cp "$VITALS_TEST_RUN/hub.log" "${TMPDIR:-/tmp}/vitals-bench-ingest-hub.log" 2>/dev/null; "$ROOT/tests/fixtures/services.sh" stop' EXIT
. <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$VITALS_TEST_RUN/fixture.env")
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$VITALS_TEST_RUN/hub.yaml" <<EOC
hub_id: bench
nats: {url: "$nats_url"}
database: {url: "$pg_conninfo"}
http: {listen: "127.0.0.1:$PORT"}
log: {level: warn}
${VITALS_BENCH_HUB_EXTRA:-}
EOC
HUB_CMD="exec '$BIN/vitals-hub' --config '$VITALS_TEST_RUN/hub.yaml' </dev/null >>'$VITALS_TEST_RUN/hub.log' 2>&1"
start_hub() {
  sh -c "$HUB_CMD" &
  HUB=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "run-ingest.sh: hub did not become ready" >&2; cat "$VITALS_TEST_RUN/hub.log" >&2; exit 1
}
stop_hub() { kill "$HUB"; wait "$HUB" 2>/dev/null || true; HUB=; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
# The first start migrates the database and creates the stream and the durable consumer.
start_hub
if [ "$MODE" != drain ]; then
  "$BIN/bench_ingest" --mode live --nats "$nats_url" --db "$pg_conninfo" --hub-port "$PORT" \
    --hub-pid "$HUB" "${ARGS[@]}"
fi
if [ "$MODE" != live ]; then
  stop_hub
  [ "$MODE" = both ] && echo "load average before drain: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$BIN/bench_ingest" --mode drain --hub-cmd "$HUB_CMD" --nats "$nats_url" --db "$pg_conninfo" \
    --hub-port "$PORT" "${ARGS[@]}"
fi
