#include "hub/federation/global_view.hpp"

#include <mutex>

namespace vitals::hub::federation {

void GlobalView::count(Entry& e) {
  auto& h = e.hub;
  h.services_total = static_cast<std::uint32_t>(e.services.size());
  h.services_up = h.services_degraded = h.services_down = h.services_unknown = 0;
  for (const auto& [name, s] : e.services) {
    switch (s.summary.status) {
      case HealthStatus::Healthy:
        ++h.services_up;
        break;
      case HealthStatus::Degraded:
        ++h.services_degraded;
        break;
      case HealthStatus::Down:
        ++h.services_down;
        break;
      case HealthStatus::Unknown:
        ++h.services_unknown;
        break;
    }
  }
}

GlobalView::Applied GlobalView::apply(const HubSummary& s, SystemTime now, SteadyTime steady_now) {
  std::unique_lock lock(mu_);
  Applied out;
  auto [it, inserted] = hubs_.try_emplace(s.hub_id);
  Entry& e = it->second;
  if (inserted) {
    e.hub.id = s.hub_id;
  }
  // Whatever its content, the hub is alive.
  e.last_heard = steady_now;
  out.became_fresh = e.hub.stale;
  e.hub.stale = false;
  e.hub.last_heard_at = now;
  if (!s.full && (e.waiting_for_full || s.sequence != e.last_sequence + 1)) {
    e.waiting_for_full = true;
    out.drop_reason = "gap";
    out.hub = e.hub;
    return out;
  }
  e.waiting_for_full = false;
  e.last_sequence = s.sequence;
  e.hub.url = s.url.empty() ? e.hub.url : s.url;
  e.hub.version = s.version;
  e.hub.overall_status = s.overall_status;
  e.hub.last_summary_at = s.timestamp;
  e.hub.agents_online = s.agents_online;
  e.hub.agents_total = s.agents_total;
  e.hub.open_incidents = s.open_incidents;

  std::map<std::string, RemoteService> next;
  if (s.full) {
    for (const auto& svc : s.services) {
      RemoteService r{s.hub_id, svc, now};
      auto old = e.services.find(svc.name);
      if (old == e.services.end() || !(old->second.summary == svc)) {
        out.upserted.push_back(r);
      }
      next.emplace(svc.name, std::move(r));
    }
    for (const auto& [name, old] : e.services) {
      if (!next.contains(name)) {
        out.removed.push_back(name);
      }
    }
    e.services = std::move(next);
  } else {
    for (const auto& svc : s.services) {
      RemoteService r{s.hub_id, svc, now};
      out.upserted.push_back(r);
      e.services[svc.name] = std::move(r);
    }
    for (const auto& name : s.removed_services) {
      if (e.services.erase(name) > 0) {
        out.removed.push_back(name);
      }
    }
  }
  count(e);
  out.accepted = true;
  out.hub = e.hub;
  return out;
}

std::vector<RemoteHub> GlobalView::sweep(SteadyTime steady_now,
                                         std::chrono::milliseconds stale_after) {
  std::unique_lock lock(mu_);
  std::vector<RemoteHub> out;
  for (auto& [id, e] : hubs_) {
    if (!e.hub.stale && steady_now - e.last_heard >= stale_after) {
      e.hub.stale = true;
      e.waiting_for_full = true;
      out.push_back(e.hub);
    }
  }
  return out;
}

RemoteHub GlobalView::announce(const std::string& id, const std::string& url,
                               const std::string& version,
                               const std::vector<std::string>& capabilities, SystemTime now) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = hubs_.try_emplace(id);
  Entry& e = it->second;
  if (inserted) {
    e.hub.id = id;
    e.hub.stale = true;  // announced, not heard on the bus yet
  }
  e.hub.url = url;
  if (!version.empty()) {
    e.hub.version = version;
  }
  e.hub.capabilities = capabilities;
  e.hub.registered_at = now;
  return e.hub;
}

void GlobalView::restore(std::vector<RemoteHub> hubs, std::vector<RemoteService> services,
                         SteadyTime steady_now) {
  std::unique_lock lock(mu_);
  for (auto& h : hubs) {
    Entry& e = hubs_[h.id];
    e.hub = std::move(h);
    e.hub.stale = true;
    e.waiting_for_full = true;
    e.last_heard = steady_now;
  }
  for (auto& s : services) {
    auto it = hubs_.find(s.hub_id);
    if (it != hubs_.end()) {
      const std::string name = s.summary.name;
      it->second.services[name] = std::move(s);
    }
  }
  for (auto& [id, e] : hubs_) {
    count(e);
  }
}

std::vector<RemoteHub> GlobalView::hubs() const {
  std::shared_lock lock(mu_);
  std::vector<RemoteHub> out;
  out.reserve(hubs_.size());
  for (const auto& [id, e] : hubs_) {
    out.push_back(e.hub);
  }
  return out;
}

std::optional<RemoteHub> GlobalView::hub(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = hubs_.find(id);
  if (it == hubs_.end()) {
    return std::nullopt;
  }
  return it->second.hub;
}

std::vector<RemoteService> GlobalView::services(const ServiceFilter& f) const {
  std::shared_lock lock(mu_);
  std::vector<RemoteService> out;
  for (const auto& [id, e] : hubs_) {
    if (f.hub && *f.hub != id) {
      continue;
    }
    for (const auto& [name, s] : e.services) {
      if (!f.status || *f.status == s.summary.status) {
        out.push_back(s);
      }
    }
  }
  return out;
}

std::size_t GlobalView::serviceCount() const {
  std::shared_lock lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, e] : hubs_) {
    n += e.services.size();
  }
  return n;
}

}  // namespace vitals::hub::federation
