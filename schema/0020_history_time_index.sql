-- vitals schema, version 20: indexes for the cross-service history.
-- Cross-service history (GET /api/v1/history): newest first over every service, which the
-- per-service index cannot serve. Results arrive in time order, so this index grows at its
-- right edge and costs less per row than the (service, observed_at) one.
CREATE INDEX health_checks_time_idx ON health_checks (observed_at DESC);

-- The same for "what went wrong lately" (status filters without healthy): small, because most
-- results are healthy.
CREATE INDEX health_checks_unhealthy_time_idx ON health_checks (observed_at DESC)
  WHERE status <> 'healthy';
