# Sourced by bench/run-*.sh: a private nats-server + PostgreSQL (the test fixture) and one
# vitals-hub, stopped again when the script exits.
#   . "$ROOT/bench/stack.sh"
#   stack_start NAME                 fixture under /tmp/vitals-bench-NAME-$$; sets nats_url,
#                                    pg_conninfo, pg_port, ... (fixture.env), RUN, BIN
#   stack_hub_config EXTRA_YAML      writes $RUN/hub.yaml (listen on a free port: $PORT) plus EXTRA
#   stack_hub_start                  starts the hub ($HUB is its PID) and waits for /readyz
#   free_port                        prints a free loopback port
# Needs ROOT (the checkout). VITALS_BUILD_DIR overrides ROOT/build.
BIN=${VITALS_BUILD_DIR:-$ROOT/build}/bin

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

stack_stop() {
  if [ -n "${HUB:-}" ]; then kill "$HUB" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  "$ROOT/tests/fixtures/services.sh" stop
}

stack_start() {
  export VITALS_TEST_RUN=/tmp/vitals-bench-$1-$$
  RUN=$VITALS_TEST_RUN
  "$ROOT/tests/fixtures/services.sh" start >/dev/null
  trap stack_stop EXIT
  . <(sed 's/^\([a-z_]*\)=\(.*\)$/\1="\2"/' "$RUN/fixture.env")
  PORT=$(free_port)
}

stack_hub_config() {
  cat > "$RUN/hub.yaml" <<EOC
hub_id: bench
nats: {url: "$nats_url"}
database: {url: "$pg_conninfo"}
http: {listen: "127.0.0.1:$PORT"}
log: {level: warn}
$1
EOC
}

stack_hub_start() {
  "$BIN/vitals-hub" --config "$RUN/hub.yaml" </dev/null >"$RUN/hub.log" 2>&1 &
  HUB=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "vitals-hub did not become ready; its log:" >&2
  tail -20 "$RUN/hub.log" >&2
  return 1
}
