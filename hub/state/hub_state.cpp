#include "hub/state/hub_state.hpp"

#include <algorithm>
#include <mutex>
#include <set>

namespace vitals::hub::state {
namespace {

void takeResult(CheckState& c, const CheckResult& r) {
  c.service = r.service;
  if (!r.kind.empty()) {
    c.kind = r.kind;
  }
  c.status = r.status;
  c.raw_status = r.raw_status;
  c.latency = r.latency;
  c.message = r.message;
  c.failure_kind = r.failure_kind;
  c.flapping = r.flapping;
  c.last_checked = r.observed_at;
  c.boot_id = r.boot_id;
  c.seq = r.seq;
}

void takeSpec(CheckState& c, const std::string& agent_id, const CheckSpec& spec) {
  c.agent_id = agent_id;
  c.name = spec.name;
  c.service = spec.service;
  c.kind = spec.kind;
  c.target = spec.target;
}

}  // namespace

std::string stoppedReason(SystemTime at) { return "agent stopped at " + formatRfc3339(at); }

bool isNewer(const CheckResult& candidate, const CheckState& current) {
  if (current.seq == 0 || !current.last_checked) {
    return true;
  }
  if (candidate.boot_id == current.boot_id) {
    return candidate.seq > current.seq;
  }
  return candidate.observed_at > *current.last_checked;
}

ServiceState aggregate(std::string name, std::vector<CheckState> checks,
                       const policy::ServiceRule& rule) {
  ServiceState s;
  s.name = std::move(name);
  std::sort(checks.begin(), checks.end(), [](const CheckState& a, const CheckState& b) {
    return std::tie(a.name, a.agent_id) < std::tie(b.name, b.agent_id);
  });
  std::set<std::string> agents;
  std::vector<HealthStatus> statuses;
  statuses.reserve(checks.size());
  for (const auto& c : checks) {
    statuses.push_back(c.status);
    agents.insert(c.agent_id);
    if (c.last_checked) {
      s.latency = s.latency ? std::max(*s.latency, c.latency) : c.latency;
      if (!s.last_checked || *c.last_checked > *s.last_checked) {
        s.last_checked = c.last_checked;
      }
    }
  }
  for (const auto& a : agents) {
    if (!s.agent.empty()) {
      s.agent += ",";
    }
    s.agent += a;
  }
  s.status = policy::evaluateService(statuses, rule);
  s.checks = std::move(checks);
  return s;
}

void HubState::applyRegistration(const Registration& reg) {
  std::unique_lock lock(mu_);
  if (!reg.boot_id.empty()) {
    boot_of_[reg.agent_id] = reg.boot_id;
  }
  std::set<std::string> listed;
  for (const auto& spec : reg.checks) {
    listed.insert(spec.name);
    const Key key{reg.agent_id, spec.name};
    auto& c = checks_[key];
    const std::string before = c.service;
    takeSpec(c, reg.agent_id, spec);
    moveCheck(key, before, c.service);
  }
  for (auto it = checks_.lower_bound(Key{reg.agent_id, ""});
       it != checks_.end() && it->first.first == reg.agent_id;) {
    if (listed.count(it->first.second) == 0) {
      moveCheck(it->first, it->second.service, "");
      it = checks_.erase(it);
    } else {
      ++it;
    }
  }
  refreshMarked();
}

void HubState::restore(const std::string& agent_id, const CheckSpec& spec,
                       const std::optional<CheckResult>& last) {
  std::unique_lock lock(mu_);
  const Key key{agent_id, spec.name};
  auto& c = checks_[key];
  const std::string before = c.service;
  takeSpec(c, agent_id, spec);
  if (last) {
    takeResult(c, *last);
  }
  moveCheck(key, before, c.service);
  refreshMarked();
}

void HubState::mergeStored(const std::string& agent_id, const CheckSpec& spec,
                           const std::optional<CheckResult>& last) {
  std::unique_lock lock(mu_);
  const Key key{agent_id, spec.name};
  auto& c = checks_[key];
  const std::string before = c.service;
  takeSpec(c, agent_id, spec);
  if (last && isNewer(*last, c)) {
    takeResult(c, *last);
  }
  moveCheck(key, before, c.service);
  refreshMarked();
}

bool HubState::applyResult(const CheckResult& r) {
  std::unique_lock lock(mu_);
  const Key key{r.agent_id, r.check};
  if (checks_.count(key) == 0) {
    // A late result of a check the agent's registration for this boot no longer lists (a
    // reload removed it) stays history: it does not bring the check back.
    if (const auto b = boot_of_.find(r.agent_id); b != boot_of_.end() && b->second == r.boot_id) {
      return false;
    }
  }
  auto [it, inserted] = checks_.try_emplace(key);
  auto& c = it->second;
  if (inserted) {
    c.agent_id = r.agent_id;
    c.name = r.check;
    c.service = r.service;
    c.kind = r.kind;
    moveCheck(key, "", c.service);
  }
  if (!isNewer(r, c)) {
    refreshMarked();
    return false;
  }
  // A new boot's first runs that have not decided yet (a soft failure: the probe failed fewer
  // than `retries` times) do not replace what the previous boot decided: a restart is not a
  // trip through UNKNOWN.
  if (c.seq != 0 && r.boot_id != c.boot_id && r.status == HealthStatus::Unknown &&
      r.raw_status != HealthStatus::Unknown && c.status != HealthStatus::Unknown) {
    refreshMarked();
    return false;
  }
  const std::string before = c.service;
  takeResult(c, r);
  moveCheck(key, before, c.service);
  refreshMarked();
  return true;
}

void HubState::moveCheck(const Key& key, const std::string& from, const std::string& to) {
  if (from != to && !from.empty()) {
    if (auto m = members_.find(from); m != members_.end()) {
      m->second.erase(key);
      if (m->second.empty()) {
        members_.erase(m);
      }
    }
    marked_.insert(from);
  }
  if (!to.empty()) {
    members_[to].insert(key);
    marked_.insert(to);
  }
}

void HubState::markAgent(const std::string& agent_id) {
  for (auto it = checks_.lower_bound(Key{agent_id, ""});
       it != checks_.end() && it->first.first == agent_id; ++it) {
    marked_.insert(it->second.service);
  }
}

void HubState::refreshMarked() {
  if (marked_.empty()) {
    return;
  }
  for (const auto& name : marked_) {
    const auto m = members_.find(name);
    if (m == members_.end()) {
      services_.erase(name);
      continue;
    }
    std::vector<CheckState> checks;
    checks.reserve(m->second.size());
    for (const auto& key : m->second) {
      checks.push_back(snapshot(checks_.at(key)));
    }
    services_[name] =
        std::make_shared<const ServiceState>(aggregate(name, std::move(checks), ruleOf(name)));
  }
  marked_.clear();
  ++version_;
}

std::vector<ServiceState> HubState::services() const {
  std::vector<ServiceState> out;
  std::shared_lock lock(mu_);
  out.reserve(services_.size());
  for (const auto& [name, s] : services_) {
    out.push_back(*s);
  }
  return out;
}

std::vector<std::shared_ptr<const ServiceState>> HubState::serviceSnapshots() const {
  std::vector<std::shared_ptr<const ServiceState>> out;
  std::shared_lock lock(mu_);
  out.reserve(services_.size());
  for (const auto& [name, s] : services_) {
    out.push_back(s);
  }
  return out;
}

std::uint64_t HubState::version() const {
  std::shared_lock lock(mu_);
  return version_;
}

std::vector<ServiceState> HubState::servicesNamed(const std::set<std::string>& names) const {
  std::vector<ServiceState> out;
  std::shared_lock lock(mu_);
  for (const auto& name : names) {
    if (const auto it = services_.find(name); it != services_.end()) {
      out.push_back(*it->second);
    }
  }
  return out;
}

CheckState HubState::snapshot(const CheckState& c) const {
  CheckState out = c;
  if (const auto it = stopped_.find(c.agent_id); it != stopped_.end()) {
    out.stopped = true;
    out.status = HealthStatus::Unknown;
    out.message = stoppedReason(it->second);
  } else if (unreachable_.count(c.agent_id) != 0) {
    out.unreachable = true;
    out.status = HealthStatus::Unknown;
    out.message = kUnreachableReason;
  }
  return out;
}

const policy::ServiceRule& HubState::ruleOf(const std::string& service) const {
  static const policy::ServiceRule kDefault{};
  const auto it = rules_.find(service);
  return it == rules_.end() ? kDefault : it->second;
}

void HubState::setRules(policy::ServiceRules rules) {
  std::unique_lock lock(mu_);
  rules_ = std::move(rules);
  for (const auto& [name, keys] : members_) {
    marked_.insert(name);
  }
  refreshMarked();
}

bool HubState::setUnreachable(const std::string& agent_id, bool unreachable) {
  std::unique_lock lock(mu_);
  const bool changed =
      unreachable ? unreachable_.insert(agent_id).second : unreachable_.erase(agent_id) != 0;
  if (changed) {
    markAgent(agent_id);
    refreshMarked();
  }
  return changed;
}

bool HubState::isUnreachable(const std::string& agent_id) const {
  std::shared_lock lock(mu_);
  return unreachable_.count(agent_id) != 0;
}

std::set<std::string> HubState::unreachableAgents() const {
  std::shared_lock lock(mu_);
  return unreachable_;
}

std::set<std::string> HubState::servicesOf(const std::string& agent_id) const {
  std::set<std::string> out;
  std::shared_lock lock(mu_);
  for (auto it = checks_.lower_bound(Key{agent_id, ""});
       it != checks_.end() && it->first.first == agent_id; ++it) {
    out.insert(it->second.service);
  }
  return out;
}

std::set<std::string> HubState::serviceNames() const {
  std::set<std::string> out;
  std::shared_lock lock(mu_);
  for (const auto& [name, keys] : members_) {
    out.insert(out.end(), name);
  }
  return out;
}

bool HubState::setStopped(const std::string& agent_id, const std::string& boot_id, SystemTime at) {
  std::unique_lock lock(mu_);
  if (const auto b = boot_of_.find(agent_id);
      !boot_id.empty() && b != boot_of_.end() && b->second != boot_id) {
    return false;  // a deregistration from an earlier boot
  }
  if (!stopped_.try_emplace(agent_id, at).second) {
    return false;
  }
  markAgent(agent_id);
  refreshMarked();
  return true;
}

std::optional<SystemTime> HubState::clearStopped(const std::string& agent_id) {
  std::unique_lock lock(mu_);
  const auto it = stopped_.find(agent_id);
  if (it == stopped_.end()) {
    return std::nullopt;
  }
  const SystemTime at = it->second;
  stopped_.erase(it);
  markAgent(agent_id);
  refreshMarked();
  return at;
}

std::optional<SystemTime> HubState::stoppedAt(const std::string& agent_id) const {
  std::shared_lock lock(mu_);
  const auto it = stopped_.find(agent_id);
  return it == stopped_.end() ? std::nullopt : std::optional<SystemTime>(it->second);
}

std::map<std::string, SystemTime> HubState::stoppedAgents() const {
  std::shared_lock lock(mu_);
  return stopped_;
}

std::set<std::string> HubState::forgetAgent(const std::string& agent_id) {
  std::set<std::string> services;
  std::unique_lock lock(mu_);
  for (auto it = checks_.lower_bound(Key{agent_id, ""});
       it != checks_.end() && it->first.first == agent_id;) {
    services.insert(it->second.service);
    moveCheck(it->first, it->second.service, "");
    it = checks_.erase(it);
  }
  stopped_.erase(agent_id);
  unreachable_.erase(agent_id);
  boot_of_.erase(agent_id);
  refreshMarked();
  return services;
}

std::optional<ServiceState> HubState::service(const std::string& name) const {
  std::shared_lock lock(mu_);
  const auto it = services_.find(name);
  if (it == services_.end()) {
    return std::nullopt;
  }
  return *it->second;
}

std::size_t HubState::checkCount() const {
  std::shared_lock lock(mu_);
  return checks_.size();
}

}  // namespace vitals::hub::state
