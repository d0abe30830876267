-- vitals schema, version 16: agent enrollment. An admin makes a one-time token; a node spends it
-- to record its agent id and the NKEY public key it made itself; the hub writes the enrolled,
-- unrevoked identities into the nats-server users file it owns. Tokens are stored as their
-- SHA-256 only (the prefix, e.g. "ve_AbCdEfGh", is not secret and is shown in listings), are
-- spent once (used_at) and expire. Enrolled agents are never deleted, only revoked, so audit rows
-- keep naming a real identity.
CREATE TABLE enrollment_tokens (
  id         bigserial PRIMARY KEY,
  prefix     text NOT NULL,
  hash       text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  labels     jsonb NOT NULL DEFAULT '{}'::jsonb,
  creator    text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  used_by    text
);

CREATE TABLE enrolled_agents (
  agent_id    text PRIMARY KEY,
  nkey        text NOT NULL UNIQUE CHECK (nkey ~ '^U[A-Z2-7]{55}$'),
  hostname    text NOT NULL DEFAULT '',
  labels      jsonb NOT NULL DEFAULT '{}'::jsonb,
  token_id    bigint NOT NULL REFERENCES enrollment_tokens (id),
  enrolled_at timestamptz NOT NULL,
  revoked_at  timestamptz,
  revoked_by  text
);
