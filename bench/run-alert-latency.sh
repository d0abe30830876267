#!/usr/bin/env bash
# Starts private nats-server + PostgreSQL (the test fixture) and a vitals-hub with one webhook
# channel pointing at bench_alert_latency's receiver, runs the bench, and stops everything.
#   bench/run-alert-latency.sh [bench_alert_latency args, e.g. --flips 200 --background 10000]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
export VITALS_TEST_RUN=/tmp/vitals-bench-alerts-$$
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
${VITALS_BENCH_HUB_EXTRA:-}
EOC
"$BIN/vitals-hub" --config "$VITALS_TEST_RUN/hub.yaml" </dev/null >"$VITALS_TEST_RUN/hub.log" 2>&1 &
HUB=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
"$BIN/bench_alert_latency" --nats "$nats_url" --receiver-port "$RX" "$@"
# Where the time goes, from the database: result observed -> transition recorded (ingest +
# status), recorded -> outbox row (alert engine), outbox row -> delivered (sender + receiver).
/usr/lib/postgresql/15/bin/psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres -d vitals <<'SQL'
\pset footer off
WITH obs AS (
  SELECT observed_at, row_number() OVER (ORDER BY seq) AS n FROM health_checks
  WHERE agent_id = 'flip-agent' AND seq > 1),
ch AS (
  SELECT at, id, row_number() OVER (ORDER BY id) - 1 AS n FROM status_changes
  WHERE service = 'flip-svc' AND from_status <> to_status),
ob AS (
  SELECT created_at, delivered_at, row_number() OVER (ORDER BY id) AS n FROM notification_outbox),
j AS (
  SELECT EXTRACT(EPOCH FROM ch.at - obs.observed_at) * 1000 AS ingest_ms,
         EXTRACT(EPOCH FROM ob.created_at - ch.at) * 1000 AS engine_ms,
         EXTRACT(EPOCH FROM ob.delivered_at - ob.created_at) * 1000 AS delivery_ms
  FROM obs JOIN ch USING (n) JOIN ob USING (n))
SELECT 'p50' AS stage_ms, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ingest_ms)::numeric, 1) AS observed_to_recorded,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY engine_ms)::numeric, 1) AS recorded_to_outbox,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY delivery_ms)::numeric, 1) AS outbox_to_delivered FROM j
UNION ALL
SELECT 'p99', round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ingest_ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY engine_ms)::numeric, 1),
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY delivery_ms)::numeric, 1) FROM j;
SQL
echo "hub RSS: $(awk '/VmRSS/ {printf "%.1f MB", $2/1024}' /proc/$HUB/status)"
