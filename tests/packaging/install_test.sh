#!/usr/bin/env bash
# Packaging test (ctest: packaging.install, label packaging). Builds the .deb packages (with
# lintian), installs them into a clean Debian 12 root and checks files, owners, modes, the
# system user and the units (systemd-analyze verify); starts the installed hub and agent with the
# exact ExecStart lines of their units against a nats-server started here and the fixture's
# PostgreSQL, and checks they report healthy; then remove and purge, and what each keeps.
#
# The clean root: `debootstrap --variant=minbase --include=systemd,procps bookworm` (what every
# Debian 12 machine has: systemd as init, procps' /bin/kill for ExecReload) once into a cache
# ($VITALS_DEBOOTSTRAP_CACHE, default /var/tmp/vitals-debootstrap, about 70 s and 200 MB; reused),
# then for each run a fresh overlay of it under <build>/packaging-test, thrown away afterwards.
# Needs root (debootstrap, mounts, chroot): exits 77 (skipped) otherwise.
#   install_test.sh BUILD_DIR SOURCE_DIR      (VITALS_TEST_RUN: the services fixture's run dir)
set -euo pipefail
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$2" && pwd)
RUN=${VITALS_TEST_RUN:?VITALS_TEST_RUN must be set (services fixture)}
CACHE=${VITALS_DEBOOTSTRAP_CACHE:-/var/tmp/vitals-debootstrap}
MIRROR=${VITALS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${VITALS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
WORK=$BUILD/packaging-test
ROOT=$WORK/root
BASE=$CACHE/bookworm-minbase

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: the packaging test needs root (debootstrap, overlay mount, chroot)"
  exit 77
fi

failures=0
step() { printf '== %s\n' "$*"; }
ok() { printf '   ok   %s\n' "$*"; }
bad() { printf '   FAIL %s\n' "$*"; failures=$((failures + 1)); }
die() { printf 'FAIL: %s\n' "$*"; exit 1; }
check() {  # description, command...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  DEBIAN_FRONTEND=noninteractive "$@"; }
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
  done
  if [ -d "$WORK/logs" ]; then
    rm -rf "$BUILD/packaging-test.logs"; cp -r "$WORK/logs" "$BUILD/packaging-test.logs"
  fi
  # Unmount everything under WORK, deepest first, before anything is deleted.
  awk -v r="$WORK/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  if awk -v r="$WORK/" 'index($2, r) == 1 {f=1} END {exit !f}' /proc/mounts; then
    echo "install_test: something is still mounted under $WORK; not deleting it" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT

# ---- 1. the packages ----
step "build the packages (scripts/package: cpack + lintian)"
t0=$(date +%s)
if [ "${VITALS_PACKAGING_REUSE:-0}" = 1 ] && ls "$BUILD"/packages/*.deb >/dev/null 2>&1; then
  echo "   VITALS_PACKAGING_REUSE=1: using the packages already in $BUILD/packages"
else
  VITALS_BUILD_DIR=$BUILD "$SRC/scripts/package" || die "scripts/package failed (lintian tags above?)"
fi
debs=("$BUILD"/packages/*.deb)
[ ${#debs[@]} = 3 ] || die "expected 3 packages in $BUILD/packages, found ${#debs[@]}"
for d in "${debs[@]}"; do printf '   %s %s KiB\n' "$(basename "$d")" $(( $(stat -c %s "$d") / 1024 )); done

# ---- 2. a clean Debian 12 root ----
step "clean Debian 12 root (cache $BASE)"
mkdir -p "$CACHE"
exec 9>"$CACHE/lock"
flock 9
if [ ! -f "$BASE/.vitals-base-ready-v2" ]; then
  echo "   debootstrap --variant=minbase bookworm (first run only)"
  rm -rf --one-file-system "$BASE.tmp"
  debootstrap --variant=minbase --include=systemd,procps bookworm "$BASE.tmp" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed: see $CACHE/debootstrap.log"
  rm -rf --one-file-system "$BASE"
  mv "$BASE.tmp" "$BASE"
fi
if [ ! -f "$BASE/.vitals-base-ready-v2" ]; then
  cat > "$BASE/etc/apt/sources.list" <<EOS
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
EOS
  cp /etc/resolv.conf "$BASE/etc/resolv.conf" 2>/dev/null || true
  chroot "$BASE" apt-get update -q >"$CACHE/apt-update.log" 2>&1 \
    || die "apt-get update in the base root failed: see $CACHE/apt-update.log"
  touch "$BASE/.vitals-base-ready-v2"
fi
flock -u 9
mkdir -p "$CACHE/archives/partial"

cleanup  # a previous run's leftovers
mkdir -p "$WORK"/{upper,ovl,root,logs}
mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$WORK/upper,workdir=$WORK/ovl" "$ROOT"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"  # downloads reused between runs
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
check "the root has no vitals package, user or directory before the install" \
  sh -c "! chroot '$ROOT' getent passwd vitals && [ ! -e '$ROOT/etc/vitals' ] && [ ! -e '$ROOT/var/lib/vitals-agent' ]"

# ---- 3. install with apt (the packages' Depends pull in the libraries) ----
step "apt-get install ./vitals-agent ./vitals-hub ./vitalsctl"
mkdir -p "$ROOT/tmp/debs"
cp "${debs[@]}" "$ROOT/tmp/debs/"
in_root_debs=()
for d in "${debs[@]}"; do in_root_debs+=("/tmp/debs/$(basename "$d")"); done
install_debs() {
  in_root apt-get install -y -q --no-install-recommends "${in_root_debs[@]}" >"$WORK/logs/install.log" 2>&1
}
if ! install_debs; then
  echo "   retrying after apt-get update (the cached package lists may be stale)"
  in_root apt-get update -q >/dev/null 2>&1 || true
  install_debs || { cat "$WORK/logs/install.log"; die "apt-get install of the packages failed"; }
fi
t_installed=$(date +%s)
for p in vitals-agent vitals-hub vitalsctl; do
  check "$p is installed" sh -c "chroot '$ROOT' dpkg-query -W -f='\${Status}' $p | grep -q 'install ok installed'"
done

step "files, owners and modes"
expect_stat() {  # path, "owner:group mode"
  local got
  got=$(stat -c '%U:%G %a' "$ROOT$1" 2>/dev/null || echo missing)
  # stat names owners from the host's passwd: compare numeric ids for the vitals user.
  if [[ "$2" == vitals:* ]]; then
    local uid gid
    uid=$(chroot "$ROOT" id -u vitals); gid=$(chroot "$ROOT" id -g vitals)
    got=$(stat -c '%u:%g %a' "$ROOT$1" 2>/dev/null || echo missing)
    [ "$got" = "$uid:$gid ${2#* }" ] && ok "$1 $2" || bad "$1: want $2, got $got"
  else
    [ "$got" = "$2" ] && ok "$1 $2" || bad "$1: want $2, got $got"
  fi
}
expect_stat /usr/bin/vitals-agent "root:root 755"
expect_stat /usr/bin/vitals-hub "root:root 755"
expect_stat /usr/bin/vitalsctl "root:root 755"
expect_stat /etc/vitals "root:root 755"
expect_stat /etc/vitals/agent.yaml "root:root 644"
expect_stat /etc/vitals/hub.yaml "root:root 644"
expect_stat /lib/systemd/system/vitals-agent.service "root:root 644"
expect_stat /lib/systemd/system/vitals-hub.service "root:root 644"
expect_stat /var/lib/vitals-agent "vitals:vitals 750"
expect_stat /var/lib/vitals-hub "vitals:vitals 750"
expect_stat /usr/share/man/man1/vitals-agent.1.gz "root:root 644"
check "agent.yaml is a conffile of vitals-agent" \
  sh -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' vitals-agent | grep -q ' /etc/vitals/agent.yaml '"
check "hub.yaml is a conffile of vitals-hub" \
  sh -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' vitals-hub | grep -q ' /etc/vitals/hub.yaml '"
check "the binaries are stripped" sh -c "! file -b '$ROOT/usr/bin/vitals-hub' | grep -q 'not stripped'"

step "the system user"
pw=$(chroot "$ROOT" getent passwd vitals || true)
IFS=: read -r _ _ uid gid _ home shell <<<"$pw"
[ -n "$pw" ] && [ "$uid" -lt 1000 ] && [ "$uid" -gt 0 ] && ok "vitals is a system user (uid $uid)" || bad "vitals user: '$pw'"
[ "$shell" = /usr/sbin/nologin ] && ok "vitals has no login shell" || bad "vitals shell: $shell"
[ "$home" = /nonexistent ] && [ ! -e "$ROOT/nonexistent" ] && ok "vitals has no home directory" || bad "vitals home: $home"
check "group vitals exists and is the user's primary group" \
  sh -c "[ \"\$(chroot '$ROOT' getent group vitals | cut -d: -f3)\" = '$gid' ]"
check "the units are enabled (multi-user.target.wants)" \
  test -L "$ROOT/etc/systemd/system/multi-user.target.wants/vitals-agent.service" -a \
       -L "$ROOT/etc/systemd/system/multi-user.target.wants/vitals-hub.service"

step "the units"
for u in vitals-agent vitals-hub; do
  f=$ROOT/lib/systemd/system/$u.service
  if out=$(systemd-analyze verify --man=no --root="$ROOT" "$f" 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify $u.service: clean"
  else
    bad "systemd-analyze verify $u.service: $out"
  fi
  for want in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
              CapabilityBoundingSet= Restart=on-failure User=vitals "ReadWritePaths=/var/lib/$u"; do
    grep -qx "$want" "$f" && ok "$u: $want" || bad "$u: no line '$want'"
  done
  if score=$(systemd-analyze security --offline=yes --root="$ROOT" "$f" 2>/dev/null | tail -1); then
    printf '   info %s: %s\n' "$u" "$score"
  fi
done
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$ROOT/lib/systemd/system/vitals-agent.service" \
  && ok "vitals-agent: ExecReload sends SIGHUP" || bad "vitals-agent: no SIGHUP ExecReload"

step "the default configurations are valid"
check "vitals-agent --check-config /etc/vitals/agent.yaml" \
  in_root setpriv --reuid=vitals --regid=vitals --init-groups /usr/bin/vitals-agent --check-config --config /etc/vitals/agent.yaml
check "vitals-hub --check-config /etc/vitals/hub.yaml" \
  in_root setpriv --reuid=vitals --regid=vitals --init-groups /usr/bin/vitals-hub --check-config --config /etc/vitals/hub.yaml
check "vitalsctl --help runs" in_root /usr/bin/vitalsctl --help

# ---- 4. run the installed binaries the way their units do ----
step "start hub and agent with their units' ExecStart, User and Group"
# shellcheck disable=SC1091
. "$RUN/fixture.env"
nats_port=$(free_port); hub_port=$(free_port); agent_port=$(free_port)
mkdir -p "$WORK/nats"
nats-server -a 127.0.0.1 -p "$nats_port" -js -sd "$WORK/nats/store" -l "$WORK/logs/nats.log" \
  </dev/null >/dev/null 2>&1 &
pids+=($!)
/usr/lib/postgresql/15/bin/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres --if-exists vitals_pkg 2>/dev/null || true
/usr/lib/postgresql/15/bin/createdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_pkg \
  || die "createdb vitals_pkg failed"
# As an administrator would: edit the conffiles to point at the servers.
cat > "$ROOT/etc/vitals/hub.yaml" <<EOC
hub_id: hub-pkgtest
nats:
  url: nats://127.0.0.1:$nats_port
database:
  url: "host=127.0.0.1 port=$pg_port user=postgres dbname=vitals_pkg"
http:
  listen: "127.0.0.1:$hub_port"
EOC
cat > "$ROOT/etc/vitals/agent.yaml" <<EOC
agent_id: pkgtest
nats:
  url: nats://127.0.0.1:$nats_port
spool:
  dir: /var/lib/vitals-agent/spool
heartbeat_listen: 127.0.0.1:$agent_port
include: [/etc/vitals/conf.d/*.yaml]
checks:
  - name: hub-health
    service: vitals-hub
    kind: http
    url: http://127.0.0.1:$hub_port/healthz
    interval: 1s
    timeout: 500ms
EOC
start_unit() {  # unit name -> pid (starts ExecStart as User:Group inside the root)
  local unit=$ROOT/lib/systemd/system/$1.service exec user group
  exec=$(sed -n 's/^ExecStart=//p' "$unit")
  user=$(sed -n 's/^User=//p' "$unit"); group=$(sed -n 's/^Group=//p' "$unit")
  echo "   $1: ExecStart=$exec (User=$user Group=$group)" >&2
  # ExecStart has no quoting or variables (checked by the unit test above): plain word splitting.
  # shellcheck disable=SC2086
  setsid chroot --userspec="$user:$group" "$ROOT" env -i PATH=/usr/bin:/bin LANG=C.UTF-8 $exec \
    </dev/null >"$WORK/logs/$1.log" 2>&1 &
  echo $!
}
hub_pid=$(start_unit vitals-hub); pids+=("$hub_pid"); echo "$hub_pid" > "$RUN/pids/pkg-hub"
agent_pid=$(start_unit vitals-agent); pids+=("$agent_pid"); echo "$agent_pid" > "$RUN/pids/pkg-agent"

wait_for() {  # seconds, description, command...
  local secs=$1 what=$2; shift 2
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then bad "$what (not within ${secs}s)"; return 0; fi
    sleep 0.2
  done
  ok "$what"
}
wait_for 30 "hub /readyz answers 200 (database, NATS, migrations)" \
  curl -sf "http://127.0.0.1:$hub_port/readyz"
key=$(in_root setpriv --reuid=vitals --regid=vitals --init-groups /usr/bin/vitals-hub keys create \
  --role readonly --name pkgtest --config /etc/vitals/hub.yaml 2>"$WORK/logs/keys.log") \
  && ok "vitals-hub keys create (as user vitals)" || bad "vitals-hub keys create: $(cat "$WORK/logs/keys.log")"
hub_service_healthy() {
  curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$hub_port/api/v1/services" |
    python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if any(s["name"] == "vitals-hub" and s["status"] == "healthy" for s in d["services"]) else 1)'
}
wait_for 30 "the hub shows the agent's service vitals-hub healthy" hub_service_healthy
check "the agent serves its metrics (results published)" \
  sh -c "curl -sf http://127.0.0.1:$agent_port/metrics | grep -Eq '^vitals_agent_results_total [1-9]'"
kill -HUP "$agent_pid" || true  # what ExecReload does
sleep 1
check "the agent is still running after SIGHUP (reload)" kill -0 "$agent_pid"
check "the agent's reload succeeded" \
  sh -c "curl -sf http://127.0.0.1:$agent_port/metrics | grep -q '^vitals_config_last_reload_success 1'"
check "the agent writes its state only under /var/lib/vitals-agent (spool dir made)" \
  test -d "$ROOT/var/lib/vitals-agent/spool"
for p in "$agent_pid" "$hub_pid"; do kill "$p" 2>/dev/null || true; done
for p in "$agent_pid" "$hub_pid"; do
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
done
check "hub and agent stop on SIGTERM" sh -c "! kill -0 $agent_pid && ! kill -0 $hub_pid"
rm -f "$RUN/pids/pkg-hub" "$RUN/pids/pkg-agent"
/usr/lib/postgresql/15/bin/dropdb -h 127.0.0.1 -p "$pg_port" -U postgres vitals_pkg 2>/dev/null || true

# ---- 5. remove and purge ----
step "remove vitals-hub: binary and unit go, configuration and state stay"
in_root apt-get remove -y -q vitals-hub >"$WORK/logs/remove.log" 2>&1 || bad "apt-get remove vitals-hub"
check "/usr/bin/vitals-hub removed" test ! -e "$ROOT/usr/bin/vitals-hub"
check "vitals-hub.service removed" test ! -e "$ROOT/lib/systemd/system/vitals-hub.service"
check "/etc/vitals/hub.yaml kept after remove" test -f "$ROOT/etc/vitals/hub.yaml"
check "/var/lib/vitals-hub kept after remove" test -d "$ROOT/var/lib/vitals-hub"

step "purge vitals-agent: its configuration and state go; the user, hub files and admin files stay"
mkdir -p "$ROOT/etc/vitals/conf.d"
echo "checks: []" > "$ROOT/etc/vitals/conf.d/admin.yaml"
in_root apt-get purge -y -q vitals-agent >"$WORK/logs/purge.log" 2>&1 || bad "apt-get purge vitals-agent"
check "/usr/bin/vitals-agent removed" test ! -e "$ROOT/usr/bin/vitals-agent"
check "/etc/vitals/agent.yaml removed" test ! -e "$ROOT/etc/vitals/agent.yaml"
check "/var/lib/vitals-agent (spool) removed" test ! -e "$ROOT/var/lib/vitals-agent"
check "the agent unit's enablement removed" \
  test ! -e "$ROOT/etc/systemd/system/multi-user.target.wants/vitals-agent.service"
check "an administrator's /etc/vitals/conf.d/admin.yaml kept" test -f "$ROOT/etc/vitals/conf.d/admin.yaml"
check "/etc/vitals/hub.yaml (the other package's) kept" test -f "$ROOT/etc/vitals/hub.yaml"
check "the user vitals kept" chroot "$ROOT" getent passwd vitals

step "purge vitals-hub and vitalsctl"
in_root apt-get purge -y -q vitals-hub vitalsctl >>"$WORK/logs/purge.log" 2>&1 || bad "apt-get purge vitals-hub vitalsctl"
check "/etc/vitals/hub.yaml removed" test ! -e "$ROOT/etc/vitals/hub.yaml"
check "/var/lib/vitals-hub removed" test ! -e "$ROOT/var/lib/vitals-hub"
check "/usr/bin/vitalsctl removed" test ! -e "$ROOT/usr/bin/vitalsctl"
check "no vitals package left in dpkg's database" \
  sh -c "! chroot '$ROOT' dpkg-query -W -f='\${Package} \${Status}\n' 'vitals*' 2>/dev/null | grep -q 'installed\|config-files'"
check "the user vitals kept (documented: system users are not deleted)" chroot "$ROOT" getent passwd vitals

t1=$(date +%s)
echo "time: $((t1 - t0)) s in all, $((t_installed - t0)) s to build, lint and install"
if [ $failures -gt 0 ]; then
  echo "FAILED: $failures check(s); the logs are in $BUILD/packaging-test.logs"
  exit 1
fi
echo "packaging test passed"
