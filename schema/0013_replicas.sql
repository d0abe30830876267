-- vitals schema, version 13: hub replicas. Which replica took which once-per-site job. The lease
-- itself is a session advisory lock (pg_try_advisory_lock); a row here is only current while
-- its `pid` still holds an advisory lock (pg_locks), which GET /api/v1/hub checks.
CREATE TABLE replica_leases (
  job    text PRIMARY KEY,
  holder text NOT NULL,         -- the replica id (replica.id in the hub config)
  pid    integer NOT NULL,      -- pg_backend_pid() of the holder's lease session
  since  timestamptz NOT NULL   -- when the holder took the job (database clock)
);
