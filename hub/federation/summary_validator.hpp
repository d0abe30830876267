#pragma once
// Checks one message received on hub.<id>.health.summary before anything uses it. Pure.
// The Error code of a refusal is the drop reason counted in
// vitals_federation_dropped_total{reason}:
//   oversized  - larger than max_summary_bytes
//   subject    - not hub.<id>.health.summary
//   decode     - not a vitals.v1.HubSummary (garbage, most truncations)
//   incomplete - no timestamp, sequence or summary_interval (the last field on the wire), a bad
//                hub id, or a full summary whose service_count disagrees with its services: a
//                message cut at a field boundary parses, but lacks one of these
//   wrong_id   - hub_id differs from the subject's hub token (spoofing or a misconfiguration)
//   own_id     - claims to be this hub (a loop or spoofing)
//   future     - timestamp more than max_future ahead of our clock
//   too_old    - timestamp more than max_age behind it
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "hub/federation/federation_settings.hpp"
#include "hub/federation/summary.hpp"

namespace vitals::hub::federation {

inline constexpr const char* kDropReasons[] = {"oversized",  "subject",  "decode",
                                               "incomplete", "wrong_id", "own_id",
                                               "future",     "too_old",  "gap"};

// The hub token of hub.<id>.health.summary, or "" when the subject has another shape.
std::string summarySubjectHub(std::string_view subject);

Result<HubSummary> validateSummary(std::string_view subject, std::string_view data,
                                   const std::string& own_id, SystemTime now,
                                   const FederationSettings& limits);

}  // namespace vitals::hub::federation
