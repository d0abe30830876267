-- vitals schema, version 10: alert configuration and notification delivery (the outbox).
-- All times are the hub's clock. Versions 0002..0009 belong to status/uptime work; migrations
-- are applied by version, so a gap is filled when its file arrives.

-- Per-service alert configuration (CRUD under /api/v1/alerts/configs). channels: JSON array of
-- channel names from the hub config's notify.channels, in escalation order.
CREATE TABLE health_alert_configs (
  service                    text PRIMARY KEY,
  channels                   jsonb NOT NULL DEFAULT '[]'::jsonb
                             CHECK (jsonb_typeof(channels) = 'array'),
  escalation_delay_seconds   integer NOT NULL DEFAULT 0 CHECK (escalation_delay_seconds >= 0),
  suppression_window_seconds integer NOT NULL DEFAULT 3600
                             CHECK (suppression_window_seconds >= 0),
  recovery_notice            boolean NOT NULL DEFAULT true,
  min_severity               text NOT NULL DEFAULT 'degraded'
                             CHECK (min_severity IN ('degraded', 'down', 'unknown')),
  enabled                    boolean NOT NULL DEFAULT true,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- Notification intents, written in the transaction of the state change that caused them.
-- idempotency_key = incident:transition:channel, so writing the same intent twice is harmless
-- and receivers can deduplicate the at-most-one re-send after a hub dies mid-send.
-- status: pending (waiting for next_attempt_at), sending (claimed by a sender until
-- next_attempt_at; a sender that died leaves it to be re-claimed then), delivered, failed
-- (gave up after the maximum attempts or a permanent error).
CREATE TABLE notification_outbox (
  id              bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  channel         text NOT NULL,
  payload         jsonb NOT NULL,
  created_at      timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
  last_error      text NOT NULL DEFAULT '',
  delivered_at    timestamptz
);
-- The senders' claim query: due rows of one channel that are not finished.
CREATE INDEX notification_outbox_due_idx ON notification_outbox (channel, next_attempt_at)
  WHERE status IN ('pending', 'sending');
CREATE INDEX notification_outbox_status_idx ON notification_outbox (status, id DESC);

-- Every delivery attempt and its outcome.
CREATE TABLE notification_attempts (
  id          bigserial PRIMARY KEY,
  outbox_id   bigint NOT NULL REFERENCES notification_outbox (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
  http_status integer,
  error       text NOT NULL DEFAULT '',
  duration_ms integer NOT NULL DEFAULT 0
);
CREATE INDEX notification_attempts_outbox_idx ON notification_attempts (outbox_id, at);
