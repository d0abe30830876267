#!/usr/bin/env bash
# Agent footprint next to blackbox_exporter (issue 3). Installs Debian's
# prometheus-blackbox-exporter when missing, then runs bench_agent, which starts its own targets,
# a private nats-server (JetStream + the VITALS stream), vitals-agent and the exporter on
# 127.0.0.1 ports 37000-37099 (--port-base P: P to P+99) and stops them all.
#   bench/run-agent.sh [bench_agent args, e.g. --http 1000 --tcp 1000 --intervals 1s,10s,100ms --seconds 20]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin
EXPORTER=/usr/bin/prometheus-blackbox-exporter
if [ ! -x "$EXPORTER" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q prometheus-blackbox-exporter >/dev/null
fi
WORK=$(mktemp -d /tmp/vitals-bench-agent.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "blackbox_exporter $(dpkg-query -W -f='${Version}' prometheus-blackbox-exporter), $(nats-server --version)"
"$BIN/bench_agent" --agent "$BIN/vitals-agent" --exporter "$EXPORTER" --workdir "$WORK" "$@"
