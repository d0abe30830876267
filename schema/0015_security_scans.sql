-- vitals schema, version 15: security scans (check kind "scan"). Written by ingest in the same
-- transaction as the scan's result; the result's event key makes a replayed scan a no-op.

-- One row per scan run that produced a report (a scanner that failed leaves only its result).
CREATE TABLE security_scans (
  id            bigserial PRIMARY KEY,
  agent_id      text NOT NULL,
  boot_id       text NOT NULL,
  seq           bigint NOT NULL,
  service       text NOT NULL,
  check_name    text NOT NULL,
  target        text NOT NULL DEFAULT '',   -- what was scanned (Trivy's ArtifactName)
  scanner       text NOT NULL,              -- 'trivy'
  status        text NOT NULL CHECK (status IN ('healthy', 'degraded', 'down', 'unknown')),
  message       text NOT NULL DEFAULT '',
  observed_at   timestamptz NOT NULL,       -- agent clock: when the scan finished
  received_at   timestamptz NOT NULL,       -- hub clock
  critical      integer NOT NULL DEFAULT 0, -- counts per severity over everything the scanner
  high          integer NOT NULL DEFAULT 0, -- reported (findings below may hold fewer when
  medium        integer NOT NULL DEFAULT 0, -- truncated)
  low           integer NOT NULL DEFAULT 0,
  unknown       integer NOT NULL DEFAULT 0,
  truncated     boolean NOT NULL DEFAULT false,
  new_count     integer NOT NULL DEFAULT 0, -- findings not in the check's previous scan
  fixed_count   integer NOT NULL DEFAULT 0, -- findings of the previous scan gone from this one
  CONSTRAINT security_scans_event_key UNIQUE (agent_id, boot_id, seq)
);
CREATE INDEX security_scans_check_idx ON security_scans (agent_id, check_name, observed_at DESC);
CREATE INDEX security_scans_service_idx ON security_scans (service, id DESC);

-- The findings of each scan, compared with the same check's previous scan: 'new' (not in it),
-- 'open' (in it too; first_seen carried over), 'fixed' (in it, gone now; a row of this scan so
-- the scan shows what it fixed). A finding is (target, vulnerability_id, package,
-- installed_version).
CREATE TABLE security_findings (
  scan_id           bigint NOT NULL REFERENCES security_scans (id) ON DELETE CASCADE,
  target            text NOT NULL,
  vulnerability_id  text NOT NULL,
  package           text NOT NULL,
  installed_version text NOT NULL,
  fixed_version     text NOT NULL DEFAULT '',
  severity          text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'unknown')),
  title             text NOT NULL DEFAULT '',
  status            text NOT NULL CHECK (status IN ('new', 'open', 'fixed')),
  first_seen        timestamptz NOT NULL,
  last_seen         timestamptz NOT NULL,
  PRIMARY KEY (scan_id, target, vulnerability_id, package, installed_version)
);
