#!/usr/bin/env bash
# GET /api/v1/services and /api/v1/summary at 10,000 services, in the handler and over HTTP,
# and the hub's RSS under that load. Starts private nats-server + PostgreSQL (the test fixture)
# and a vitals-hub, fills it with bench_alert_latency's background services (100 agents), runs
# bench_services against it, and stops everything.
#   bench/run-services.sh [--services 10000] [--requests 100]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
SERVICES=10000
REQUESTS=100
while [ $# -gt 0 ]; do
  case $1 in
    --services) SERVICES=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    *) echo "usage: $0 [--services N] [--requests N]" >&2; exit 2 ;;
  esac
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== in-process (handler only)"
"$BIN/bench_services" --services "$SERVICES" --checks 1 --runs 100
export VITALS_TEST_RUN=/tmp/vitals-bench-services-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
trap '[ -n "${HUB:-}" ] && kill $HUB 2>/dev/null; wait 2>/dev/null; "$ROOT/tests/fixtures/services.sh" stop' EXIT
. <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$VITALS_TEST_RUN/fixture.env")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(free_port)
RX=$(free_port)
printf 'bench-secret' > "$VITALS_TEST_RUN/hook.secret"
cat > "$VITALS_TEST_RUN/hub.yaml" <<EOC
hub_id: bench
nats: {url: "$nats_url"}
database: {url: "$pg_conninfo"}
http: {listen: "127.0.0.1:$PORT"}
log: {level: warn}
notify:
  channels:
    hook: {type: webhook, url: "http://127.0.0.1:$RX/hook", secret_file: "$VITALS_TEST_RUN/hook.secret"}
alerts:
  default_channels: [hook]
api:
  rate_limit: {requests_per_second: 0}  # one client asking as fast as it can is the point here
EOC
KEY=$("$BIN/vitals-hub" keys create --role readonly --name bench --config "$VITALS_TEST_RUN/hub.yaml" 2>/dev/null | tr -d '[:space:]')
[ -n "$KEY" ] || { echo "could not create an API key" >&2; exit 1; }
"$BIN/vitals-hub" --config "$VITALS_TEST_RUN/hub.yaml" </dev/null >"$VITALS_TEST_RUN/hub.log" 2>&1 &
HUB=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "== filling the hub: $SERVICES services on 100 agents"
"$BIN/bench_alert_latency" --nats "$nats_url" --receiver-port "$RX" --flips 3 \
  --background "$SERVICES" >/dev/null
n=$(curl -sf -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/api/v1/summary" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["services"]["total"])')
echo "hub knows $n services"
echo "== over HTTP (client latency, includes the network and httplib)"
"$BIN/bench_services" --hub "http://127.0.0.1:$PORT" --key "$KEY" --pid "$HUB" \
  --requests "$REQUESTS" --glob 'bg-1*'
