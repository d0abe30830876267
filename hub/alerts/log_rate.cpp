#include "hub/alerts/log_rate.hpp"

#include <cstdio>

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
      const auto rule = rules_.find(r.service);
      if (rule == rules_.end() || rule->second.log_errors_per_minute <= 0) {
        continue;
      }
      const auto rate = errorsPerMinute(r, previous, level_);
      if (!rate) {
        continue;
      }
      const double limit = rule->second.log_errors_per_minute;
      const bool over = *rate > limit;
      const bool was = violating_.count(r.service) != 0;
      if (over == was) {
        continue;
      }
      char text[160];
      std::snprintf(text, sizeof text, "%.1f %s lines/min %s the threshold of %.1f", *rate,
                    level_.c_str(), over ? "over" : "back under", limit);
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
