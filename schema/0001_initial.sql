-- vitals schema, version 1: catalog (agents, services, checks) and the health_checks time
-- series. Applied by vitals-hub in one transaction and recorded in schema_migrations.
-- Times are timestamptz (UTC); latencies are integer microseconds.

-- Agents, from Registration / Heartbeat / deregistration and any message they send.
CREATE TABLE agents (
  agent_id              text PRIMARY KEY,
  hostname              text NOT NULL DEFAULT '',
  version               text NOT NULL DEFAULT '',
  boot_id               text NOT NULL DEFAULT '',
  labels                jsonb NOT NULL DEFAULT '{}'::jsonb,
  config_hash           text NOT NULL DEFAULT '',
  first_seen            timestamptz NOT NULL,
  last_seen             timestamptz NOT NULL,
  registered_at         timestamptz,
  deregistered_at       timestamptz,          -- set by a clean stop, cleared by the next registration
  check_count           integer NOT NULL DEFAULT 0,
  heartbeat_interval_ms bigint
);

CREATE TABLE services (
  name       text PRIMARY KEY,
  first_seen timestamptz NOT NULL,
  last_seen  timestamptz NOT NULL
);

-- One row per (agent, check): its registered spec and the newest result (by the agent's
-- (boot, seq) order: same boot -> higher seq; another boot -> later observed_at).
CREATE TABLE checks (
  agent_id            text NOT NULL,
  name                text NOT NULL,
  service             text NOT NULL,
  kind                text NOT NULL DEFAULT '',
  target              text NOT NULL DEFAULT '',
  interval_ms         bigint,
  timeout_ms          bigint,
  retries             integer,
  degraded_latency_ms bigint,
  registered_at       timestamptz,
  last_status         text CHECK (last_status IN ('healthy', 'degraded', 'down', 'unknown')),
  last_raw_status     text CHECK (last_raw_status IN ('healthy', 'degraded', 'down', 'unknown')),
  last_latency_us     bigint,
  last_message        text,
  last_checked        timestamptz,
  last_boot_id        text,
  last_seq            bigint,
  last_failure_kind   text,
  PRIMARY KEY (agent_id, name)
);
CREATE INDEX checks_service_idx ON checks (service);

-- Every result, partitioned by day of observed_at (UTC). The hub creates the daily partitions
-- ahead of time and DROPs those past retention; rows for days without a partition land in the
-- DEFAULT partition and are moved out when their day's partition is created.
-- The event key (agent_id, boot_id, seq) makes replays harmless; PostgreSQL needs the partition
-- key in every unique constraint, and a replay carries the same observed_at.
CREATE TABLE health_checks (
  agent_id             text NOT NULL,
  boot_id              text NOT NULL,
  seq                  bigint NOT NULL CHECK (seq > 0),
  service              text NOT NULL,
  check_name           text NOT NULL,
  kind                 text NOT NULL DEFAULT '',
  status               text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down', 'unknown')),
  raw_status           text NOT NULL CHECK (raw_status IN ('healthy', 'degraded', 'down', 'unknown')),
  latency_us           bigint NOT NULL,
  message              text NOT NULL DEFAULT '',
  details              jsonb,
  failure_kind         text NOT NULL DEFAULT 'none',
  attempt              bigint NOT NULL DEFAULT 1,
  consecutive_failures bigint NOT NULL DEFAULT 0,
  flapping             boolean NOT NULL DEFAULT false,
  observed_at          timestamptz NOT NULL,
  received_at          timestamptz NOT NULL,
  CONSTRAINT health_checks_event_key UNIQUE (agent_id, boot_id, seq, observed_at)
) PARTITION BY RANGE (observed_at);

CREATE TABLE health_checks_default PARTITION OF health_checks DEFAULT;

-- Service detail and history pages: newest first within one service.
CREATE INDEX health_checks_service_time_idx ON health_checks (service, observed_at DESC);
