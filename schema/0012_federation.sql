-- vitals schema, version 12: federation between sites (docs/federation.md). What this hub has
-- heard from the other hubs on the bus: one row per remote hub (the registry) and one per service
-- of each (the global view). Written by the federation receiver; rebuilt from the next full
-- summary when lost.
CREATE TABLE federation_hubs (
  id                text PRIMARY KEY,
  url               text NOT NULL DEFAULT '',
  version           text NOT NULL DEFAULT '',
  capabilities      text[] NOT NULL DEFAULT '{}',
  overall_status    text NOT NULL DEFAULT 'unknown',
  last_summary_at   timestamptz,          -- the sender's timestamp of its newest summary
  last_heard_at     timestamptz,          -- this hub's clock when that summary arrived
  services_total    integer NOT NULL DEFAULT 0,
  services_up       integer NOT NULL DEFAULT 0,
  services_degraded integer NOT NULL DEFAULT 0,
  services_down     integer NOT NULL DEFAULT 0,
  services_unknown  integer NOT NULL DEFAULT 0,
  agents_online     integer NOT NULL DEFAULT 0,
  agents_total      integer NOT NULL DEFAULT 0,
  open_incidents    integer NOT NULL DEFAULT 0,
  stale             boolean NOT NULL DEFAULT false,
  registered_at     timestamptz           -- POST /api/v1/federation/register
);

CREATE TABLE federation_services (
  hub_id            text NOT NULL REFERENCES federation_hubs (id) ON DELETE CASCADE,
  name              text NOT NULL,
  type              text NOT NULL DEFAULT '',
  status            text NOT NULL,        -- healthy | degraded | down | unknown
  latency_ms        bigint NOT NULL DEFAULT 0,
  version           text NOT NULL DEFAULT '',
  uptime_seconds    bigint NOT NULL DEFAULT 0,
  endpoints_healthy integer NOT NULL DEFAULT 0,
  endpoints_total   integer NOT NULL DEFAULT 0,
  endpoints         text[] NOT NULL DEFAULT '{}',
  updated_at        timestamptz NOT NULL,
  PRIMARY KEY (hub_id, name)
);
CREATE INDEX federation_services_status ON federation_services (status);
