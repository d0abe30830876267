#include "hub/repair/repair_decider.hpp"

#include <algorithm>

#include "common/config/yaml_reader.hpp"

namespace vitals::hub::repair {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

std::string inQuotes(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string_view toString(Trigger t) {
  switch (t) {
    case Trigger::Transition:
      return "transition";
    case Trigger::Verify:
      return "verify";
    case Trigger::Manual:
      return "manual";
    case Trigger::Event:
      return "event";
  }
  return "transition";
}

std::optional<Trigger> parseTrigger(std::string_view s) {
  for (Trigger t : {Trigger::Transition, Trigger::Verify, Trigger::Manual, Trigger::Event}) {
    if (toString(t) == s) {
      return t;
    }
  }
  return std::nullopt;
}

std::string_view toString(Verdict v) {
  switch (v) {
    case Verdict::None:
      return "none";
    case Verdict::Skip:
      return "skip";
    case Verdict::DryRun:
      return "dry-run";
    case Verdict::PendingApproval:
      return "pending-approval";
    case Verdict::Execute:
      return "execute";
    case Verdict::Escalate:
      return "escalate";
  }
  return "none";
}

FailureClass classify(HealthStatus status, FailureKind kind) {
  if (status == HealthStatus::Degraded) {
    return FailureClass::Degraded;
  }
  switch (kind) {
    case FailureKind::Timeout:
      return FailureClass::Timeout;
    case FailureKind::Crashed:
      return FailureClass::Crashed;
    case FailureKind::Refused:
      return FailureClass::Refused;
    case FailureKind::Unexpected:
      return FailureClass::Unexpected;
    case FailureKind::None:
    case FailureKind::Error:
      break;
  }
  return FailureClass::Error;
}

Decision RepairDecider::decide(const RepairPolicy* policy, const RepairRequest& request,
                               const RepairHistory& history) const {
  Decision d;
  d.agent = request.agent;
  auto verdict = [&d](Verdict v, std::string reason) {
    d.verdict = v;
    d.reasons.push_back(std::move(reason));
    return d;
  };
  // Quick actions and inbound events name their action; only automatic triggers derive it from
  // the policy and count against an incident.
  const bool event = request.trigger == Trigger::Event;
  const bool manual = request.trigger == Trigger::Manual || event;
  // A quick action on a service without a policy gets the default guardrails.
  const RepairPolicy fallback = defaultPolicy(request.service, false);
  const RepairPolicy& p = policy != nullptr ? *policy : fallback;

  if (manual) {
    d.action = request.action;
    d.reasons.push_back(event ? "requested by an inbound event" : "requested by an operator");
    if (d.action.empty()) {
      return verdict(Verdict::Skip, "no action named for service " + inQuotes(request.service));
    }
  } else {
    if (policy == nullptr) {
      return verdict(Verdict::None, "no repair policy for service " + inQuotes(request.service));
    }
    if (!policy->enabled) {
      return verdict(Verdict::None, "the repair policy is disabled");
    }
    if (request.cause != policy::Cause::Check) {
      return verdict(Verdict::None, "cause " + std::string(policy::toString(request.cause)) +
                                        ": only check results trigger repairs");
    }
    if (request.status != HealthStatus::Down && request.status != HealthStatus::Degraded) {
      return verdict(Verdict::None,
                     "the service is " + std::string(vitals::toString(request.status)));
    }
    if (!request.dependency_down.empty()) {
      d.failure_class = FailureClass::DependencyDown;
      return verdict(Verdict::Skip, "depends on " + inQuotes(request.dependency_down) +
                                        ", which is down: repair that first");
    }
    const FailureClass cls = classify(request.status, request.failure_kind);
    d.failure_class = cls;
    auto it = policy->actions.find(cls);
    if (it == policy->actions.end() || it->second.empty()) {
      return verdict(Verdict::None, "no action for failure class " + std::string(toString(cls)));
    }
    d.action = it->second;
    d.reasons.push_back("failure class " + std::string(toString(cls)) + " -> action " +
                        inQuotes(d.action));
  }

  if (request.agent.empty()) {
    return verdict(Verdict::Skip, "no agent to run " + inQuotes(d.action) + " on");
  }
  // An event's agent may be named by its rule or an override rather than found by the service;
  // the agent itself refuses an action it does not have.
  if (!event && std::find(request.agent_actions.begin(), request.agent_actions.end(), d.action) ==
                    request.agent_actions.end()) {
    return verdict(Verdict::Skip, "agent " + inQuotes(request.agent) + " does not offer action " +
                                      inQuotes(d.action));
  }

  if (!manual) {
    if (history.incident_escalated) {
      return verdict(Verdict::None, "this incident was already escalated to a human");
    }
    if (history.consecutive_failures >= p.circuit_breaker) {
      return verdict(Verdict::Escalate,
                     "circuit breaker open: " + std::to_string(history.consecutive_failures) +
                         " consecutive failed repairs (limit " + std::to_string(p.circuit_breaker) +
                         "); giving up");
    }
    if (history.incident_attempts >= p.max_attempts) {
      return verdict(Verdict::Escalate,
                     "max attempts reached: " + std::to_string(history.incident_attempts) + " of " +
                         std::to_string(p.max_attempts) + " for this incident; giving up");
    }
    if (history.incident_pending) {
      return verdict(Verdict::None, "an approval for this incident is already pending");
    }
  }

  const SystemTime now = clock_.now();
  const milliseconds cooldown = request.cooldown.value_or(p.cooldown);
  if (history.last_execution && cooldown.count() > 0 && now < *history.last_execution + cooldown) {
    const SystemTime next = *history.last_execution + cooldown;
    d.retry_at = next;
    return verdict(Verdict::Skip, "cooldown: " + inQuotes(d.action) + " on " +
                                      inQuotes(request.agent) + " ran at " +
                                      formatRfc3339(*history.last_execution) +
                                      "; next allowed at " + formatRfc3339(next) + " (cooldown " +
                                      config::formatDuration(cooldown) + ")");
  }
  if (history.executions_in_window >= settings_.rate_limit) {
    return verdict(Verdict::Skip,
                   "global rate limit: " + std::to_string(history.executions_in_window) +
                       " executions in the last " + config::formatDuration(settings_.rate_window) +
                       " (limit " + std::to_string(settings_.rate_limit) + ")");
  }
  if (p.dry_run || request.dry_run) {
    return verdict(Verdict::DryRun, p.dry_run ? "dry run (policy)" : "dry run (requested)");
  }
  if (p.require_approval) {
    return verdict(Verdict::PendingApproval, "the policy requires approval");
  }
  return verdict(Verdict::Execute, "all guardrails passed");
}

}  // namespace vitals::hub::repair
