#include "hub/alerts/log_rate.hpp"

#include <cstdio>
#include <tuple>

namespace vitals::hub::alerts {

std::optional<double> errorsPerMinute(const CheckResult& r, std::optional<SystemTime> previous,
                                      const std::string& level) {
  if (r.kind != "log" || !previous || r.observed_at <= *previous) {
    return std::nullopt;
  }
  const auto it = r.details.find("count." + level);
  if (it == r.details.end()) {
    return 0.0;  // a log check that saw no line of that level
  }
  char* end = nullptr;
  const double n = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || end != it->second.c_str() + it->second.size() || n < 0) {
    return std::nullopt;
  }
  const double minutes = std::chrono::duration<double>(r.observed_at - *previous).count() / 60.0;
  return n / minutes;
}

LogRateMonitor::LogRateMonitor(store::StatusStore& store, const Clock& clock,
                               policy::ServiceRules rules, std::string level,
                               std::set<std::string> violating,
                               std::shared_ptr<spdlog::logger> logger)
    : store_(store),
      clock_(clock),
      rules_(std::move(rules)),
      level_(std::move(level)),
      logger_(std::move(logger)),
      violating_(std::move(violating)) {}

void LogRateMonitor::onCommitted(const store::IngestBatch& batch) {
  std::vector<policy::Transition> found;
  {
    std::lock_guard lock(mu_);
    for (const auto& r : batch.results) {
      if (r.kind != "log") {
        continue;
      }
      const auto key = std::make_pair(r.agent_id, r.check);
      std::optional<SystemTime> previous;
      if (auto it = last_seen_.find(key); it != last_seen_.end()) {
        previous = it->second;
      }
      last_seen_[key] = r.observed_at;
      double error_limit = 0;
      double warn_limit = 0;
      if (limits_) {
        std::tie(error_limit, warn_limit) = limits_(r.service);
      } else if (const auto rule = rules_.find(r.service); rule != rules_.end()) {
        error_limit = rule->second.log_errors_per_minute;
        warn_limit = rule->second.log_warnings_per_minute;
      }
      if (error_limit <= 0 && warn_limit <= 0) {
        continue;
      }
      // -1: not known for this result (no threshold, or no interval yet).
      const double errors =
          error_limit > 0 ? errorsPerMinute(r, previous, level_).value_or(-1.0) : -1.0;
      const double warnings =
          warn_limit > 0 ? errorsPerMinute(r, previous, "warn").value_or(-1.0) : -1.0;
      if (errors < 0 && warnings < 0) {
        continue;
      }
      const bool errors_over = errors >= 0 && errors > error_limit;
      const bool warnings_over = warnings >= 0 && warnings > warn_limit;
      const bool over = errors_over || warnings_over;
      const bool was = violating_.count(r.service) != 0;
      if (over == was) {
        continue;
      }
      // Name the rate that crossed (errors first); going back under names the errors' rate when
      // it is known.
      const bool name_warnings = over ? !errors_over : errors < 0;
      const double rate = name_warnings ? warnings : errors;
      const double limit = name_warnings ? warn_limit : error_limit;
      const std::string level = name_warnings ? std::string("warn") : level_;
      char text[160];
      std::snprintf(text, sizeof text, "%.1f %s lines/min %s the threshold of %.1f", rate,
                    level.c_str(), over ? "over" : "back under", limit);
      policy::Transition t;
      t.service = r.service;
      t.from = over ? HealthStatus::Healthy : HealthStatus::Degraded;
      t.to = over ? HealthStatus::Degraded : HealthStatus::Healthy;
      t.at = clock_.now();
      t.reason = text;
      t.agent = r.agent_id;
      t.check = r.check;
      t.cause = policy::Cause::LogRate;
      found.push_back(std::move(t));
      if (over) {
        violating_.insert(r.service);
      } else {
        violating_.erase(r.service);
      }
    }
  }
  if (found.empty()) {
    return;
  }
  if (auto s = store_.record(found); !s.ok()) {
    // The next result re-evaluates: forget the flips that were not written.
    std::lock_guard lock(mu_);
    for (const auto& t : found) {
      if (t.to == HealthStatus::Degraded) {
        violating_.erase(t.service);
      } else {
        violating_.insert(t.service);
      }
    }
    logger_->warn("could not record {} log-rate change(s): {}", found.size(), s.error().describe());
    return;
  }
  for (const auto& t : found) {
    logger_->info("service {}: {}", t.service, t.reason);
  }
  if (on_recorded_) {
    on_recorded_();
  }
}

}  // namespace vitals::hub::alerts
