#pragma once
// HMAC authentication of inbound events: the same scheme our outgoing webhooks use
// (hub/notify/signing.hpp, reliability rule 18): X-Vitals-Signature = "sha256=" + hex
// HMAC-SHA256 over "<X-Vitals-Timestamp>.<body>", the timestamp in Unix seconds within max_age of
// the hub's clock (either way). The current or the previous secret is accepted.
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

}  // namespace vitals::hub::events
