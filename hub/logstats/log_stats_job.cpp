#include "hub/logstats/log_stats_job.hpp"

namespace vitals::hub::logstats {
namespace {

using std::chrono::hours;

std::int64_t rowCount(const std::vector<ServiceRollup>& rollups) {
  std::int64_t n = 0;
  for (const auto& r : rollups) {
    n += 1 + static_cast<std::int64_t>(r.top.size());
  }
  return n;
}

}  // namespace

LogStatsJob::LogStatsJob(LogStatsStore& store, const Clock& clock, JobSettings settings,
                         std::string replica, std::shared_ptr<spdlog::logger> logger)
    : store_(store),
      clock_(clock),
      settings_(settings),
      replica_(std::move(replica)),
      logger_(std::move(logger)) {}

SystemTime LogStatsJob::earliest(SystemTime now) const {
  return floorDay(now) - hours{24} * settings_.retention_days;
}

Status LogStatsJob::runPeriod(Granularity g, SystemTime period_start) {
  const auto period_end = period_start + periodLength(g);
  JobExecution e;
  e.job_type = std::string(g == Granularity::Hour ? kHourlyJob : kDailyJob);
  e.period_start = period_start;
  e.period_end = period_end;
  e.started_at = clock_.now();
  e.replica = replica_;
  Result<std::vector<ServiceRollup>> rollups = std::vector<ServiceRollup>{};
  if (g == Granularity::Hour) {
    auto raw = store_.readRaw(period_start, period_end);
    if (raw.ok()) {
      rollups = rollUp(raw.value(), settings_.top_limit);
    } else {
      rollups = raw.error();
    }
  } else {
    // A day is the sum of its hours (the raw results may be gone by then).
    auto parts = store_.readRollups(Granularity::Hour, period_start, period_end);
    if (parts.ok()) {
      rollups = merge(parts.value(), settings_.top_limit);
    } else {
      rollups = parts.error();
    }
  }
  Status written = okStatus();
  if (rollups.ok()) {
    e.rows = rowCount(rollups.value());
    e.status = "ok";
    e.finished_at = clock_.now();
    written = store_.replace(g, period_start, rollups.value(), &e);
  } else {
    written = rollups.error();
  }
  if (written.ok()) {
    logger_->debug("log stats: {} {} rolled up ({} rows)", toString(g), formatRfc3339(period_start),
                   e.rows);
    return written;
  }
  e.status = "failed";
  e.error = written.error().describe();
  e.rows = 0;
  e.finished_at = clock_.now();
  if (auto s = store_.recordExecution(e); !s.ok()) {
    logger_->debug("log stats: cannot record the failed run: {}", s.error().describe());
  }
  logger_->warn("log stats: {} {} failed: {}", toString(g), formatRfc3339(period_start), e.error);
  return written;
}

RunReport LogStatsJob::runDue() {
  RunReport report;
  const auto now = clock_.now();
  const auto floor = earliest(now);

  auto last_hour = store_.lastDone(kHourlyJob);
  if (!last_hour.ok()) {
    report.error = last_hour.error().describe();
    return report;
  }
  std::optional<SystemTime> hours_done_until;
  if (last_hour.value()) {
    hours_done_until = *last_hour.value() + hours{1};
  }
  for (const auto p :
       duePeriods(Granularity::Hour, last_hour.value(), floorHour(now) - settings_.backfill, floor,
                  now, settings_.max_periods_per_run)) {
    if (auto s = runPeriod(Granularity::Hour, p); !s.ok()) {
      report.error = s.error().describe();
      return report;
    }
    ++report.hours;
    hours_done_until = p + hours{1};
  }

  auto last_day = store_.lastDone(kDailyJob);
  auto first_hour = store_.firstDone(kHourlyJob);
  if (!last_day.ok() || !first_hour.ok()) {
    report.error = (!last_day.ok() ? last_day.error() : first_hour.error()).describe();
    return report;
  }
  for (const auto d : dueDays(last_day.value(), first_hour.value(), hours_done_until, floor,
                              settings_.max_periods_per_run)) {
    if (auto s = runPeriod(Granularity::Day, d); !s.ok()) {
      report.error = s.error().describe();
      return report;
    }
    ++report.days;
  }

  // The current hour so far: not recorded as done, it is rolled up again when complete.
  if (settings_.refresh_current && (!hours_done_until || *hours_done_until >= floorHour(now))) {
    const auto start = floorHour(now);
    auto raw = store_.readRaw(start, start + hours{1});
    if (!raw.ok()) {
      report.error = raw.error().describe();
      return report;
    }
    if (auto s = store_.replace(Granularity::Hour, start, rollUp(raw.value(), settings_.top_limit),
                                nullptr);
        !s.ok()) {
      report.error = s.error().describe();
      return report;
    }
    report.current = true;
  }

  // Every complete hour is done: the window totals for this hour, once.
  if (hours_done_until && *hours_done_until >= floorHour(now)) {
    auto base = store_.windowsBase();
    if (base.ok() && base.value() != floorHour(now)) {
      if (auto s = store_.refreshWindows(floorHour(now)); !s.ok()) {
        logger_->warn("log stats: cannot make the window totals: {}", s.error().describe());
      } else {
        report.windows = true;
      }
    }
  }

  if (!last_prune_ || now - *last_prune_ >= hours{1}) {
    if (auto s = store_.prune(floor); s.ok()) {
      last_prune_ = now;
    } else {
      logger_->warn("log stats: retention failed: {}", s.error().describe());
    }
  }
  if (report.hours > 0 || report.days > 0) {
    logger_->info("log stats: {} hour(s) and {} day(s) rolled up", report.hours, report.days);
  }
  return report;
}

}  // namespace vitals::hub::logstats
