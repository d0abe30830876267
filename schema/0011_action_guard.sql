-- vitals schema, version 11: one guard for every action the hub asks an agent to run. Repairs,
-- quick actions and inbound events all start an action through the same transaction
-- (hub/repair/pg_repair_store.cpp, guardAndAudit): an auto_repairs row, a conditional upsert of
-- the action_guard row of (agent, action) by the database clock, the global rate limit and the
-- audit row commit together before the agent is asked. The two guard tables of versions 6
-- (repair_guard) and 8 (event_action_guard) are merged here; per (agent, action) the newest
-- start wins, so a cooldown that was running before the upgrade keeps running.
CREATE TABLE action_guard (
  agent_id        text NOT NULL,
  action          text NOT NULL,
  last_started_at timestamptz NOT NULL,
  request_id      text NOT NULL,   -- the agent's idempotency key of that start
  repair_id       bigint,          -- its auto_repairs row (NULL for starts made before v11)
  PRIMARY KEY (agent_id, action)
);

INSERT INTO action_guard (agent_id, action, last_started_at, request_id, repair_id)
SELECT agent_id, action, last_started_at, 'repair-' || repair_id, repair_id FROM repair_guard;

INSERT INTO action_guard AS g (agent_id, action, last_started_at, request_id, repair_id)
SELECT agent_id, action, last_started_at, request_id, NULL FROM event_action_guard
ON CONFLICT (agent_id, action) DO UPDATE
  SET last_started_at = EXCLUDED.last_started_at, request_id = EXCLUDED.request_id,
      repair_id = NULL
  WHERE g.last_started_at < EXCLUDED.last_started_at;

DROP TABLE repair_guard;
DROP TABLE event_action_guard;

-- Inbound events are a trigger of the same row; their action parameters are kept with it so
-- that an event waiting for approval runs with the parameters it came with.
ALTER TABLE auto_repairs DROP CONSTRAINT auto_repairs_trigger_check;
ALTER TABLE auto_repairs ADD CONSTRAINT auto_repairs_trigger_check
  CHECK (trigger IN ('transition', 'verify', 'manual', 'event'));
ALTER TABLE auto_repairs ADD COLUMN params jsonb NOT NULL DEFAULT '{}'::jsonb;
