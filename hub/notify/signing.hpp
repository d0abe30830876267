#pragma once
// Webhook signatures (reliability rule 18). The signed string is "<timestamp>.<body>" where
// timestamp is the X-Vitals-Timestamp header (Unix seconds); the signature is sent as
// "sha256=<lowercase hex HMAC-SHA256>". Receivers recompute it with each secret they accept,
// compare in constant time, and reject timestamps older than 300 s.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vitals::hub::notify {

// Lowercase hex HMAC-SHA256 of data under key (OpenSSL).
std::string hmacSha256Hex(std::string_view key, std::string_view data);

// "sha256=" + hmacSha256Hex(secret, timestamp + "." + body)
std::string webhookSignature(std::string_view secret, std::int64_t timestamp,
                             std::string_view body);

// The signing headers of one request: X-Vitals-Timestamp, X-Vitals-Signature (current secret)
// and, when a previous secret is still configured during a rotation, X-Vitals-Signature-Previous.
std::vector<std::pair<std::string, std::string>> signingHeaders(
    std::string_view secret, std::string_view previous_secret, std::int64_t timestamp,
    std::string_view body);

}  // namespace vitals::hub::notify
