#pragma once
// The JSON shapes of the REST API (docs/openapi.yaml describes the same shapes).
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/time/clock.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

// Milliseconds with microsecond precision (12.345).
double latencyMs(std::chrono::microseconds latency);
// Whole seconds from `then` to `now`, never negative (agent clocks may run ahead).
std::int64_t ageSeconds(SystemTime then, SystemTime now);

// Services and their checks are written by service_list.hpp (without a document tree).
// A stored result; with "perf" (see perfJson) when its details carry a plugin's perfdata.
nlohmann::json resultJson(const store::StoredResult& stored);
// {"values": [{label, value, unit, warn, crit, min, max}], "problems": [...] (when any)}.
nlohmann::json perfJson(std::string_view perfdata);
nlohmann::json agentJson(const store::AgentRecord& agent, SystemTime now);

}  // namespace vitals::hub::api
