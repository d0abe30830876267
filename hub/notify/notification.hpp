#pragma once
// The value the alert policy hands to delivery: one notification for one channel. Stored as the
// outbox row's payload (JSON) and rebuilt from it by the sender.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/error/result.hpp"

namespace vitals::hub::notify {

struct Notification {
  std::string incident;    // incident id, stable across the incident's transitions
  std::string transition;  // "healthy->down", "reminder-2", "recovered", ... (policy's choice)
  std::string channel;     // a channel name from notify.channels
  std::string service;
  std::string from_status;  // "healthy", "degraded", "down", "unknown"
  std::string to_status;
  std::string summary;  // one human line, e.g. "checkout is down: http 503 on web-1"
  std::chrono::system_clock::time_point at{};  // when the transition happened (hub clock)

  // incident:transition:channel. Unique in the outbox; sent to receivers as Idempotency-Key.
  std::string idempotencyKey() const { return incident + ":" + transition + ":" + channel; }
};

// The JSON document stored in the outbox and sent as the webhook body.
nlohmann::json toJson(const Notification& n);
// Validates (every field a string, `at` RFC 3339); error code "notify.payload".
Result<Notification> notificationFromJson(const nlohmann::json& j);

}  // namespace vitals::hub::notify
