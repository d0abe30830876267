#!/bin/sh
# Entry point of the vitals-postgres image: on first start (an empty $PGDATA) make the cluster,
# the role and database `vitals` (password from $POSTGRES_PASSWORD_FILE; scram-sha-256 over
# TCP, peer on the socket), then run the server in the foreground with the given options.
#   postgres-entrypoint.sh [postgres options, e.g. -c port=5432 -c listen_addresses=127.0.0.1]
set -eu
bin=/usr/lib/postgresql/15/bin
: "${PGDATA:=/var/lib/postgresql/data}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=${POSTGRES_PASSWORD_FILE:-}
  [ -n "$pwfile" ] && [ -r "$pwfile" ] || {
    echo "postgres-entrypoint: POSTGRES_PASSWORD_FILE must name a readable file" >&2
    exit 1
  }
  "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # The role and database, through a temporary server that listens on no TCP port.
  sock=$(mktemp -d)
  "$bin/pg_ctl" -D "$PGDATA" -w -s -o "-c listen_addresses='' -k $sock" start
  pw=$(cat "$pwfile")
  "$bin/psql" -h "$sock" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -v pw="$pw" <<'SQL'
CREATE ROLE vitals LOGIN PASSWORD :'pw';
CREATE DATABASE vitals OWNER vitals;
SQL
  "$bin/pg_ctl" -D "$PGDATA" -w -s -m fast stop
  rmdir "$sock"
fi
exec "$bin/postgres" -D "$PGDATA" -c jit=off "$@"
