#pragma once
// /api/v1/federation/*: the registry of other hubs and the global service view (this hub's
// services from its state plus every remote hub's from the summaries it heard), and
// POST /api/v1/federation/register, where a hub announces its URL and capabilities.
#include <functional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/federation/global_view.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::api {

// A remote hub as GET /api/v1/federation/hubs lists it (also the live stream's federation
// events).
nlohmann::json federationHubJson(const federation::RemoteHub& hub, SystemTime now);

class FederationHandler {
 public:
  // Stores an announcement (FederationReceiver::announce in the hub).
  using Announce = std::function<Result<federation::RemoteHub>(
      const std::string& id, const std::string& url, const std::string& version,
      const std::vector<std::string>& capabilities)>;

  FederationHandler(std::string own_id, const state::HubState& state,
                    const federation::GlobalView& view, Announce announce, const Clock& clock)
      : own_id_(std::move(own_id)),
        state_(state),
        view_(view),
        announce_(std::move(announce)),
        clock_(clock) {}

  ApiResponse hubs(const ApiRequest& req) const;
  ApiResponse hub(const ApiRequest& req) const;
  ApiResponse services(const ApiRequest& req) const;
  ApiResponse registerHub(const ApiRequest& req) const;

 private:
  std::string own_id_;
  const state::HubState& state_;
  const federation::GlobalView& view_;
  Announce announce_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
