#pragma once
// What one replica tells the others after it committed something: the newest result of every
// check it just applied, the registrations, which agents proved alive, the service statuses it
// recorded, and (from the staleness sweeper) the whole set of unreachable agents. Encoded as
// CBOR with the results and registrations as their agent-protocol protobuf bytes (the codec
// the hub already validates agents' messages with).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"
#include "common/model/status.hpp"

namespace vitals::hub::replica {

struct StateUpdate {
  std::string origin;     // the sending replica's id
  std::uint64_t seq = 0;  // per sender, from 1; a jump means updates were missed
  std::vector<Registration> registrations;
  std::vector<CheckResult> results;                     // the newest per check (details left out)
  std::vector<std::string> alive;                       // agents heard from in the committed batch
  std::map<std::string, HealthStatus> recorded;         // service -> status just recorded
  std::optional<std::vector<std::string>> unreachable;  // the full set (sweeper only)
  std::map<std::string, SystemTime> stopped;            // agents that just deregistered, and when
  std::vector<std::string> forgotten;                   // agents just retired
};

// Larger payloads are refused by decode (a replica never sends one: batches are bounded).
inline constexpr std::size_t kMaxStateUpdateBytes = 8u << 20;

std::string encodeStateUpdate(const StateUpdate& update);
// Errors ("replica.decode") for garbage, a missing origin or seq, and invalid entries.
Result<StateUpdate> decodeStateUpdate(std::string_view bytes);

}  // namespace vitals::hub::replica
