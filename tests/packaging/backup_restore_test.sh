#!/usr/bin/env bash
# Integration test (ctest: integration.backup_restore) of scripts/vitals-backup and the restore
# procedure in docs/operations.md, against the fixture's PostgreSQL and a nats-server started here:
#   1. a hub on database vitals_br_src and an agent produce history; an API key is made;
#   2. `vitals-backup backup` while both run; the agent goes on for a few seconds more, then
#      agent and hub stop (the source now holds results younger than the dump);
#   3. the bad paths: restore into a database that is not empty, a missing file, a file that is
#      not a dump, a backup from a database without the schema; each refused with its reason;
#   4. `vitals-backup restore` into a fresh database vitals_br_dst;
#   5. a hub on the restored database with a NEW durable consumer name (the documented step):
#      the key made before the backup still works, every result the API showed before the
#      backup is there, and the results younger than the dump come back from the JetStream
#      stream, each once: the restored history equals the source's.
#   backup_restore_test.sh BUILD_DIR SOURCE_DIR   (VITALS_TEST_RUN: the services fixture's run dir)
# shellcheck disable=SC2154  # pg_port comes from fixture.env
set -euo pipefail
BIN=$(cd "$1" && pwd)/bin
SRC=$(cd "$2" && pwd)
RUN=${VITALS_TEST_RUN:?VITALS_TEST_RUN must be set (services fixture)}
WORK=$RUN/work/backup-restore
PGBIN=/usr/lib/postgresql/15/bin
BACKUP=$SRC/scripts/vitals-backup
# shellcheck disable=SC1091
. "$RUN/fixture.env"

failures=0
step() { printf '== %s\n' "$*"; }
ok() { printf '   ok   %s\n' "$*"; }
bad() { printf '   FAIL %s\n' "$*"; failures=$((failures + 1)); }
die() { printf 'FAIL: %s\n' "$*"; exit 1; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
pg() { echo "host=127.0.0.1 port=$pg_port user=postgres dbname=$1"; }
sql() { $PGBIN/psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(pg "$1")" -c "$2"; }
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
    rm -f "$RUN/pids/br-$p"
  done
  for d in vitals_br_src vitals_br_dst vitals_br_empty; do
    $PGBIN/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists "$d" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
started() { pids+=("$1"); echo "$1" > "$RUN/pids/br-$1"; }
stop() {  # pid: SIGTERM and wait
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
wait_for() {  # seconds, description, command...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then bad "$what (not within ${secs}s)"; return 1; fi
    sleep 0.2
  done
  ok "$what"
}
# Every result of a service through the API (all pages): one "agent boot seq status" per line.
history() {  # port key service
  python3 - "$1" "$2" "$3" <<'EOF'
import json, sys, urllib.parse, urllib.request
port, key, service = sys.argv[1:4]
cursor = None
while True:
    q = {"limit": "1000"}
    if cursor:
        q["cursor"] = cursor
    url = f"http://127.0.0.1:{port}/api/v1/services/{service}/history?" + urllib.parse.urlencode(q)
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key})
    page = json.load(urllib.request.urlopen(req, timeout=10))
    for r in page["results"]:
        print(r["agent"], r["boot_id"], r["seq"], r["status"])
    cursor = page["next"]
    if not cursor:
        break
EOF
}
start_hub() {  # name database durable -> pid
  cat > "$WORK/$1.yaml" <<EOC
hub_id: hub-br
nats:
  url: nats://127.0.0.1:$nats_port
database:
  url: "$(pg "$2")"
http:
  listen: "127.0.0.1:$hub_port"
ingest:
  durable: $3
EOC
  "$BIN/vitals-hub" --config "$WORK/$1.yaml" </dev/null >"$WORK/$1.log" 2>&1 &
  echo $!
}

rm -rf "$WORK"
mkdir -p "$WORK"/{nats,agent-spool}
nats_port=$(free_port); hub_port=$(free_port); dead_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$WORK/nats" -l "$WORK/nats.log" </dev/null >/dev/null 2>&1 &
started $!
for d in vitals_br_src vitals_br_dst vitals_br_empty; do
  $PGBIN/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists "$d" >/dev/null 2>&1 || true
done
$PGBIN/createdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_br_src

step "a hub and an agent make history"
hub=$(start_hub hub-src vitals_br_src vitals-hub); started "$hub"
wait_for 30 "the hub on vitals_br_src is ready" curl -sf -m 5 "http://127.0.0.1:$hub_port/readyz" \
  || die "hub: $(tail -n 5 "$WORK/hub-src.log")"
cat > "$WORK/agent.yaml" <<EOC
agent_id: br-agent
nats:
  url: nats://127.0.0.1:$nats_port
spool:
  dir: $WORK/agent-spool
checks:
  - name: hub-health
    service: hub
    kind: http
    url: http://127.0.0.1:$hub_port/healthz
    interval: 250ms
    timeout: 200ms
  - name: nowhere
    service: nowhere
    kind: tcp
    host: 127.0.0.1
    port: $dead_port
    interval: 250ms
    timeout: 200ms
    retries: 1
EOC
"$BIN/vitals-agent" --config "$WORK/agent.yaml" </dev/null >"$WORK/agent.log" 2>&1 &
agent=$!; started "$agent"
key=$("$BIN/vitals-hub" keys create --role readonly --name br-test --config "$WORK/hub-src.yaml" 2>"$WORK/keys.log") \
  || die "vitals-hub keys create: $(cat "$WORK/keys.log")"
enough() { [ "$(history "$hub_port" "$key" hub | wc -l)" -ge 20 ]; }
wait_for 30 "the API shows at least 20 results of service hub" enough \
  || die "agent: $(tail -n 3 "$WORK/agent.log")"

step "backup while hub and agent run"
history "$hub_port" "$key" hub | sort > "$WORK/before-hub.txt"
history "$hub_port" "$key" nowhere | sort > "$WORK/before-nowhere.txt"
if out=$("$BACKUP" backup --db "$(pg vitals_br_src)" --out "$WORK/vitals.dump" 2>&1); then
  ok "vitals-backup backup: $out"
else
  die "vitals-backup backup failed: $out"
fi
check_out=$("$BACKUP" check "$WORK/vitals.dump" 2>&1) && ok "vitals-backup check: $check_out" \
  || bad "vitals-backup check: $check_out"
out=$("$BACKUP" backup --db "$(pg vitals_br_src)" --out "$WORK/vitals.dump" 2>&1) \
  && bad "a second backup overwrote $WORK/vitals.dump" \
  || { grep -q 'exists already' <<<"$out" && ok "backup refuses to overwrite a file: $out" || bad "overwrite: $out"; }
sleep 3  # results younger than the dump
stop "$agent"
in_stream_committed() {  # the hub committed everything the stream holds: two equal counts 1 s apart
  local a b
  a=$(sql vitals_br_src "SELECT count(*) FROM health_checks"); sleep 1
  b=$(sql vitals_br_src "SELECT count(*) FROM health_checks"); [ "$a" = "$b" ]
}
wait_for 30 "the hub has ingested the agent's last results" in_stream_committed
history "$hub_port" "$key" hub | sort > "$WORK/source-hub.txt"
history "$hub_port" "$key" nowhere | sort > "$WORK/source-nowhere.txt"
src_rows=$(sql vitals_br_src "SELECT count(*) FROM health_checks")
service_status() {  # service -> its status on the running hub
  curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$hub_port/api/v1/services/$1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])' || echo none
}
src_status=$(service_status nowhere)
stop "$hub"
after=$(( $(wc -l < "$WORK/source-hub.txt") - $(wc -l < "$WORK/before-hub.txt") ))
[ "$after" -gt 0 ] && ok "$after results of service hub are younger than the dump ($src_rows rows in all)" \
  || bad "no result after the dump: the test proves nothing about the stream"

step "bad paths"
refused() {  # description, expected message part, command...
  local what=$1 want=$2 out; shift 2
  if out=$("$@" 2>&1); then bad "$what: not refused"; return; fi
  grep -q -- "$want" <<<"$out" && ok "$what: $out" || bad "$what: wrong message: $out"
}
refused "restore into a database with tables" "is not empty" \
  "$BACKUP" restore --db "$(pg vitals_br_src)" "$WORK/vitals.dump"
refused "restore of a missing file" "no such file" "$BACKUP" restore --db "$(pg vitals_br_src)" "$WORK/nope.dump"
echo "not a dump" > "$WORK/junk.dump"
refused "restore of a file that is not a dump" "not a pg_dump custom-format archive" \
  "$BACKUP" restore --db "$(pg vitals_br_src)" "$WORK/junk.dump"
refused "check of a file that is not a dump" "not a readable pg_dump" "$BACKUP" check "$WORK/junk.dump"
$PGBIN/createdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_br_empty
refused "backup of a database without the vitals schema" "schema_migrations" \
  "$BACKUP" backup --db "$(pg vitals_br_empty)" --out "$WORK/empty.dump"
[ ! -e "$WORK/empty.dump" ] && [ ! -e "$WORK/empty.dump.partial" ] && ok "no file left by the refused backup" \
  || bad "the refused backup left a file"
refused "restore without --db" "needs --db" "$BACKUP" restore "$WORK/vitals.dump"
refused "an unknown command" "unknown command" "$BACKUP" snapshot --db "$(pg vitals_br_src)"

step "restore into a fresh database"
$PGBIN/createdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_br_dst
if out=$("$BACKUP" restore --db "$(pg vitals_br_dst)" "$WORK/vitals.dump" 2>&1); then
  ok "vitals-backup restore: $out"
else
  die "vitals-backup restore failed: $out"
fi
[ "$(sql vitals_br_dst "SELECT max(version) FROM schema_migrations")" = \
  "$(sql vitals_br_src "SELECT max(version) FROM schema_migrations")" ] \
  && ok "the restored schema version equals the source's" || bad "schema versions differ"

step "a hub on the restored database, with a new durable consumer"
hub=$(start_hub hub-dst vitals_br_dst restored-1); started "$hub"
wait_for 30 "the hub on vitals_br_dst is ready" curl -sf -m 5 "http://127.0.0.1:$hub_port/readyz" \
  || die "hub: $(tail -n 5 "$WORK/hub-dst.log")"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
  "http://127.0.0.1:$hub_port/api/v1/services")
[ "$code" = 200 ] && ok "the API key made before the backup works on the restored hub" || bad "key: HTTP $code"
caught_up() { [ "$(sql vitals_br_dst "SELECT count(*) FROM health_checks")" -ge "$src_rows" ]; }
wait_for 60 "the restored hub re-ingests the stream up to the source's $src_rows rows" caught_up
sleep 2  # anything beyond would be a duplicate
history "$hub_port" "$key" hub | sort > "$WORK/restored-hub.txt"
history "$hub_port" "$key" nowhere | sort > "$WORK/restored-nowhere.txt"
missing=$(comm -23 "$WORK/before-hub.txt" "$WORK/restored-hub.txt" | wc -l)
[ "$missing" = 0 ] && ok "every result of service hub the API showed before the backup is restored ($(wc -l < "$WORK/before-hub.txt"))" \
  || bad "$missing results shown before the backup are missing after the restore"
for s in hub nowhere; do
  if cmp -s "$WORK/source-$s.txt" "$WORK/restored-$s.txt"; then
    ok "service $s: the restored history equals the source's ($(wc -l < "$WORK/restored-$s.txt") results, none lost or doubled)"
  else
    bad "service $s: restored history differs: $(diff "$WORK/source-$s.txt" "$WORK/restored-$s.txt" | head -5 | tr '\n' ' ')"
  fi
done
dups=$(sql vitals_br_dst "SELECT count(*) - count(DISTINCT (agent_id, boot_id, seq)) FROM health_checks")
[ "$dups" = 0 ] && ok "no result is stored twice" || bad "$dups duplicate rows"
status=$(service_status nowhere)
[ "$status" = "$src_status" ] && ok "the restored hub shows service nowhere $status, as the source did at its end" \
  || bad "nowhere: status $status, the source had $src_status"
stop "$hub"

if [ $failures -gt 0 ]; then
  echo "FAILED: $failures check(s). Logs in $WORK"
  tail -n 5 "$WORK"/hub-src.log "$WORK"/hub-dst.log "$WORK"/agent.log
  exit 1
fi
echo "backup and restore test passed"
