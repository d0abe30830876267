#pragma once
// The service registry: what operators say about each service (owner, tags, depends_on, a
// version, a description; PUT /api/v1/services/{name}, stored in PostgreSQL) next to what the
// agents' registrations tell (type, endpoints, containers; derived from the checks each time).
// Pure and in memory: readers take a snapshot (one shared_ptr copy, no lock while they read), so
// list handlers can filter every service by tag or type without a query.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/time/clock.hpp"
#include "hub/state/hub_state.hpp"

namespace vitals::hub::registry {

// The operator-owned fields of one service.
struct ServiceMeta {
  std::string name;
  std::string owner;
  std::vector<std::string> tags;        // sorted, unique
  std::vector<std::string> depends_on;  // service names, sorted, unique
  std::string version;                  // an override; "" = none
  std::string description;
  std::optional<SystemTime> updated_at;
  std::string updated_by;
  bool operator==(const ServiceMeta&) const = default;
};

class ServiceRegistry {
 public:
  using Map = std::map<std::string, ServiceMeta>;

  // What readers hold: immutable, shared.
  class Snapshot {
   public:
    Snapshot(Map services, std::uint64_t version)
        : services_(std::move(services)), version_(version) {}
    const ServiceMeta* find(const std::string& name) const {
      auto it = services_.find(name);
      return it == services_.end() ? nullptr : &it->second;
    }
    const Map& all() const { return services_; }
    // Grows with every change (list ETags include it).
    std::uint64_t version() const { return version_; }

   private:
    Map services_;
    std::uint64_t version_ = 0;
  };

  ServiceRegistry() : current_(std::make_shared<const Snapshot>(Map{}, 0)) {}

  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard lock(mu_);
    return current_;
  }
  // Everything, as read from the store (start-up, periodic refresh); a new version only when
  // something differs.
  void replaceAll(const std::vector<ServiceMeta>& services);
  // One service after a PUT on this hub.
  void put(ServiceMeta meta);

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
};

// What the agents' registrations say about a service (derived from its checks).
struct ServiceFacts {
  // The kind that says most about what the service is: postgres, redis, container, http, tcp,
  // ... in that order of preference; "" without checks.
  std::string type;
  std::vector<std::string> endpoints;   // the checks' targets (http/tcp/postgres/redis), sorted
  std::vector<std::string> containers;  // the targets of container checks, sorted
};
ServiceFacts factsOf(const state::ServiceState& service);

// Tags and depends_on as stored: sorted and without duplicates.
std::vector<std::string> normalised(std::vector<std::string> items);

}  // namespace vitals::hub::registry
