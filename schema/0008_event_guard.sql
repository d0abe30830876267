-- vitals schema, version 8: the cross-hub cooldown of inbound-event actions. One row per
-- (agent, action): when it last started (database clock) and by which request. A start within
-- the rule's cooldown is refused by a conditional upsert (hub/events/guarded_action_runner.cpp).
CREATE TABLE event_action_guard (
  agent_id        text NOT NULL,
  action          text NOT NULL,
  last_started_at timestamptz NOT NULL,
  request_id      text NOT NULL,
  PRIMARY KEY (agent_id, action)
);
