#!/usr/bin/env bash
# What the cross-service history indexes cost the ingest: COPYs the same rows into two tables
# shaped like health_checks, one with the indexes it had before the history indexes and one
# with them too, alternating, and prints rows/s of each and their ratio (median of the runs).
# Starts and stops a private PostgreSQL (the test fixture).
#   bench/run-history-index.sh [--rows N (200000)] [--runs N (5)] [--services N (10000)]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=200000 RUNS=5 SERVICES=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --services) SERVICES=$2; shift 2 ;;
    *) echo "usage: $0 [--rows N] [--runs N] [--services N]" >&2; exit 2 ;;
  esac
done
export VITALS_TEST_RUN=/tmp/vitals-bench-$$
"$ROOT/tests/fixtures/services.sh" start >/dev/null
CSV=/tmp/vitals-history-index-$$.csv  # written and read by the PostgreSQL server process
trap 'rm -f "$CSV"; "$ROOT/tests/fixtures/services.sh" stop' EXIT
. <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$VITALS_TEST_RUN/fixture.env")
q() { psql "$pg_conninfo" -qAtX -v ON_ERROR_STOP=1 "$@"; }

# The columns of health_checks (schema/0001_initial.sql) with the indexes it had before the
# history indexes (event key, service+time, log rows by time), and the same plus those two.
for t in before after; do
  q <<SQL
CREATE TABLE hc_$t (
  agent_id text NOT NULL, boot_id text NOT NULL, seq bigint NOT NULL, service text NOT NULL,
  check_name text NOT NULL, kind text NOT NULL DEFAULT '', status text NOT NULL,
  raw_status text NOT NULL, latency_us bigint NOT NULL, message text NOT NULL DEFAULT '',
  details jsonb, failure_kind text NOT NULL DEFAULT 'none', attempt bigint NOT NULL DEFAULT 1,
  consecutive_failures bigint NOT NULL DEFAULT 0, flapping boolean NOT NULL DEFAULT false,
  observed_at timestamptz NOT NULL, received_at timestamptz NOT NULL,
  UNIQUE (agent_id, boot_id, seq, observed_at));
CREATE INDEX ON hc_$t (service, observed_at DESC);
CREATE INDEX ON hc_$t (observed_at) WHERE kind = 'log';
SQL
done
q -c "CREATE INDEX ON hc_after (observed_at DESC)" \
  -c "CREATE INDEX ON hc_after (observed_at DESC) WHERE status <> 'healthy'"

# Rows as the ingest writes them: services spread over agents, in time order, 3% not healthy.
q -c "COPY (SELECT 'agent-' || (i % 1000), 'boot', i, 'svc-' || (i % $SERVICES), 'http', 'http',
         s, s, 1500 + i % 700, CASE WHEN s = 'healthy' THEN 'ok' ELSE 'connection refused' END,
         NULL, 'none', 1, 0, false,
         now() - interval '1 hour' + i * interval '10 ms', now()
       FROM (SELECT i, CASE WHEN i % 100 < 97 THEN 'healthy' WHEN i % 100 < 99 THEN 'down'
                            ELSE 'degraded' END AS s
             FROM generate_series(1, $ROWS) i) g) TO '$CSV' WITH (FORMAT csv)"

copy_rate() {  # table -> rows/s of one COPY of the file into the emptied table
  q -c "TRUNCATE $1" -c "CHECKPOINT" >/dev/null
  local t0 t1
  t0=$(date +%s.%N)
  q -c "COPY $1 FROM '$CSV' WITH (FORMAT csv)"
  t1=$(date +%s.%N)
  python3 -c "print(round($ROWS / ($t1 - $t0)))"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $ROWS rows, $SERVICES services"
printf '%-4s %16s %16s %7s\n' run "before rows/s" "after rows/s" ratio
before=() after=()
for r in $(seq "$RUNS"); do
  b=$(copy_rate hc_before)
  a=$(copy_rate hc_after)
  before+=("$b") after+=("$a")
  printf '%-4s %16s %16s %7s\n' "$r" "$b" "$a" "$(python3 -c "print(f'{$a / $b:.2f}')")"
done
python3 - "${before[*]}" "${after[*]}" <<'PY'
import statistics, sys
b = [float(x) for x in sys.argv[1].split()]
a = [float(x) for x in sys.argv[2].split()]
ratios = [y / x for x, y in zip(b, a)]
print(f"median {statistics.median(b):16.0f} {statistics.median(a):16.0f} {statistics.median(ratios):7.2f}")
PY
