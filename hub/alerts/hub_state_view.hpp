#pragma once
// The alert engine's LiveView over the hub's in-memory state.
#include "hub/alerts/alert_engine.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::alerts {

class HubStateView final : public LiveView {
 public:
  explicit HubStateView(const state::HubState& state) : state_(state) {}
  HealthStatus statusOf(const std::string& service) const override {
    auto s = state_.service(service);
    return s ? s->status : HealthStatus::Unknown;
  }
  bool flapping(const std::string& agent, const std::string& check) const override {
    for (const auto& service : state_.servicesOf(agent)) {
      auto s = state_.service(service);
      if (!s) {
        continue;
      }
      for (const auto& c : s->checks) {
        if (c.agent_id == agent && c.name == check) {
          return c.flapping;
        }
      }
    }
    return false;
  }

 private:
  const state::HubState& state_;
};

}  // namespace vitals::hub::alerts
