-- vitals schema, version 22: the agents' named actions with their parameters and limits, as
-- each agent's registration describes them (the inventory of GET /api/v1/agents). NULL for an
-- agent that sent action names only (`actions`).
ALTER TABLE agents ADD COLUMN action_specs jsonb;
