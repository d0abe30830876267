#pragma once
// GET /api/v1/services: which services a query selects, in which order, and one page of them,
// written as JSON straight into a string (10,000 services are 3 MB of JSON: no document tree).
// Pure: works on HubState snapshots, so it is unit-tested without a server.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/registry/service_registry.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::api {

inline constexpr int kMaxServicePage = 1000;

enum class ServiceSort { Name, Status, Latency, LastChecked };

// Where a page ends: the sort key and name of its last service.
// `status=` as a comma list of statuses (empty when absent); 400-ready error naming it.
Result<std::vector<HealthStatus>> statusListParam(const ApiRequest& req);
// `agent=` as an agent id ("" when absent).
Result<std::string> agentParam(const ApiRequest& req);

struct ServicePosition {
  std::optional<std::int64_t> key;  // status rank, latency in µs or last_checked in µs; none: null
  std::string name;
};

struct ServiceListQuery {
  std::vector<HealthStatus> statuses;  // empty: any
  std::string name_glob;               // empty: any ('*' and '?')
  std::string agent;                   // empty: any; else services with a check of this agent
  std::string tag;                     // empty: any; else services the registry tags so
  std::string type;                    // empty: any; else the registry's derived type (http, ...)
  ServiceSort sort = ServiceSort::Name;
  bool descending = false;
  std::optional<int> limit;  // none: every match
  std::optional<ServicePosition> after;
};

// ?status=down,degraded&q=db-*&agent=node-1&sort=-latency&limit=100&cursor=... An Error names
// the parameter and what it accepts.
Result<ServiceListQuery> parseServiceListQuery(const ApiRequest& req);

std::string encodeServiceCursor(const ServiceListQuery& q, const ServicePosition& last);

struct ServicePage {
  std::vector<std::shared_ptr<const state::ServiceState>> services;
  std::size_t total = 0;                // matches of the filters, over every page
  std::optional<ServicePosition> next;  // set when more matches follow this page
};

// Filters, orders and cuts `all` (HubState::serviceSnapshots(), sorted by name).
// `registry` answers tag= (no registry: no service has a tag).
ServicePage selectServices(std::vector<std::shared_ptr<const state::ServiceState>> all,
                           const ServiceListQuery& q,
                           const registry::ServiceRegistry::Snapshot* registry = nullptr);

// {"services":[...],"total":N,"next":"cursor"|null}. With a registry snapshot each service also
// has the registry's fields (type, version, endpoints, container_ids, owner, tags, depends_on,
// description; docs/service-registry.md).
std::string serviceListJson(const ServicePage& page, const ServiceListQuery& q, SystemTime now,
                            const registry::ServiceRegistry::Snapshot* registry = nullptr);
// One service as the list shows it, with `extra` (a JSON object's members, without braces, or
// empty) appended: the single-service view adds its recent results that way.
std::string serviceJsonText(const state::ServiceState& s, SystemTime now,
                            std::string_view extra = {},
                            const registry::ServiceRegistry::Snapshot* registry = nullptr);

}  // namespace vitals::hub::api
