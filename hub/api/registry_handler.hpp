#pragma once
// The service registry's writes (PUT /api/v1/services/{name}: owner, tags, depends_on, version,
// description) and the checks managed through the API (/api/v1/agents/{id}/checks). Bodies are
// checked here (400 for what is not JSON, 422 naming the field); a check is also validated by
// its agent's own loader when the agent answers (a dry run) before it is stored, and reaches the
// agent through the check sync (hub/registry/check_sync.hpp).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/registry/check_sync.hpp"
#include "hub/registry/registry_store.hpp"
#include "hub/registry/service_registry.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::api {

// 422 with {"error": {"code": "invalid_field", "field": ..., "message": "<field>: <why>"}}.
ApiResponse invalidField(const std::string& field, const std::string& why);

// The registry's fields of a service (type, version, endpoints, container_ids, owner, tags,
// depends_on, description) added to its JSON view; meta may be null (nothing set by operators).
void addRegistryFields(nlohmann::json& out, const state::ServiceState* service,
                       const registry::ServiceMeta* meta);

// A check body as the hub can judge it without the agent: the field and why, or nullopt.
std::optional<std::pair<std::string, std::string>> checkDefinitionProblem(
    const nlohmann::json& definition);

class RegistryHandler {
 public:
  RegistryHandler(registry::RegistryStore& store, registry::ServiceRegistry& registry,
                  registry::CheckSync& sync, const state::HubState& state, store::ReadStore& reads,
                  const Clock& clock)
      : store_(store),
        registry_(registry),
        sync_(sync),
        state_(state),
        reads_(reads),
        clock_(clock) {}

  ApiResponse putService(const ApiRequest& req) const;
  ApiResponse listChecks(const ApiRequest& req) const;
  ApiResponse createCheck(const ApiRequest& req) const;
  ApiResponse putCheck(const ApiRequest& req) const;
  ApiResponse deleteCheck(const ApiRequest& req) const;

 private:
  // 404 unless the hub knows the agent; the agent id otherwise.
  Result<std::string> knownAgent(const ApiRequest& req, ApiResponse& refusal) const;
  ApiResponse storeCheck(const ApiRequest& req, nlohmann::json definition, bool create_only) const;

  registry::RegistryStore& store_;
  registry::ServiceRegistry& registry_;
  registry::CheckSync& sync_;
  const state::HubState& state_;
  store::ReadStore& reads_;
  const Clock& clock_;
};

}  // namespace vitals::hub::api
