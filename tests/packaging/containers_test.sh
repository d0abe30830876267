#!/usr/bin/env bash
# Container test (ctest: packaging.containers, label packaging). Builds the base, nats, postgres,
# hub and agent images from the Debian packages (scripts/containers build; the packages of
# packaging.install are reused, or made here when absent), checks what the vitals images hold
# and who they run as, starts the pod (scripts/containers up) on free loopback ports, asks the
# hub's API with the key made at start until the agent's services nats, postgres and vitals-hub
# are healthy; checks users, capabilities and read-only roots; `down` and `up` again (the volumes
# keep the history, the new start's key replaces the old one); then `down` and checks that no
# container, pod or port is left, and `down --volumes`. Prints image sizes.
#
# Podman keeps everything under <build>/containers-test (private storage, configuration and
# network definitions), which is removed at the end. Needs root and podman: exits 77
# (skipped) otherwise; runc and catatonit missing beside podman is a failure.
#   containers_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
export VITALS_BUILD_DIR=$BUILD
export VITALS_CONTAINER_PREFIX=$BUILD/containers-test
export VITALS_CT_POD=vitals-ctest
CT=$SRC/scripts/containers

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: the container test needs root (rootful Podman)"
  exit 77
fi
if ! command -v podman >/dev/null; then
  echo "SKIP: podman is not installed (scripts/deps installs it)"
  exit 77
fi
# With podman present the rest must be too: a missing one is a failure, not a skip.
for tool in runc catatonit; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/libexec/podman/$tool" ]; then
    echo "FAIL: $tool is not installed (scripts/deps installs it)"
    exit 1
  fi
done

failures=0
step() { printf '== %s\n' "$*"; }
ok() { printf '   ok   %s\n' "$*"; }
bad() { printf '   FAIL %s\n' "$*"; failures=$((failures + 1)); }
die() { printf 'FAIL: %s\n' "$*"; exit 1; }
check() {  # description, command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cleanup() {
  "$CT" purge >/dev/null 2>&1 || echo "containers_test: purge of $VITALS_CONTAINER_PREFIX failed" >&2
}
trap cleanup EXIT
cleanup  # a previous run's leftovers
eval "$("$CT" env)"

t0=$SECONDS
step "build the images (scripts/containers build)"
"$CT" build || die "scripts/containers build failed"
t_built=$SECONDS
"$CT" sizes | while read -r image size unit; do printf '   size %-36s %s %s\n' "$image" "$size" "$unit"; done

step "what the vitals images hold"
for c in hub agent; do
  img=localhost/vitals-$c:latest
  user=$(podman image inspect --format '{{.Config.User}}' "$img")
  [ "$user" = 10001:10001 ] && ok "vitals-$c runs as 10001:10001 (the user vitals)" || bad "vitals-$c: user '$user'"
  files=$(podman create --network none --name "ctest-inspect-$c" "$img" >/dev/null && podman export "ctest-inspect-$c" | tar -t)
  podman rm -f "ctest-inspect-$c" >/dev/null
  echo "$files" | grep -qx "usr/bin/vitals-$c" && ok "vitals-$c: /usr/bin/vitals-$c" || bad "vitals-$c: no program"
  if echo "$files" | grep -Eq '^(usr/)?bin/(sh|bash|dash|apt-get)$'; then
    bad "vitals-$c: has a shell or apt (only the program and its libraries belong in it)"
  else
    ok "vitals-$c: no shell, no package manager"
  fi
  check "vitals-$c --version runs in the image" podman run --rm --network none "$img" --version
  passwd=$(podman create --network none --name "ctest-passwd-$c" "$img" >/dev/null &&
           podman cp "ctest-passwd-$c:/etc/passwd" - | tar -xO)
  podman rm -f "ctest-passwd-$c" >/dev/null
  echo "$passwd" | grep -qx "vitals:x:10001:10001:vitals monitoring:/nonexistent:/nonexistent" \
    && ok "vitals-$c: /etc/passwd names vitals (10001)" || bad "vitals-$c: passwd '$passwd'"
done
echo "$files" | grep -q 'libpq.so.5$' && ok "vitals-agent: libpq.so.5 for postgres checks (dlopen)" \
  || bad "vitals-agent: no libpq.so.5"

step "compose.yaml parses (podman-compose --dry-run)"
if command -v podman-compose >/dev/null; then
  eval "$("$CT" config)"
  # --dry-run still creates the project network; our network definitions are private.
  out=$(cd "$SRC/deploy/container" && podman-compose -p vitals-ctest --dry-run -f compose.yaml up -d 2>&1) || true
  for img in vitals-nats vitals-postgres vitals-hub vitals-agent; do
    echo "$out" | grep -q "network host .*localhost/$img:latest" && ok "compose.yaml: $img on the host network" \
      || bad "compose.yaml: no host-network container of $img"
  done
  podman network rm -f vitals-ctest_default >/dev/null 2>&1 || true
else
  bad "podman-compose is not installed (scripts/deps installs it)"
fi

step "start the pod (scripts/containers up) on free loopback ports"
VITALS_CT_HTTP_PORT=$(free_port); VITALS_CT_NATS_PORT=$(free_port)
VITALS_CT_NATS_HTTP_PORT=$(free_port); VITALS_CT_PG_PORT=$(free_port); VITALS_CT_AGENT_PORT=$(free_port)
export VITALS_CT_HTTP_PORT VITALS_CT_NATS_PORT VITALS_CT_NATS_HTTP_PORT VITALS_CT_PG_PORT VITALS_CT_AGENT_PORT
t_up=$SECONDS
"$CT" up || die "scripts/containers up failed"
key=$(cat "$VITALS_CONTAINER_PREFIX/state/admin.key")
[[ "$key" == vk_* ]] && ok "an admin key was made at start" || bad "admin key: '$key'"

services_healthy() {
  curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services" |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
st = {s["name"]: s["status"] for s in d["services"]}
want = ("nats", "postgres", "vitals-hub")
sys.exit(0 if all(st.get(n) == "healthy" for n in want) else 1)'
}
end=$((SECONDS + 90))
until services_healthy; do
  if [ $SECONDS -ge $end ]; then
    bad "the hub shows nats, postgres and vitals-hub healthy (not within 90 s)"
    curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services" || true
    podman logs "$VITALS_CT_POD-agent" 2>&1 | tail -5 || true
    break
  fi
  sleep 1
done
if services_healthy; then
  ok "the hub shows the agent's services nats, postgres, vitals-hub healthy ($((SECONDS - t_up)) s after up)"
fi
curl -s -H "Authorization: Bearer $key" "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services" |
  python3 -c 'import json, sys
for s in json.load(sys.stdin)["services"]:
    print("   info", s["name"], s["status"], ", ".join(c["name"] + "=" + c["status"] for c in s.get("checks", [])))' || true
check "the API refuses a request without a key (401)" \
  sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services)\" = 401 ]"
check "the agent's metrics count published results" \
  sh -c "curl -sf http://127.0.0.1:$VITALS_CT_AGENT_PORT/metrics | grep -Eq '^vitals_agent_results_total [1-9]'"
for c in hub agent; do
  user=$(podman top "$VITALS_CT_POD-$c" user 2>/dev/null | sed -n 2p | tr -d ' ')
  [ "$user" = vitals ] && ok "the $c container's process runs as vitals" || bad "$c runs as '$user'"
done
user=$(podman top "$VITALS_CT_POD-postgres" user 2>/dev/null | sed -n 2p | tr -d ' ')
[ "$user" = postgres ] && ok "postgres runs as postgres" || bad "postgres runs as '$user'"
wide=$(ss -Htln | awk '{print $4}' | grep -E ":($VITALS_CT_HTTP_PORT|$VITALS_CT_NATS_PORT|$VITALS_CT_NATS_HTTP_PORT|$VITALS_CT_PG_PORT|$VITALS_CT_AGENT_PORT)\$" |
  grep -v '^127\.0\.0\.1:' || true)
listening=$(ss -Htln | awk '{print $4}' | grep -cE "^127\.0\.0\.1:($VITALS_CT_HTTP_PORT|$VITALS_CT_NATS_PORT|$VITALS_CT_NATS_HTTP_PORT|$VITALS_CT_PG_PORT|$VITALS_CT_AGENT_PORT)\$" || true)
[ -z "$wide" ] && [ "$listening" = 5 ] && ok "the five ports listen on 127.0.0.1 only" \
  || bad "ports: $listening of 5 on 127.0.0.1, beyond loopback: ${wide:-none}"

for c in nats hub agent; do
  ro=$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$VITALS_CT_POD-$c" 2>/dev/null || true)
  [ "$ro" = true ] && ok "the $c container's root file system is read-only" || bad "$c: ReadonlyRootfs=$ro"
done
for c in nats postgres hub agent; do
  caps=$(podman inspect --format '{{.EffectiveCaps}}' "$VITALS_CT_POD-$c" 2>/dev/null || echo '?')
  [ "$caps" = "[]" ] && ok "the $c container has no capabilities" || bad "$c: capabilities $caps"
done
rows_before=$(curl -sf -H "Authorization: Bearer $key" \
  "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services/postgres/history?limit=1000" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["results"]))' || echo 0)

step "down, then up again: the volumes keep the history"
"$CT" down || bad "scripts/containers down failed"
"$CT" up >/dev/null || die "the second scripts/containers up failed"
key2=$(cat "$VITALS_CONTAINER_PREFIX/state/admin.key")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" \
  "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services")
[ "$code" = 401 ] && ok "the first start's key is revoked by the second start" || bad "old key: HTTP $code"
rows_after=$(curl -sf -H "Authorization: Bearer $key2" \
  "http://127.0.0.1:$VITALS_CT_HTTP_PORT/api/v1/services/postgres/history?limit=1000" |
  python3 -c 'import json, sys; print(len(json.load(sys.stdin)["results"]))' || echo 0)
[ "$rows_before" -gt 0 ] && [ "$rows_after" -ge "$rows_before" ] \
  && ok "the history survives down and up ($rows_before results of postgres before, $rows_after after)" \
  || bad "history: $rows_before results before, $rows_after after"

step "down"
t_down=$SECONDS
"$CT" down || bad "scripts/containers down failed"
ok "down took $((SECONDS - t_down)) s"
check "no container is left" sh -c "[ -z \"\$(podman ps -aq)\" ]"
check "no pod is left" sh -c "[ -z \"\$(podman pod ps -q)\" ]"
check "the volumes stay after down" podman volume exists "$VITALS_CT_POD-pg-data"
free=1
for port in "$VITALS_CT_HTTP_PORT" "$VITALS_CT_NATS_PORT" "$VITALS_CT_NATS_HTTP_PORT" "$VITALS_CT_PG_PORT" \
            "$VITALS_CT_AGENT_PORT"; do
  port_busy "$port" && free=0
done
[ $free = 1 ] && ok "every port is free again" || bad "a port is still open after down"
"$CT" down --volumes || bad "scripts/containers down --volumes failed"
check "down --volumes removes the volumes" sh -c "! podman volume exists $VITALS_CT_POD-pg-data"

echo "time: $((SECONDS - t0)) s in all, $((t_built - t0)) s to build the images"
if [ $failures -gt 0 ]; then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "container test passed"
