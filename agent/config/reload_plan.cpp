#include "agent/config/reload_plan.hpp"

#include <functional>
#include <map>
#include <set>

namespace vitals::agent {
namespace {

std::vector<std::string> restartOnlyChanges(const AgentConfig& a, const AgentConfig& b) {
  std::vector<std::string> out;
  auto note = [&](bool changed, const char* name) {
    if (changed) {
      out.emplace_back(name);
    }
  };
  note(a.agent_id != b.agent_id, "agent_id");
  note(a.labels != b.labels, "labels");
  note(a.nats.url != b.nats.url || a.nats.user != b.nats.user ||
           a.nats.credentials_file != b.nats.credentials_file ||
           a.nats.password_file != b.nats.password_file ||
           a.nats.publish_timeout != b.nats.publish_timeout,
       "nats");
  note(a.heartbeat_interval != b.heartbeat_interval, "heartbeat_interval");
  note(a.log.level != b.log.level || a.log.format != b.log.format, "log");
  note(a.publish.max_batch != b.publish.max_batch || a.publish.max_delay != b.publish.max_delay,
       "publish");
  note(a.spool.dir != b.spool.dir || a.spool.max_bytes != b.spool.max_bytes ||
           a.spool.drain_rate != b.spool.drain_rate,
       "spool");
  note(a.heartbeat_listen != b.heartbeat_listen, "heartbeat_listen");
  return out;
}

}  // namespace

RunningCheck runningCheck(const CheckConfig& check) {
  RunningCheck r;
  r.name = check.name;
  r.length = check.definition.size();
  if (check.definition.empty()) {
    return r;
  }
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (const unsigned char c : check.definition) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  r.digest_a = h;
  r.digest_b = std::hash<std::string>{}(check.definition);  // libstdc++: Murmur-based
  return r;
}

std::vector<RunningCheck> runningChecks(const AgentConfig& cfg) {
  std::vector<RunningCheck> out;
  out.reserve(cfg.checks.size());
  for (const auto& c : cfg.checks) {
    out.push_back(runningCheck(c));
  }
  return out;
}

ReloadPlan planReload(const AgentConfig& running, const std::vector<RunningCheck>& checks,
                      const AgentConfig& next) {
  ReloadPlan plan;
  std::map<std::string, const RunningCheck*> old;
  for (const auto& c : checks) {
    old.emplace(c.name, &c);
  }
  std::set<std::string> wanted;
  for (const auto& c : next.checks) {
    wanted.insert(c.name);
    auto it = old.find(c.name);
    const RunningCheck candidate = runningCheck(c);
    // An empty definition is never "unchanged": without it we cannot tell.
    const bool same = it != old.end() && candidate.length > 0 &&
                      it->second->length == candidate.length &&
                      it->second->digest_a == candidate.digest_a &&
                      it->second->digest_b == candidate.digest_b;
    if (same) {
      plan.keep.push_back(c.name);
      continue;
    }
    plan.start.push_back(&c);
    if (it != old.end()) {
      plan.stop.push_back(c.name);
    }
  }
  for (const auto& c : checks) {
    if (wanted.count(c.name) == 0) {
      plan.stop.push_back(c.name);
    }
  }
  plan.restart_only = restartOnlyChanges(running, next);
  return plan;
}

ReloadPlan planReload(const AgentConfig& running, const AgentConfig& next) {
  return planReload(running, runningChecks(running), next);
}

}  // namespace vitals::agent
