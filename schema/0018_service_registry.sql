-- vitals schema, version 18: the service registry's operator-owned fields and the checks managed
-- through the API. Both live here so every replica of a site serves the same values.
--
-- service_meta: what operators say about a service (PUT /api/v1/services/{name}); the fields the
-- agents know (type, endpoints, containers) come from their registrations and are not stored here.
CREATE TABLE service_meta (
  name        text PRIMARY KEY,
  owner       text NOT NULL DEFAULT '',
  tags        text[] NOT NULL DEFAULT '{}',
  depends_on  text[] NOT NULL DEFAULT '{}',
  version     text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  updated_at  timestamptz NOT NULL,
  updated_by  text NOT NULL
);

-- api_checks: one row per (agent, check) created through /api/v1/agents/{id}/checks. The hub
-- sends an agent its whole set (set-checks) after every change and whenever the agent
-- registers; `state` is what the agent last answered: pending (not confirmed yet), applied,
-- error (`error` says why), deleting (removed, until the agent confirms the smaller set).
-- `generation` grows with every change, so a confirmation only settles the version it was for.
CREATE TABLE api_checks (
  agent_id    text NOT NULL,
  name        text NOT NULL,
  service     text NOT NULL,
  kind        text NOT NULL,
  definition  jsonb NOT NULL,
  state       text NOT NULL DEFAULT 'pending'
              CHECK (state IN ('pending', 'applied', 'error', 'deleting')),
  error       text NOT NULL DEFAULT '',
  generation  bigint NOT NULL DEFAULT 1,
  created_at  timestamptz NOT NULL,
  created_by  text NOT NULL,
  updated_at  timestamptz NOT NULL,
  updated_by  text NOT NULL,
  applied_at  timestamptz,
  PRIMARY KEY (agent_id, name)
);
