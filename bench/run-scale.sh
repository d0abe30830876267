#!/usr/bin/env bash
# 10,000 simulated agents against one hub (bench_scale): starts private nats-server + PostgreSQL
# (the test fixture) and a vitals-hub with one webhook channel pointing at the bench's receiver,
# runs the bench, and stops everything. Enrollment (per-agent NKEY identities) is off, as in the
# dev/test config: every simulated agent publishes over shared, unauthenticated connections.
#   bench/run-scale.sh [bench_scale args, e.g. --agents 10000 --connections 100 --sustain-s 60]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/stack.sh"
# One process holds every NATS connection and the hub one PostgreSQL/NATS link each: the
# default soft limit (1024) is enough for 100 connections; raise it for --connections > 900.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
stack_start scale
RX=$(free_port)
printf 'bench-secret' > "$RUN/hook.secret"
stack_hub_config "notify:
  channels:
    hook: {type: webhook, url: \"http://127.0.0.1:$RX/hook\", secret_file: \"$RUN/hook.secret\"}
alerts:
  default_channels: [hook]
api:
  rate_limit: {requests_per_second: 0}  # the bench's API client asks often on purpose"
KEY=$("$BIN/vitals-hub" keys create --role readonly --name bench --config "$RUN/hub.yaml" 2>/dev/null | tr -d '[:space:]')
[ -n "$KEY" ] || { echo "could not create an API key" >&2; exit 1; }
stack_hub_start
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nats-server: $(nats-server --version 2>&1 | head -1), fixture defaults (max_connections 64K, max_pending 64 MB, max_payload 1 MB)"
set +e
"$BIN/bench_scale" --nats "$nats_url" --hub "http://127.0.0.1:$PORT" --key "$KEY" --pg "$pg_conninfo" \
  --hub-pid "$HUB" --receiver-port "$RX" "$@"
rc=$?
set -e
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "hub warnings/errors: $(grep -c -E "\"level\":\"(warning|error)\"" "$RUN/hub.log" || true)"
grep -E '"level":"(warning|error)"' "$RUN/hub.log" | sed 's/.*"msg":"//' | cut -c1-150 | sort | uniq -c | sort -rn | head -8 || true
exit $rc
