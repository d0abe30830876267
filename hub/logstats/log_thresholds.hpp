#pragma once
// Log-rate thresholds per service (error and warning lines per minute). hub.yaml's
// services.<name>.log_errors_per_minute / log_warnings_per_minute are the defaults; a threshold
// set through the API (PUT /api/v1/logs/thresholds/{service}) is stored in PostgreSQL
// (log_thresholds) and replaces the service's hub.yaml values on every replica. ThresholdCache is
// what the LogRateMonitor asks: hub.yaml overlaid by the stored rows, re-read every `refresh`.
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::logstats {

struct LogThreshold {
  std::string service;
  std::optional<double> errors_per_minute;    // nullopt = no threshold
  std::optional<double> warnings_per_minute;  // nullopt = no threshold
  std::optional<SystemTime> updated_at;       // stored rows only
  std::string updated_by;
  std::string source = "api";  // "api" (stored) or "config" (hub.yaml)
};

nlohmann::json toJson(const LogThreshold& t);

// A PUT body: {"errors_per_minute": 10, "warnings_per_minute": 50}; each a number > 0 (at most
// 1e9) or null (no threshold of that kind), at least one of them present, nothing else.
Result<LogThreshold> parseThresholdBody(const nlohmann::json& body, const std::string& service);

class ThresholdStore {
 public:
  virtual ~ThresholdStore() = default;
  virtual Result<std::vector<LogThreshold>> list() = 0;
  // Inserts or replaces; true when it was created.
  virtual Result<bool> put(const LogThreshold& t) = 0;
  // True when there was one.
  virtual Result<bool> remove(const std::string& service) = 0;
};

class PgThresholdStore final : public ThresholdStore {
 public:
  explicit PgThresholdStore(store::PgPool& pool) : pool_(pool) {}
  Result<std::vector<LogThreshold>> list() override;
  Result<bool> put(const LogThreshold& t) override;
  Result<bool> remove(const std::string& service) override;

 private:
  store::PgPool& pool_;
};

// hub.yaml's thresholds (the services that have one).
std::vector<LogThreshold> configuredThresholds(const policy::ServiceRules& rules);
// Configured thresholds overlaid by stored ones, by service.
std::map<std::string, LogThreshold> effectiveThresholds(const policy::ServiceRules& rules,
                                                        const std::vector<LogThreshold>& stored);

class ThresholdCache {
 public:
  ThresholdCache(ThresholdStore& store, const Clock& clock, policy::ServiceRules rules,
                 std::chrono::milliseconds refresh);
  // The service's thresholds now (0 = none). Re-reads the store when the copy is older than
  // `refresh`; keeps the last copy when the store cannot be read. Any thread.
  std::pair<double, double> limits(const std::string& service);
  // The next limits() re-reads the store (after a change through this replica's API).
  void invalidate();

 private:
  ThresholdStore& store_;
  const Clock& clock_;
  policy::ServiceRules rules_;
  std::chrono::milliseconds refresh_;
  std::mutex mu_;
  std::optional<SteadyTime> loaded_at_;
  std::map<std::string, LogThreshold> current_;
};

}  // namespace vitals::hub::logstats
