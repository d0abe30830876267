#pragma once
// /api/v1/services, /api/v1/services/{name}, /api/v1/services/{name}/history. Current state
// comes from memory (HubState); recent results and history from the read store.
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

inline constexpr int kRecentResults = 50;
inline constexpr int kDefaultHistoryLimit = 100;
inline constexpr int kMaxHistoryLimit = 1000;

// 503 for an unreachable database, 500 otherwise.
ApiResponse storeError(const Error& error);

class ServicesHandler {
 public:
  ServicesHandler(const state::HubState& state, store::ReadStore& store, const Clock& clock)
      : state_(state), store_(store), clock_(clock) {}
  ApiResponse list(const ApiRequest& req) const;
  ApiResponse get(const ApiRequest& req) const;
  ApiResponse history(const ApiRequest& req) const;

 private:
  const state::HubState& state_;
  store::ReadStore& store_;
  const Clock& clock_;
};

class AgentsHandler {
 public:
  AgentsHandler(store::ReadStore& store, const Clock& clock) : store_(store), clock_(clock) {}
  ApiResponse list(const ApiRequest& req) const;

 private:
  store::ReadStore& store_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
