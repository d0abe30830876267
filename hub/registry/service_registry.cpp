#include "hub/registry/service_registry.hpp"

#include <algorithm>
#include <array>
#include <set>

namespace vitals::hub::registry {

void ServiceRegistry::replaceAll(const std::vector<ServiceMeta>& services) {
  Map next;
  for (const auto& m : services) {
    next[m.name] = m;
  }
  std::lock_guard lock(mu_);
  if (next != current_->all()) {
    current_ = std::make_shared<const Snapshot>(std::move(next), current_->version() + 1);
  }
}

void ServiceRegistry::put(ServiceMeta meta) {
  std::lock_guard lock(mu_);
  Map next = current_->all();
  next[meta.name] = std::move(meta);
  current_ = std::make_shared<const Snapshot>(std::move(next), current_->version() + 1);
}

ServiceFacts factsOf(const state::ServiceState& service) {
  static constexpr std::array<const char*, 5> kPreference = {"postgres", "redis", "container",
                                                             "http", "tcp"};
  ServiceFacts f;
  std::set<std::string> kinds;
  std::set<std::string> endpoints;
  std::set<std::string> containers;
  for (const auto& c : service.checks) {
    kinds.insert(c.kind);
    if (c.target.empty()) {
      continue;
    }
    if (c.kind == "container") {
      containers.insert(c.target);
    } else if (c.kind == "http" || c.kind == "tcp" || c.kind == "postgres" || c.kind == "redis") {
      endpoints.insert(c.target);
    }
  }
  for (const char* k : kPreference) {
    if (kinds.count(k) != 0) {
      f.type = k;
      break;
    }
  }
  if (f.type.empty() && !kinds.empty()) {
    f.type = *kinds.begin();
  }
  f.endpoints.assign(endpoints.begin(), endpoints.end());
  f.containers.assign(containers.begin(), containers.end());
  return f;
}

std::vector<std::string> normalised(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

}  // namespace vitals::hub::registry
