#include "hub/policy/liveness.hpp"

#include <algorithm>

namespace vitals::hub::policy {

SystemTime keepaliveDeadline(const AgentLiveness& agent, const LivenessSettings& settings,
                             SystemTime watching_since) {
  auto interval = agent.heartbeat_interval.value_or(settings.fallback_interval);
  if (interval.count() <= 0) {
    interval = settings.fallback_interval;
  }
  return std::max(agent.last_seen, watching_since) +
         interval * std::max(settings.missed_heartbeats, 1);
}

std::vector<std::string> overdueAgents(const std::vector<AgentLiveness>& agents, SystemTime now,
                                       const LivenessSettings& settings,
                                       SystemTime watching_since) {
  std::vector<std::string> out;
  for (const auto& a : agents) {
    if (a.unreachable || a.deregistered || a.forgotten || a.revoked) {
      continue;
    }
    if (now > keepaliveDeadline(a, settings, watching_since)) {
      out.push_back(a.agent_id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

SweepPlan planSweep(const std::vector<AgentLiveness>& agents,
                    const std::set<std::string>& known_unreachable, SystemTime now,
                    const LivenessSettings& settings, SystemTime watching_since) {
  SweepPlan plan;
  for (const auto& a : agents) {
    // Marked before a restart and still silent: stays unreachable during the grace period.
    const SystemTime since = a.unreachable ? SystemTime{} : watching_since;
    const bool overdue = !a.deregistered && !a.forgotten && !a.revoked &&
                         now > keepaliveDeadline(a, settings, since);
    const bool known = known_unreachable.count(a.agent_id) != 0;
    if (overdue && !known) {
      plan.newly_unreachable.push_back(a.agent_id);
    } else if (!overdue && known) {
      plan.returned.push_back(a.agent_id);
    }
    if (overdue && !a.unreachable) {
      plan.db_mark.push_back(a.agent_id);
    } else if (!overdue && a.unreachable) {
      plan.db_clear.push_back(a.agent_id);
    }
  }
  for (auto* v : {&plan.newly_unreachable, &plan.returned, &plan.db_mark, &plan.db_clear}) {
    std::sort(v->begin(), v->end());
  }
  return plan;
}

std::vector<std::string> silentAgents(const std::vector<AgentLiveness>& agents, SystemTime now,
                                      const LivenessSettings& settings, SystemTime watching_since) {
  std::vector<std::string> out;
  const int missed = std::max(settings.missed_heartbeats, 1);
  for (const auto& a : agents) {
    if (a.unreachable || a.deregistered || a.forgotten || a.revoked) {
      continue;
    }
    auto interval = a.heartbeat_interval.value_or(settings.fallback_interval);
    if (interval.count() <= 0) {
      interval = settings.fallback_interval;
    }
    const auto heard = std::max(a.last_seen, watching_since);
    const auto threshold =
        std::max<std::chrono::milliseconds>(interval * (missed - 1), interval / 2);
    if (now - heard > threshold && now <= keepaliveDeadline(a, settings, watching_since)) {
      out.push_back(a.agent_id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> UnreachableGroup::sweep(const std::vector<std::string>& newly_unreachable,
                                                 const std::vector<std::string>& returned,
                                                 const std::vector<std::string>& silent,
                                                 SystemTime now,
                                                 std::chrono::milliseconds max_hold) {
  if (pending_.empty() && newly_unreachable.empty()) {
    return {};
  }
  if (pending_.empty()) {
    since_ = now;
  }
  pending_.insert(newly_unreachable.begin(), newly_unreachable.end());
  for (const auto& a : returned) {
    pending_.erase(a);
  }
  if (pending_.empty()) {
    return {};
  }
  if (!silent.empty() && now - since_ < max_hold) {
    return {};
  }
  std::vector<std::string> out(pending_.begin(), pending_.end());
  pending_.clear();
  return out;
}

void UnreachableGroup::leave(const std::vector<std::string>& agents) {
  for (const auto& a : agents) {
    pending_.erase(a);
  }
}

std::vector<std::string> agentsToForget(const std::vector<AgentLiveness>& agents, SystemTime now,
                                        std::chrono::milliseconds forget_after) {
  std::vector<std::string> out;
  if (forget_after.count() <= 0) {
    return out;
  }
  for (const auto& a : agents) {
    if (a.forgotten) {
      continue;
    }
    const auto since = a.deregistered ? a.deregistered_at
                       : a.revoked    ? a.revoked_at
                                      : a.unreachable_since;
    if (since && now - *since > forget_after) {
      out.push_back(a.agent_id);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool backWithinGrace(SystemTime stopped_at, SystemTime now, std::chrono::milliseconds grace) {
  return now - stopped_at <= grace;
}

std::optional<std::chrono::milliseconds> assessSkew(
    std::optional<std::chrono::milliseconds> previous_offset, std::chrono::milliseconds offset,
    std::chrono::milliseconds threshold, std::chrono::milliseconds tolerance) {
  if (offset > threshold) {
    return offset;
  }
  if (offset < -threshold && previous_offset &&
      std::chrono::abs(*previous_offset - offset) <= tolerance) {
    return offset;
  }
  return std::nullopt;
}

}  // namespace vitals::hub::policy
