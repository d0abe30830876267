#!/usr/bin/env bash
# Integration test (ctest: integration.prometheus): Debian's Prometheus scrapes a real vitals-hub
# and vitals-agent. Checks: both targets up == 1; `promtool check metrics` finds nothing in
# either /metrics; the documented series are present (vitals_service_status{service,status},
# the agent's lateness summary with _sum and _count, ingest counters); the example alerting rules
# deploy/prometheus/vitals.rules.yml pass `promtool check rules` and load into Prometheus with
# health "ok". The hub and agent run against the fixture's PostgreSQL (own database) and a
# nats-server started here.
#   prometheus_test.sh BUILD_DIR SOURCE_DIR     (VITALS_TEST_RUN: the services fixture's run dir)
set -euo pipefail
BIN=$(cd "$1" && pwd)/bin
SRC=$(cd "$2" && pwd)
RUN=${VITALS_TEST_RUN:?VITALS_TEST_RUN must be set (services fixture)}
WORK=$RUN/work/prometheus
PGBIN=/usr/lib/postgresql/15/bin
command -v prometheus >/dev/null && command -v promtool >/dev/null \
  || { echo "FAIL: prometheus and promtool are needed (scripts/deps installs the prometheus package)"; exit 1; }
# shellcheck disable=SC1091
. "$RUN/fixture.env"

failures=0
ok() { printf '   ok   %s\n' "$*"; }
bad() { printf '   FAIL %s\n' "$*"; failures=$((failures + 1)); }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    rm -f "$RUN/pids/prom-$p"
  done
  $PGBIN/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists vitals_prom >/dev/null 2>&1 || true
}
trap cleanup EXIT
started() { pids+=("$1"); echo "$1" > "$RUN/pids/prom-$1"; }
wait_for() {  # seconds, description, command...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then bad "$what (not within ${secs}s)"; return 0; fi
    sleep 0.2
  done
  ok "$what"
}

rm -rf "$WORK"
mkdir -p "$WORK"/{nats,agent-spool,prom}
nats_port=$(free_port); hub_port=$(free_port); agent_port=$(free_port); prom_port=$(free_port); dead_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$WORK/nats" -l "$WORK/nats.log" </dev/null >/dev/null 2>&1 &
started $!
$PGBIN/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists vitals_prom >/dev/null 2>&1 || true
$PGBIN/createdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_prom

cat > "$WORK/hub.yaml" <<EOC
hub_id: hub-prom
nats:
  url: nats://127.0.0.1:$nats_port
database:
  url: "host=127.0.0.1 port=$pg_port user=postgres dbname=vitals_prom"
http:
  listen: "127.0.0.1:$hub_port"
EOC
cat > "$WORK/agent.yaml" <<EOC
agent_id: prom-agent
nats:
  url: nats://127.0.0.1:$nats_port
spool:
  dir: $WORK/agent-spool
# Scraped on its own metrics listener (no heartbeat endpoint configured).
metrics_listen: 127.0.0.1:$agent_port
checks:
  - name: hub-health
    service: hub
    kind: http
    url: http://127.0.0.1:$hub_port/healthz
    interval: 1s
    timeout: 500ms
  - name: nowhere
    service: nowhere
    kind: tcp
    host: 127.0.0.1
    port: $dead_port
    interval: 1s
    timeout: 500ms
    retries: 1
EOC
"$BIN/vitals-hub" --config "$WORK/hub.yaml" </dev/null >"$WORK/hub.log" 2>&1 &
started $!
wait_for 30 "the hub is ready" curl -sf -m 5 "http://127.0.0.1:$hub_port/readyz"
"$BIN/vitals-agent" --config "$WORK/agent.yaml" </dev/null >"$WORK/agent.log" 2>&1 &
started $!

cp "$SRC/deploy/prometheus/vitals.rules.yml" "$WORK/prom/vitals.rules.yml"
cat > "$WORK/prom/prometheus.yml" <<EOC
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [vitals.rules.yml]
scrape_configs:
  - job_name: vitals-hub
    static_configs: [{targets: ["127.0.0.1:$hub_port"]}]
  - job_name: vitals-agent
    static_configs: [{targets: ["127.0.0.1:$agent_port"]}]
EOC
if promtool check config "$WORK/prom/prometheus.yml" >"$WORK/promtool-config.log" 2>&1; then
  ok "promtool check config (with the rules file)"
else
  bad "promtool check config: $(cat "$WORK/promtool-config.log")"
fi
if promtool check rules "$SRC/deploy/prometheus/vitals.rules.yml" >"$WORK/promtool-rules.log" 2>&1; then
  ok "promtool check rules deploy/prometheus/vitals.rules.yml: $(grep -o '[0-9]* rules found' "$WORK/promtool-rules.log")"
else
  bad "promtool check rules: $(cat "$WORK/promtool-rules.log")"
fi
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
  --web.listen-address="127.0.0.1:$prom_port" </dev/null >"$WORK/prometheus.log" 2>&1 &
started $!

query() {  # PromQL -> the JSON result's values, one "job value" per line
  curl -sf -m 5 --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
    python3 -c 'import json, sys
for r in json.load(sys.stdin)["data"]["result"]:
    print(r["metric"].get("job", "") + " " + r["metric"].get("status", "") + " " + r["value"][1])'
}
both_up() { [ "$(query 'up == 1' | awk '{print $1}' | sort | tr '\n' ' ')" = "vitals-agent vitals-hub " ]; }
wait_for 60 "Prometheus scrapes both targets: up{job=\"vitals-hub\"} == 1 and up{job=\"vitals-agent\"} == 1" both_up
echo "   up: $(query up | tr '\n' ';')"
kill -0 "${pids[2]}" 2>/dev/null || { bad "the agent exited"; tail -n 5 "$WORK/agent.log"; }
hub_down_seen() { query 'vitals_service_status{service="nowhere",status="down"} == 1' | grep -q .; }
wait_for 30 "Prometheus has vitals_service_status{service=\"nowhere\",status=\"down\"} == 1" hub_down_seen
hub_healthy_seen() { query 'vitals_service_status{service="hub",status="healthy"} == 1' | grep -q .; }
wait_for 10 "Prometheus has vitals_service_status{service=\"hub\",status=\"healthy\"} == 1" hub_healthy_seen
lateness_seen() { query 'vitals_agent_schedule_lateness_seconds_count > 0' | grep -q .; }
wait_for 30 "Prometheus has the agent's lateness summary (_count > 0)" lateness_seen
rule_count=$(grep -c '^ *- alert:' "$SRC/deploy/prometheus/vitals.rules.yml")
rules_ok() {
  curl -sf -m 5 "http://127.0.0.1:$prom_port/api/v1/rules" | python3 -c 'import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
sys.exit(0 if len(rules) == int(sys.argv[1]) and all(r["health"] == "ok" for r in rules) else 1)' "$rule_count"
}
wait_for 20 "Prometheus evaluates all $rule_count example rules with health ok" rules_ok
down_alert() {
  curl -sf -m 5 "http://127.0.0.1:$prom_port/api/v1/alerts" | grep -q '"alertname":"VitalsServiceDown".*"service":"nowhere"\|"service":"nowhere".*"alertname":"VitalsServiceDown"'
}
wait_for 20 "the rule VitalsServiceDown is pending or firing for the service that is down" down_alert

for target in "hub 127.0.0.1:$hub_port" "agent 127.0.0.1:$agent_port"; do
  set -- $target
  curl -sf -m 5 "http://$2/metrics" > "$WORK/$1.metrics" || bad "GET $1 /metrics"
  if promtool check metrics < "$WORK/$1.metrics" > "$WORK/$1.promtool" 2>&1; then
    ok "promtool check metrics: $1 clean ($(grep -c '^# TYPE' "$WORK/$1.metrics") families)"
  else
    bad "promtool check metrics on the $1's /metrics:"; sed 's/^/        /' "$WORK/$1.promtool"
  fi
done
for name in vitals_service_status vitals_ingest_messages_total vitals_ingest_results_total \
            vitals_ingest_last_commit_seconds vitals_preflight_ready vitals_ingest_lag_seconds \
            vitals_ingest_consumer_pending vitals_stream_clients vitals_replica_jobs_held; do
  grep -q "^# TYPE $name " "$WORK/hub.metrics" && ok "hub exports $name" || bad "hub: no $name"
done
grep -q '^# TYPE vitals_agent_schedule_lateness_seconds summary' "$WORK/agent.metrics" \
  && grep -q '^vitals_agent_schedule_lateness_seconds_sum ' "$WORK/agent.metrics" \
  && grep -q '^vitals_agent_schedule_lateness_seconds_count ' "$WORK/agent.metrics" \
  && ok "agent: vitals_agent_schedule_lateness_seconds is a summary with _sum and _count" \
  || bad "agent: vitals_agent_schedule_lateness_seconds is not a complete summary"
for name in vitals_agent_results_total vitals_agent_probe_runs_total; do
  grep -q "^# TYPE $name " "$WORK/agent.metrics" && ok "agent exports $name" || bad "agent: no $name"
done

if [ $failures -gt 0 ]; then
  echo "FAILED: $failures check(s). Logs in $WORK:"; tail -n 5 "$WORK"/hub.log "$WORK"/agent.log "$WORK"/prometheus.log
  exit 1
fi
echo "prometheus test passed"
