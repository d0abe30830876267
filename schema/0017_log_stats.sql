-- vitals schema, version 17: log statistics. The log_stats job (one replica per site, under the
-- "log_stats" job lease) rolls the agents' `log` check results (details lines, count.<name>,
-- top.N) up per service into hourly and daily rows; every finished or failed period is recorded
-- in job_executions. A period is recomputed inside one transaction (its rows deleted and
-- inserted again, its execution row written), so running it twice gives the same numbers.
-- Log-rate thresholds set through the API live in log_thresholds and override hub.yaml's.
-- The job reads one hour of `log` results at a time.
CREATE INDEX health_checks_log_time_idx ON health_checks (observed_at) WHERE kind = 'log';

CREATE TABLE log_stats (
  granularity  text NOT NULL CHECK (granularity IN ('hour', 'day')),
  period_start timestamptz NOT NULL,
  service      text NOT NULL,
  results      bigint NOT NULL,                 -- log results rolled up
  lines        bigint NOT NULL,                 -- every line read (details "lines")
  errors       bigint NOT NULL,                 -- details "count.error"
  warnings     bigint NOT NULL,                 -- details "count.warn"
  levels       jsonb NOT NULL DEFAULT '{}'::jsonb,  -- every count.<name>: {"error": 5, "oom": 1}
  PRIMARY KEY (granularity, period_start, service)
);
CREATE INDEX log_stats_service_idx ON log_stats (service, granularity, period_start);

-- The most repeated messages (details top.N, "12x ERROR job # failed") per service and period.
CREATE TABLE log_top_messages (
  granularity  text NOT NULL CHECK (granularity IN ('hour', 'day')),
  period_start timestamptz NOT NULL,
  service      text NOT NULL,
  message      text NOT NULL,
  count        bigint NOT NULL,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  PRIMARY KEY (granularity, period_start, service, message)
);

-- One row per run of a period (finished or failed). The next period to run follows the newest
-- 'ok' row of its type; periods run in order, so 'ok' periods have no gaps.
CREATE TABLE job_executions (
  id           bigserial PRIMARY KEY,
  job_type     text NOT NULL,                   -- log_stats.hourly, log_stats.daily
  period_start timestamptz NOT NULL,
  period_end   timestamptz NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  status       text NOT NULL CHECK (status IN ('ok', 'failed')),
  error        text NOT NULL DEFAULT '',
  rows         bigint NOT NULL DEFAULT 0,
  replica      text NOT NULL DEFAULT ''
);
CREATE INDEX job_executions_type_period_idx ON job_executions (job_type, status, period_start);

CREATE TABLE log_thresholds (
  service             text PRIMARY KEY,
  errors_per_minute   double precision CHECK (errors_per_minute > 0),
  warnings_per_minute double precision CHECK (warnings_per_minute > 0),
  updated_at          timestamptz NOT NULL,
  updated_by          text NOT NULL DEFAULT ''
);

-- Window totals of the complete hours, made by the job once an hour so the API sums 2 rows per
-- service instead of a window's rollups: for each window (1h, 24h, 7d, 30d) and service, the
-- complete hours of the window that ends with the current hour (`cur_*`) and of the window before
-- it (`prev_*`). `base_hour` in log_stats_window_bases is the current hour they were made for;
-- the API adds that hour's rollup, and uses the rollups themselves when the base is older.
CREATE TABLE log_stats_windows (
  window_name   text NOT NULL,
  service       text NOT NULL,
  cur_results   bigint NOT NULL,
  cur_lines     bigint NOT NULL,
  cur_errors    bigint NOT NULL,
  cur_warnings  bigint NOT NULL,
  cur_levels    jsonb NOT NULL,
  prev_results  bigint NOT NULL,
  prev_lines    bigint NOT NULL,
  prev_errors   bigint NOT NULL,
  prev_warnings bigint NOT NULL,
  prev_levels   jsonb NOT NULL,
  PRIMARY KEY (window_name, service)
);
CREATE TABLE log_stats_window_bases (
  window_name text PRIMARY KEY,
  base_hour   timestamptz NOT NULL
);
