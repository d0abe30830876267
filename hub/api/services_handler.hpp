#pragma once
// /api/v1/services, /api/v1/services/{name}, /api/v1/services/{name}/history. Current state
// comes from memory (HubState); recent results and history from the read store.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/registry/service_registry.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

inline constexpr int kRecentResults = 50;
inline constexpr int kDefaultHistoryLimit = 100;
inline constexpr int kMaxHistoryLimit = 1000;
inline constexpr std::size_t kMaxHistoryServiceGlobs = 50;  // GET /api/v1/history?service=
inline constexpr int kDefaultWorst = 10;                    // GET /api/v1/summary
inline constexpr int kMaxWorst = 100;

// 503 for an unreachable database, 500 otherwise.
ApiResponse storeError(const Error& error);

class ServicesHandler {
 public:
  ServicesHandler(const state::HubState& state, store::ReadStore& store, const Clock& clock);
  // Filters, sort, pages (service_list.hpp); a weak ETag from the state's version, 304 when
  // If-None-Match holds it.
  ApiResponse list(const ApiRequest& req) const;
  ApiResponse get(const ApiRequest& req) const;
  ApiResponse history(const ApiRequest& req) const;
  // GET /api/v1/history: results of every service, newest first, filtered by service globs,
  // status, agent and kind.
  ApiResponse allHistory(const ApiRequest& req) const;
  // GET /api/v1/summary: counts by status and the worst services, from memory.
  ApiResponse summary(const ApiRequest& req) const;
  // The registry whose fields (owner, tags, ...) the views add; none: only the derived ones.
  void setRegistry(const registry::ServiceRegistry* registry) { registry_ = registry; }

 private:
  const registry::ServiceRegistry* registry_ = nullptr;
  const state::HubState& state_;
  store::ReadStore& store_;
  const Clock& clock_;
  // Random per process: tags from another replica or an earlier run never match by accident.
  const std::uint64_t etag_epoch_;
};

// /api/v1/agents and DELETE /api/v1/agents/{id} (retire an agent now).
class AgentsHandler {
 public:
  // Retires the agents (StatusTracker::forget); returns those actually retired.
  using Forget = std::function<Result<std::vector<std::string>>(const std::vector<std::string>&)>;
  AgentsHandler(store::ReadStore& store, const Clock& clock, Forget forget = {})
      : store_(store), clock_(clock), forget_(std::move(forget)) {}
  ApiResponse list(const ApiRequest& req) const;
  // GET /api/v1/agents/{id}: the agent, its named actions and (from the live state, when set)
  // its checks; 404 for an unknown or retired agent.
  ApiResponse get(const ApiRequest& req) const;
  void setState(const state::HubState* state) { state_ = state; }
  // 404 for an unknown (or already retired) agent, 409 for one that is online (it would come
  // back with its next registration), 200 with {"agent_id", "forgotten": true} otherwise.
  ApiResponse forget(const ApiRequest& req) const;

 private:
  store::ReadStore& store_;
  const Clock& clock_;
  Forget forget_;
  const state::HubState* state_ = nullptr;
};

}  // namespace vitals::hub::api
