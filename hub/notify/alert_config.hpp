#pragma once
// Per-service alert configuration (table health_alert_configs), read by the alert policy and
// managed through /api/v1/alerts/configs. Parsing is pure; storage is behind AlertConfigStore.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error/result.hpp"

namespace vitals::hub::notify {

struct AlertConfig {
  std::string service;
  std::vector<std::string> channels;  // escalation order; names from notify.channels
  int escalation_delay_seconds = 0;   // 0 = no escalation
  int suppression_window_seconds = 3600;
  bool recovery_notice = true;
  std::string min_severity = "degraded";  // degraded | down | unknown
  bool enabled = true;
  std::chrono::system_clock::time_point created_at{};
  std::chrono::system_clock::time_point updated_at{};
};

// A PUT body -> config for `service`. Unknown fields, wrong types, out-of-range numbers and
// channels not in `known_channels` are refused with code "invalid" and a message naming the
// field. Missing fields take the defaults above.
Result<AlertConfig> parseAlertConfig(const nlohmann::json& body, const std::string& service,
                                     const std::set<std::string>& known_channels);
nlohmann::json toJson(const AlertConfig& c);

// Blocking; called from API threads.
class AlertConfigStore {
 public:
  virtual ~AlertConfigStore() = default;
  virtual Result<std::vector<AlertConfig>> list() = 0;
  virtual Result<std::optional<AlertConfig>> get(const std::string& service) = 0;
  // Insert or replace; true when it was created. created_at is kept on replace.
  virtual Result<bool> put(const AlertConfig& c, std::chrono::system_clock::time_point now) = 0;
  // True when a row was deleted.
  virtual Result<bool> remove(const std::string& service) = 0;
};

}  // namespace vitals::hub::notify
