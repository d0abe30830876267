-- vitals schema, version 14: the agent lifecycle. A retired agent (agents.forget_after, or
-- DELETE /api/v1/agents/{id}) keeps its row and its history, marked by forgotten_at; it leaves
-- the current view until it registers again. An incident resolved by a clean stop of its agent
-- owes a "monitoring stopped" notice once the restart grace has passed (stop_notice_due), unless
-- the agent is back by then.
ALTER TABLE agents ADD COLUMN forgotten_at timestamptz;

ALTER TABLE alerts ADD COLUMN stop_notice_due timestamptz;
CREATE INDEX alerts_stop_notice_due ON alerts (stop_notice_due) WHERE stop_notice_due IS NOT NULL;
