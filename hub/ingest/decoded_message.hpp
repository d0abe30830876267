#pragma once
// Decoding one delivered message: pure, so a prefetching source can do it on its own thread.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/model/check_result.hpp"
#include "hub/store/event_store.hpp"

namespace vitals::hub::ingest {

// What one message contributes, or why it cannot be stored.
struct DecodedMessage {
  enum class Verdict { Accept, Malformed, Rejected };
  Verdict verdict = Verdict::Accept;
  std::string reason;  // for Malformed / Rejected
  std::optional<store::CatalogEvent> catalog;
  std::vector<CheckResult> results;
};

// Pure: subject + payload -> verdict. Rejected = well-formed but the agent id in the payload is
// not the agent token of the subject it came on (one agent speaking for another).
DecodedMessage decodeMessage(std::string_view subject, std::string_view data);

}  // namespace vitals::hub::ingest
