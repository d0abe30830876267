#pragma once
// HMAC authentication of inbound events: the same scheme our outgoing webhooks use
// (hub/notify/signing.hpp, reliability rule 18): X-Vitals-Signature = "sha256=" + hex
// HMAC-SHA256 over "<X-Vitals-Timestamp>.<body>", the timestamp in Unix seconds within max_age of
// the hub's clock (either way). The current or the previous secret is accepted.
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/events/events_settings.hpp"

namespace vitals::hub::events {

// Error code "auth.signature" (bad or missing signature) or "auth.timestamp" (missing, not a
// number, or outside the window); the message never contains a secret.
Status verifySignature(const HmacSettings& settings, std::string_view timestamp,
                       std::string_view signature, std::string_view body, SystemTime now);

// Compares in time that does not depend on where the first difference is.
bool constantTimeEquals(std::string_view a, std::string_view b);

// Remembers the signatures accepted within the window, so one signed request is accepted once
// (a replay inside max_age is refused). In memory, per hub; at most `capacity` entries (the
// oldest are forgotten first). Thread-safe.
class ReplayGuard {
 public:
  explicit ReplayGuard(std::size_t capacity = 100000) : capacity_(capacity) {}
  // True the first time a signature is seen (it is then remembered until now + window).
  bool firstUse(const std::string& signature, SystemTime now, std::chrono::milliseconds window);

 private:
  std::mutex mu_;
  std::size_t capacity_;
  std::map<std::string, SystemTime> seen_;          // signature -> forget after
  std::multimap<SystemTime, std::string> by_time_;  // forget order
};

}  // namespace vitals::hub::events
