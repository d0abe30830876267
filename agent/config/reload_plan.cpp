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
  note(a.metrics_listen != b.metrics_listen, "metrics_listen");
  return out;
}

}  // namespace

DefinitionDigest definitionDigest(const CheckConfig& check) {
  DefinitionDigest d;
  d.length = check.definition.size();
  if (check.definition.empty()) {
    return d;
  }
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a 64
  for (const unsigned char c : check.definition) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  d.a = h;
  d.b = std::hash<std::string>{}(check.definition);  // libstdc++: Murmur-based
  return d;
}

bool sameDefinition(const DefinitionDigest& x, const DefinitionDigest& y) {
  return x.length > 0 && x.length == y.length && x.a == y.a && x.b == y.b;
}

std::vector<RunningCheck> runningChecks(const AgentConfig& cfg) {
  std::vector<RunningCheck> out;
  out.reserve(cfg.checks.size());
  for (const auto& c : cfg.checks) {
    out.push_back(RunningCheck{c.name, definitionDigest(c)});
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
    // An empty definition is never "unchanged": without it we cannot tell.
    if (it != old.end() && sameDefinition(it->second->digest, definitionDigest(c))) {
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
