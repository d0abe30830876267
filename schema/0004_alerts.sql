-- vitals schema, version 4: the alert policy. Incidents (alerts), their timeline
-- (alert_events), silences and maintenance windows, and the policy's read position in
-- status_changes (alert_cursor).
--
-- The alert engine consumes status_changes in id order. Each step runs in one transaction that
-- locks alert_cursor, applies the changes to incidents, writes the outbox rows and advances the
-- cursor: a change is acted on exactly once, by one hub, also across crashes and restarts.

ALTER TABLE status_changes ADD COLUMN flapping boolean NOT NULL DEFAULT false;

CREATE TABLE alert_cursor (
  id             integer PRIMARY KEY CHECK (id = 1),
  last_change_id bigint NOT NULL
);
-- History recorded before the policy existed is not alerted on.
INSERT INTO alert_cursor (id, last_change_id) SELECT 1, COALESCE(max(id), 0) FROM status_changes;

-- One incident per (service, kind) while open. kind: status (the service's status), log_rate
-- (errors per minute over the threshold), agents (the grouped "N agents unreachable").
CREATE TABLE alerts (
  id               bigserial PRIMARY KEY,
  service          text NOT NULL,
  kind             text NOT NULL DEFAULT 'status' CHECK (kind IN ('status', 'log_rate', 'agents')),
  state            text NOT NULL CHECK (state IN ('open', 'resolved')),
  status           text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down', 'unknown')),
  worst_status     text NOT NULL CHECK (worst_status IN ('healthy', 'degraded', 'down', 'unknown')),
  reason           text NOT NULL DEFAULT '',
  agent_id         text NOT NULL DEFAULT '',
  check_name       text NOT NULL DEFAULT '',
  opened_at        timestamptz NOT NULL,
  resolved_at      timestamptz,
  -- Why nothing was sent: the silence that covered it, or the dependency that was down.
  silenced_by      bigint,
  root_cause       text NOT NULL DEFAULT '',
  -- Delivery progress: notified = something went out (so the recovery notice must go too);
  -- level = the highest index of the config's channels notified so far.
  notified         boolean NOT NULL DEFAULT false,
  level            integer NOT NULL DEFAULT -1,
  level_at         timestamptz,
  last_notified_at timestamptz,
  reminders        integer NOT NULL DEFAULT 0,
  flapping         boolean NOT NULL DEFAULT false,
  transitions      integer NOT NULL DEFAULT 1,
  acked_at         timestamptz,
  acked_by         text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX alerts_open_idx ON alerts (service, kind) WHERE state = 'open';
CREATE INDEX alerts_state_idx ON alerts (state, id DESC);

-- The incident's timeline: every change considered and what the policy did with it
-- (opened, changed, notified, suppressed, silenced, inhibited, escalated, reminder, acked,
-- flapping-started, flapping-stopped, superseded, resolved). Delivery attempts are in
-- notification_attempts (by outbox row).
CREATE TABLE alert_events (
  id        bigserial PRIMARY KEY,
  alert_id  bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  at        timestamptz NOT NULL,
  event     text NOT NULL,
  channel   text NOT NULL DEFAULT '',
  detail    text NOT NULL DEFAULT ''
);
CREATE INDEX alert_events_alert_idx ON alert_events (alert_id, id);

-- Silences and maintenance windows. Matchers are glob patterns ('*' = any). A silenced change
-- is recorded but not notified; a maintenance window also leaves its time out of uptime (for
-- the services it names when agent and check are '*'). Expiring sets ends_at to now.
CREATE TABLE silences (
  id          bigserial PRIMARY KEY,
  service     text NOT NULL DEFAULT '*',
  agent       text NOT NULL DEFAULT '*',
  check_name  text NOT NULL DEFAULT '*',
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL,
  maintenance boolean NOT NULL DEFAULT false,
  comment     text NOT NULL DEFAULT '',
  creator     text NOT NULL,
  created_at  timestamptz NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX silences_ends_idx ON silences (ends_at);
