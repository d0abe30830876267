-- vitals schema, version 7: pre-flight overrides and inbound events.
--
-- An admin override lets a failed pre-flight check count as passed until it expires or is
-- revoked. Rows are never deleted: a revoke sets revoked_at/revoked_by (the audit_log has the
-- who and why of both).
CREATE TABLE preflight_overrides (
  id          bigserial PRIMARY KEY,
  check_name  text NOT NULL,
  reason      text NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  revoked_by  text,
  CHECK (expires_at > created_at)
);
CREATE INDEX preflight_overrides_active_idx ON preflight_overrides (expires_at)
  WHERE revoked_at IS NULL;

-- Events from other tools (POST /api/v1/events, NATS vitals.events.<source>) and what the
-- rules made of them. One row per accepted event; refused ones (400/403/422) leave none.
CREATE TABLE inbound_events (
  id            bigserial PRIMARY KEY,
  source        text NOT NULL,            -- "http:key:3", "http:hmac", "nats:<source>"
  event_type    text NOT NULL,
  target        text NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  rule          text NOT NULL DEFAULT '', -- the matching rule's name
  agent_id      text NOT NULL DEFAULT '',
  action        text NOT NULL DEFAULT '',
  params        jsonb NOT NULL DEFAULT '{}'::jsonb,
  outcome       text NOT NULL DEFAULT 'accepted', -- accepted, ok, failed, rejected, timeout,
                                                  -- cooldown, unavailable, dry-run
  detail        text NOT NULL DEFAULT '',
  received_at   timestamptz NOT NULL,
  finished_at   timestamptz
);
CREATE INDEX inbound_events_received_idx ON inbound_events (received_at DESC, id DESC);
