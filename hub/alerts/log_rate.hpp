#pragma once
// Log-rate thresholds: errors and warnings per minute from a service's `log` checks (the agent
// counts lines per level in each interval: details "count.<level>") against the service's
// thresholds (hub.yaml's log_errors_per_minute / log_warnings_per_minute, or the ones set
// through the API: setLimits). Crossing either threshold records a transition with cause log_rate
// in status_changes (no uptime window: it is not the service's status), which the alert engine
// turns into a log_rate incident like any other; going back under resolves it.
#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/model/check_result.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/policy/transition.hpp"
#include "hub/store/event_store.hpp"
#include "hub/store/status_store.hpp"

namespace vitals::hub::alerts {

// Errors per minute in one log result: count.<level> over the time since the check's previous
// result. nullopt when it is not a log result with that count, or the interval is unknown.
std::optional<double> errorsPerMinute(const CheckResult& r, std::optional<SystemTime> previous,
                                      const std::string& level);

// A service's thresholds in lines per minute: errors, warnings (0 = none).
using LogRateLimits = std::function<std::pair<double, double>(const std::string& service)>;

class LogRateMonitor {
 public:
  // `violating`: services with an open log_rate incident (read at start).
  LogRateMonitor(store::StatusStore& store, const Clock& clock, policy::ServiceRules rules,
                 std::string level, std::set<std::string> violating,
                 std::shared_ptr<spdlog::logger> logger);
  // Called after each committed ingest batch (ingest thread). `on_recorded` runs when a
  // transition was written (wakes the alert engine).
  void onCommitted(const store::IngestBatch& batch);
  void onRecorded(std::function<void()> fn) { on_recorded_ = std::move(fn); }
  // Where the thresholds come from; unset: the rules' log_errors_per_minute and
  // log_warnings_per_minute. Set before the first batch.
  void setLimits(LogRateLimits fn) { limits_ = std::move(fn); }

 private:
  store::StatusStore& store_;
  const Clock& clock_;
  policy::ServiceRules rules_;
  std::string level_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void()> on_recorded_;
  LogRateLimits limits_;
  std::mutex mu_;
  std::set<std::string> violating_;
  std::map<std::pair<std::string, std::string>, SystemTime> last_seen_;  // (agent, check)
};

}  // namespace vitals::hub::alerts
