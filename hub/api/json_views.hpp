#pragma once
// The JSON shapes of the REST API (docs/openapi.yaml describes the same shapes).
#include <nlohmann/json.hpp>

#include "common/time/clock.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

// Milliseconds with microsecond precision (12.345).
double latencyMs(std::chrono::microseconds latency);
// Whole seconds from `then` to `now`, never negative (agent clocks may run ahead).
std::int64_t ageSeconds(SystemTime then, SystemTime now);

nlohmann::json checkJson(const state::CheckState& check, SystemTime now);
// Summary fields plus "checks".
nlohmann::json serviceJson(const state::ServiceState& service, SystemTime now);
nlohmann::json resultJson(const store::StoredResult& stored);
nlohmann::json agentJson(const store::AgentRecord& agent, SystemTime now);

}  // namespace vitals::hub::api
