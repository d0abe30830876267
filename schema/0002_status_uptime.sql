-- vitals schema, version 2: service status transitions, agent liveness and uptime history.
-- All times are the hub's clock.

-- Keepalive: set by the staleness sweeper when an agent misses its deadline, cleared when it is
-- heard from again. Clock skew (agent sent_at - hub received_at, ms) beyond the threshold, NULL
-- when within it.
ALTER TABLE agents ADD COLUMN unreachable_since timestamptz;
ALTER TABLE agents ADD COLUMN clock_skew_ms bigint;

-- Every service status transition (and the grouped "N agents unreachable" events, service
-- '_agents'). Written right after the ingest commit, in one transaction with the uptime window
-- it closes and opens.
CREATE TABLE status_changes (
  id          bigserial PRIMARY KEY,
  service     text NOT NULL,
  from_status text NOT NULL CHECK (from_status IN ('healthy', 'degraded', 'down', 'unknown')),
  to_status   text NOT NULL CHECK (to_status IN ('healthy', 'degraded', 'down', 'unknown')),
  at          timestamptz NOT NULL,
  reason      text NOT NULL DEFAULT '',
  agent_id    text NOT NULL DEFAULT '',
  check_name  text NOT NULL DEFAULT '',
  cause       text NOT NULL DEFAULT 'check'
);
CREATE INDEX status_changes_service_at_idx ON status_changes (service, at DESC);

-- One row per continuous status window of a service; ended_at NULL = the ongoing one (at most
-- one per service). rolled_until: how far the window is already counted in uptime_hourly.
CREATE TABLE uptime_records (
  id               bigserial PRIMARY KEY,
  service          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down', 'unknown')),
  started_at       timestamptz NOT NULL,
  ended_at         timestamptz,
  duration_seconds double precision,
  rolled_until     timestamptz NOT NULL
);
CREATE UNIQUE INDEX uptime_records_open_idx ON uptime_records (service) WHERE ended_at IS NULL;
CREATE INDEX uptime_records_service_time_idx ON uptime_records (service, started_at DESC);

-- Hourly rollups: seconds per status within the hour, and the service's running totals up to
-- the end of the hour (so a window is the difference of two rows).
CREATE TABLE uptime_hourly (
  service          text NOT NULL,
  hour             timestamptz NOT NULL,
  healthy_seconds  double precision NOT NULL DEFAULT 0,
  degraded_seconds double precision NOT NULL DEFAULT 0,
  down_seconds     double precision NOT NULL DEFAULT 0,
  unknown_seconds  double precision NOT NULL DEFAULT 0,
  cum_healthy      double precision NOT NULL DEFAULT 0,
  cum_degraded     double precision NOT NULL DEFAULT 0,
  cum_down         double precision NOT NULL DEFAULT 0,
  cum_unknown      double precision NOT NULL DEFAULT 0,
  PRIMARY KEY (service, hour)
);
