#!/usr/bin/env bash
# Federation benchmark (docs/benchmarks.md): starts a hub-of-hubs nats-server and one site
# nats-server per simulated site plus one for the receiving site, joined by leafnodes exactly as
# deploy/nats/site-leaf.conf (deny lists, JetStream domains), all on free loopback ports; runs
#   bench_federation sizes
#   bench_federation latency (10 sites x 1,000 services, 1 s interval by default)
# and stops the servers.
#   bench/run-federation.sh [--sites N] [--services N] [--interval-ms N] [--changes N]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
SITES=10
for ((i = 1; i <= $#; i++)); do
  if [ "${!i}" = "--sites" ]; then j=$((i + 1)); SITES=${!j}; fi
done
DIR=$(mktemp -d /tmp/vitals-bench-federation.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

HOH=$(free_port); LEAF=$(free_port)
cat > "$DIR/hoh.conf" <<EOC
listen: 127.0.0.1:$HOH
leafnodes { listen: 127.0.0.1:$LEAF }
EOC
nats-server -c "$DIR/hoh.conf" >"$DIR/hoh.log" 2>&1 & PIDS+=($!)
wait_port "$HOH"
DENY='["vitals.>", "$JS.>", "$JSC.>", "$KV.>", "$O.>", "$SYS.>", "_INBOX.>"]'
URLS=()
for n in $(seq 0 "$SITES"); do
  P=$(free_port)
  cat > "$DIR/site-$n.conf" <<EOC
listen: 127.0.0.1:$P
jetstream { store_dir: "$DIR/js-$n", domain: "site-$n" }
leafnodes { remotes: [ { url: "nats-leaf://127.0.0.1:$LEAF", deny_exports: $DENY, deny_imports: $DENY } ] }
EOC
  nats-server -c "$DIR/site-$n.conf" >"$DIR/site-$n.log" 2>&1 & PIDS+=($!)
  wait_port "$P"
  URLS+=("nats://127.0.0.1:$P")
done
RECEIVER=${URLS[0]}
PUBLISHERS=$(IFS=,; echo "${URLS[*]:1}")
sleep 1  # leafnode connections
echo "machine: $(nproc) cores, $(uname -r); load: $(uptime | sed 's/.*load average: //')"
"$BIN/bench_federation" sizes
"$BIN/bench_federation" latency --nats "$PUBLISHERS" --receiver "$RECEIVER" "$@"
