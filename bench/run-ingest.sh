#!/usr/bin/env bash
# Starts private nats-server + PostgreSQL (the test fixture), a vitals-hub, runs bench_ingest,
# and stops everything.   bench/run-ingest.sh [bench_ingest args, e.g. --results 200000]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
export VITALS_TEST_RUN=/tmp/vitals-bench-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
trap '[ -n "${HUB:-}" ] && kill $HUB 2>/dev/null; wait 2>/dev/null; "$ROOT/tests/fixtures/services.sh" stop' EXIT
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
"$BIN/vitals-hub" --config "$VITALS_TEST_RUN/hub.yaml" </dev/null >"$VITALS_TEST_RUN/hub.log" 2>&1 &
HUB=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/bench_ingest" --nats "$nats_url" --db "$pg_conninfo" --hub-port "$PORT" --hub-pid "$HUB" "$@"
