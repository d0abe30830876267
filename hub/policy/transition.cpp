#include "hub/policy/transition.hpp"

namespace vitals::hub::policy {

std::string_view toString(Cause cause) {
  switch (cause) {
    case Cause::Check:
      return "check";
    case Cause::Unreachable:
      return "unreachable";
    case Cause::Reachable:
      return "reachable";
    case Cause::Reconcile:
      return "reconcile";
    case Cause::AgentsGroup:
      return "agents_group";
    case Cause::LogRate:
      return "log_rate";
    case Cause::Stopped:
      return "stopped";
    case Cause::Resumed:
      return "resumed";
    case Cause::Removed:
      return "removed";
  }
  return "check";
}

std::optional<Cause> parseCause(std::string_view text) {
  for (auto c :
       {Cause::Check, Cause::Unreachable, Cause::Reachable, Cause::Reconcile, Cause::AgentsGroup,
        Cause::LogRate, Cause::Stopped, Cause::Resumed, Cause::Removed}) {
    if (toString(c) == text) {
      return c;
    }
  }
  return std::nullopt;
}

std::vector<Transition> detectTransitions(const std::map<std::string, HealthStatus>& previous,
                                          const std::vector<ServiceEvaluation>& now,
                                          SystemTime at) {
  std::vector<Transition> out;
  for (const auto& e : now) {
    const auto it = previous.find(e.service);
    if (it != previous.end() && it->second == e.status) {
      continue;
    }
    Transition t;
    t.service = e.service;
    t.first = it == previous.end();
    t.from = t.first ? HealthStatus::Unknown : it->second;
    t.to = e.status;
    t.at = at;
    t.reason = e.reason;
    t.agent = e.agent;
    t.check = e.check;
    t.cause = e.cause;
    t.flapping = e.flapping;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace vitals::hub::policy
