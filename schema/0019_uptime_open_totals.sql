-- Each open status window carries its service's running totals as of rolled_until (the same
-- numbers as the service's newest uptime_hourly row). Uptime over a window for every service is
-- then one row per service plus the totals at the window's start, which never change once
-- rolled up and are cached by the hub, instead of two rollup probes per service.
ALTER TABLE uptime_records
  ADD COLUMN cum_healthy  double precision NOT NULL DEFAULT 0,
  ADD COLUMN cum_degraded double precision NOT NULL DEFAULT 0,
  ADD COLUMN cum_down     double precision NOT NULL DEFAULT 0,
  ADD COLUMN cum_unknown  double precision NOT NULL DEFAULT 0;

UPDATE uptime_records r
   SET cum_healthy = l.cum_healthy, cum_degraded = l.cum_degraded,
       cum_down = l.cum_down, cum_unknown = l.cum_unknown
  FROM (SELECT DISTINCT ON (service) service, cum_healthy, cum_degraded, cum_down, cum_unknown
          FROM uptime_hourly ORDER BY service, hour DESC) l
 WHERE r.service = l.service AND r.ended_at IS NULL;
