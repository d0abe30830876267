#pragma once
// The log_stats job: rolls the agents' `log` results up into hourly and daily per-service
// statistics (log_rollup.hpp), one period at a time, oldest first. It runs on the replica that
// holds the "log_stats" job lease (hub/replica/job_lease.hpp); its position is in the database
// (job_executions), so after a restart, a takeover by another replica or a gap, the periods that
// were missed are caught up in order. Every period is recomputed in one transaction (idempotent);
// a failed period is recorded and retried at the next run before any later one.
#include <spdlog/logger.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/time/clock.hpp"
#include "hub/logstats/log_stats_store.hpp"

namespace vitals::hub::logstats {

struct JobSettings {
  std::chrono::hours backfill{24};       // the first run starts this far back
  int retention_days = 90;               // rollups and executions older than this are deleted
  std::size_t top_limit = 20;            // top messages kept per service and period
  std::size_t max_periods_per_run = 48;  // the rest of a long catch-up waits for the next run
  bool refresh_current = true;           // also roll up the current, incomplete hour
};

struct RunReport {
  int hours = 0;  // complete hours rolled up
  int days = 0;
  bool current = false;  // the current hour was refreshed
  bool windows = false;  // the window totals were made for the current hour
  std::optional<std::string> error;
};

class LogStatsJob {
 public:
  LogStatsJob(LogStatsStore& store, const Clock& clock, JobSettings settings, std::string replica,
              std::shared_ptr<spdlog::logger> logger);

  // Everything due now: missed hours (in order), then days whose hours are all done, then the
  // current hour, then the window totals (once an hour), then retention (at most once an hour).
  // Stops at the first failed period.
  RunReport runDue();
  // One complete period, recorded in job_executions (ok or failed). Runs again safely.
  Status runPeriod(Granularity g, SystemTime period_start);
  const JobSettings& settings() const { return settings_; }

 private:
  SystemTime earliest(SystemTime now) const;

  LogStatsStore& store_;
  const Clock& clock_;
  JobSettings settings_;
  std::string replica_;
  std::shared_ptr<spdlog::logger> logger_;
  std::optional<SystemTime> last_prune_;
};

}  // namespace vitals::hub::logstats
