#include "hub/federation/summary_builder.hpp"

#include <algorithm>

namespace vitals::hub::federation {
namespace {

std::string firstAgent(const std::string& agents) { return agents.substr(0, agents.find(',')); }

}  // namespace

std::string overallStatus(const std::vector<HealthStatus>& statuses) {
  if (statuses.empty()) {
    return "unknown";
  }
  const bool all_up = std::all_of(statuses.begin(), statuses.end(),
                                  [](HealthStatus s) { return s == HealthStatus::Healthy; });
  if (all_up) {
    return "healthy";
  }
  const bool all_down = std::all_of(statuses.begin(), statuses.end(),
                                    [](HealthStatus s) { return s == HealthStatus::Down; });
  return all_down ? "down" : "degraded";
}

ServiceSummary SummaryBuilder::summarize(const state::ServiceState& s, SystemTime now) {
  ServiceSummary out;
  out.name = s.name;
  out.status = s.status;
  if (!s.checks.empty()) {
    out.type = s.checks.front().kind;
  }
  if (s.latency) {
    out.latency_ms =
        static_cast<std::uint32_t>(std::min<std::int64_t>(s.latency->count() / 1000, UINT32_MAX));
  }
  std::set<std::string> targets;
  for (const auto& c : s.checks) {
    if (!c.target.empty()) {
      targets.insert(c.target);
    }
    if (c.status == HealthStatus::Healthy) {
      ++out.endpoints_healthy;
    }
  }
  out.endpoints_total = static_cast<std::uint32_t>(s.checks.size());
  out.endpoints.assign(targets.begin(), targets.end());

  auto [it, inserted] = sent_.try_emplace(s.name);
  Sent& sent = it->second;
  if (inserted || sent.status != s.status) {
    sent.since = now;
  }
  sent.status = s.status;
  sent.endpoints = out.endpoints;
  sent.endpoints_healthy = out.endpoints_healthy;
  sent.agent = firstAgent(s.agent);
  if (s.status == HealthStatus::Healthy && now > sent.since) {
    out.uptime_seconds = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(now - sent.since).count());
  }
  return out;
}

HubSummary SummaryBuilder::header(const SummaryHeader& h, bool full) {
  HubSummary s;
  s.hub_id = h.hub_id;
  s.timestamp = h.now;
  s.version = h.version;
  s.url = h.url;
  s.summary_interval = h.interval;
  s.agents_online = h.agents_online;
  s.agents_total = h.agents_total;
  s.open_incidents = h.open_incidents;
  s.full = full;
  s.sequence = ++sequence_;
  return s;
}

std::string SummaryBuilder::overall() const {
  std::vector<HealthStatus> statuses;
  statuses.reserve(sent_.size());
  for (const auto& [name, sent] : sent_) {
    statuses.push_back(sent.status);
  }
  return overallStatus(statuses);
}

Built SummaryBuilder::full(const SummaryHeader& h,
                           const std::vector<state::ServiceState>& services) {
  Built b;
  b.summary = header(h, true);
  std::set<std::string> before;
  for (const auto& [name, sent] : sent_) {
    before.insert(name);
  }
  b.summary.services.reserve(services.size());
  for (const auto& s : services) {
    if (!before.erase(s.name)) {
      b.catalog.push_back(
          {CatalogChange::Registered, h.hub_id, s.name, firstAgent(s.agent), h.now});
    }
    b.summary.services.push_back(summarize(s, h.now));
  }
  for (const auto& gone : before) {
    b.catalog.push_back({CatalogChange::Deregistered, h.hub_id, gone, "", h.now});
    sent_.erase(gone);
  }
  b.summary.service_count = static_cast<std::uint32_t>(sent_.size());
  b.summary.overall_status = overall();
  if (baseline_) {
    b.catalog.clear();
    baseline_ = false;
  }
  return b;
}

std::optional<Built> SummaryBuilder::delta(const SummaryHeader& h,
                                           const std::set<std::string>& candidates,
                                           const std::vector<state::ServiceState>& present) {
  if (baseline_) {
    return std::nullopt;  // nothing sent yet: the first full summary carries everything
  }
  std::vector<ServiceSummary> changed;
  std::vector<std::string> removed;
  std::vector<CatalogEvent> catalog;
  std::set<std::string> seen;
  for (const auto& s : present) {
    if (!candidates.contains(s.name)) {
      continue;
    }
    seen.insert(s.name);
    auto it = sent_.find(s.name);
    if (it == sent_.end()) {
      catalog.push_back({CatalogChange::Registered, h.hub_id, s.name, firstAgent(s.agent), h.now});
      changed.push_back(summarize(s, h.now));
      continue;
    }
    // Latency and uptime alone do not make a delta: the next full summary refreshes them.
    std::set<std::string> targets;
    std::uint32_t healthy = 0;
    for (const auto& c : s.checks) {
      if (!c.target.empty()) {
        targets.insert(c.target);
      }
      healthy += c.status == HealthStatus::Healthy ? 1 : 0;
    }
    const std::vector<std::string> endpoints(targets.begin(), targets.end());
    if (it->second.status != s.status || it->second.endpoints != endpoints ||
        it->second.endpoints_healthy != healthy) {
      changed.push_back(summarize(s, h.now));
    }
  }
  for (const auto& name : candidates) {
    if (!seen.contains(name)) {
      if (auto it = sent_.find(name); it != sent_.end()) {
        catalog.push_back({CatalogChange::Deregistered, h.hub_id, name, "", h.now});
        removed.push_back(name);
        sent_.erase(it);
      }
    }
  }
  if (changed.empty() && removed.empty()) {
    return std::nullopt;
  }
  Built b;
  b.summary = header(h, false);
  b.summary.services = std::move(changed);
  b.summary.removed_services = std::move(removed);
  b.summary.service_count = static_cast<std::uint32_t>(sent_.size());
  b.summary.overall_status = overall();
  b.catalog = std::move(catalog);
  return b;
}

void SummaryBuilder::reset() {
  sent_.clear();
  baseline_ = true;
}

}  // namespace vitals::hub::federation
