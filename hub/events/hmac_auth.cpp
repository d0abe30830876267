#include "hub/events/hmac_auth.hpp"

#include <charconv>

#include "hub/notify/signing.hpp"

namespace vitals::hub::events {

bool constantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool ReplayGuard::firstUse(const std::string& signature, SystemTime now,
                           std::chrono::milliseconds window) {
  std::lock_guard lock(mu_);
  while (!by_time_.empty() &&
         (by_time_.begin()->first <= now || by_time_.size() >= capacity_)) {
    seen_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
  if (seen_.contains(signature)) {
    return false;
  }
  // Twice the window: a timestamp may be up to `window` in the future as well as the past.
  const auto forget = now + 2 * window;
  seen_.emplace(signature, forget);
  by_time_.emplace(forget, signature);
  return true;
}

Status verifySignature(const HmacSettings& settings, std::string_view timestamp,
                       std::string_view signature, std::string_view body, SystemTime now) {
  if (settings.secret.empty()) {
    return Error{"auth.signature", "signed events are not enabled on this hub", {}};
  }
  if (timestamp.empty()) {
    return Error{"auth.timestamp", "X-Vitals-Timestamp is missing", {}};
  }
  std::int64_t ts = 0;
  const auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (ec != std::errc() || end != timestamp.data() + timestamp.size()) {
    return Error{"auth.timestamp", "X-Vitals-Timestamp must be Unix seconds", {}};
  }
  const auto now_s =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto age = now_s > ts ? now_s - ts : ts - now_s;
  if (age * 1000 > settings.max_age.count()) {
    return Error{"auth.timestamp", "X-Vitals-Timestamp is outside the accepted window", {}};
  }
  if (signature.empty()) {
    return Error{"auth.signature", "X-Vitals-Signature is missing", {}};
  }
  bool match = constantTimeEquals(notify::webhookSignature(settings.secret, ts, body), signature);
  if (!settings.previous_secret.empty()) {
    // Both compared every time: the answer's timing does not tell which secret matched.
    match = constantTimeEquals(notify::webhookSignature(settings.previous_secret, ts, body),
                               signature) ||
            match;
  }
  if (!match) {
    return Error{"auth.signature", "X-Vitals-Signature does not match", {}};
  }
  return okStatus();
}

}  // namespace vitals::hub::events
