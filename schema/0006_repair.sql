-- vitals schema, version 6: guarded auto-repair. Repair policies per service, every repair
-- decision that considered an action (approvals are a status of the same row), and the guard
-- row per (agent, action) that makes "at most one execution per cooldown" hold across hub
-- replicas and redelivered triggers. See docs/operations.md "Auto-repair guardrails".

-- The repair action names each agent registered (Registration.actions).
ALTER TABLE agents ADD COLUMN actions jsonb NOT NULL DEFAULT '[]'::jsonb;

CREATE TABLE health_policies (
  service          text PRIMARY KEY,
  enabled          boolean NOT NULL DEFAULT false,
  dry_run          boolean NOT NULL DEFAULT false,
  require_approval boolean NOT NULL DEFAULT false,
  actions          jsonb NOT NULL DEFAULT '{}'::jsonb,   -- failure class -> action name
  restart_action   text NOT NULL DEFAULT '',
  max_attempts     integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 100),
  cooldown_ms      bigint NOT NULL DEFAULT 300000 CHECK (cooldown_ms >= 0),
  circuit_breaker  integer NOT NULL DEFAULT 3 CHECK (circuit_breaker BETWEEN 1 AND 100),
  verify_after_ms  bigint NOT NULL DEFAULT 30000 CHECK (verify_after_ms >= 0),
  breaker_reset_at timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  updated_by       text NOT NULL DEFAULT ''
);

-- One row per decision that considered an action, and its execution. status:
--   skipped (a guardrail held it back), escalated (gave up: a human must look), dry-run,
--   pending -> approved | rejected | expired, approved -> running | skipped,
--   running -> succeeded | failed.
CREATE TABLE auto_repairs (
  id               bigserial PRIMARY KEY,
  service          text NOT NULL,
  agent_id         text NOT NULL DEFAULT '',
  action           text NOT NULL DEFAULT '',
  incident         text NOT NULL DEFAULT '',
  trigger          text NOT NULL CHECK (trigger IN ('transition', 'verify', 'manual')),
  failure_class    text,
  decision         text NOT NULL,
  reasons          jsonb NOT NULL DEFAULT '[]'::jsonb,
  status           text NOT NULL CHECK (status IN ('skipped', 'escalated', 'dry-run', 'pending',
                     'approved', 'rejected', 'expired', 'running', 'succeeded', 'failed')),
  requested_by     text NOT NULL,
  decided_by       text,            -- who approved / rejected
  decided_at       timestamptz,
  expires_at       timestamptz,     -- pending only
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,     -- database clock, when the guard let it run
  finished_at      timestamptz,
  request_id       text UNIQUE,     -- the agent's idempotency key
  outcome          text,            -- the agent's: ok, failed, rejected, timeout, duplicate, no-reply
  exit_code        integer,
  duration_ms      bigint,
  output           text,            -- capped by the agent and again here
  output_truncated boolean,
  error            text,
  cooldown_ms      bigint,          -- the policy's, when decided
  verify_after_ms  bigint,
  verified         boolean,         -- NULL: not verified (yet)
  verified_at      timestamptz,
  verify_message   text
);
CREATE INDEX auto_repairs_service_idx ON auto_repairs (service, id DESC);
CREATE INDEX auto_repairs_incident_idx ON auto_repairs (incident);
CREATE INDEX auto_repairs_started_idx ON auto_repairs (started_at) WHERE started_at IS NOT NULL;
CREATE INDEX auto_repairs_open_idx ON auto_repairs (status)
  WHERE status IN ('pending', 'approved', 'running');

-- The last execution start per (agent, action). An execution commits only if its conditional
-- upsert of this row succeeds (the previous start is at least one cooldown ago, by the database
-- clock), in the same transaction as its auto_repairs row and its audit row, before the agent is
-- asked: two hubs or a redelivered trigger cannot both pass.
CREATE TABLE repair_guard (
  agent_id        text NOT NULL,
  action          text NOT NULL,
  last_started_at timestamptz NOT NULL,
  repair_id       bigint NOT NULL,
  PRIMARY KEY (agent_id, action)
);
