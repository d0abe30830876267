-- vitals schema, version 5: API keys. A key is shown once at creation; only its SHA-256 is
-- stored. `prefix` (the first characters of the key, e.g. "vk_AbCdEfGh") is not secret: it is
-- shown in listings and used to find the candidate rows, whose hashes are then compared in
-- constant time. Keys are never deleted, only revoked, so audit rows keep naming a real key.
CREATE TABLE api_keys (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  role         text NOT NULL CHECK (role IN ('admin', 'operator', 'readonly')),
  prefix       text NOT NULL,
  hash         text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
  creator      text NOT NULL,
  created_at   timestamptz NOT NULL,
  last_used_at timestamptz,
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX api_keys_prefix_idx ON api_keys (prefix);
