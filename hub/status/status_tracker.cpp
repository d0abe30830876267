#include "hub/status/status_tracker.hpp"

#include <algorithm>
#include <variant>

namespace vitals::hub::status {
namespace {

using policy::Cause;

std::string joined(const std::vector<std::string>& items, std::size_t max_items = 20) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max_items; ++i) {
    out += (out.empty() ? "" : ", ") + items[i];
  }
  if (items.size() > max_items) {
    out += ", ... (" + std::to_string(items.size() - max_items) + " more)";
  }
  return out;
}

const std::string& agentOf(const store::CatalogEvent& e) {
  return std::visit([](const auto& v) -> const std::string& { return v.agent_id; }, e);
}

}  // namespace

policy::ServiceEvaluation evaluationOf(const state::ServiceState& s) {
  policy::ServiceEvaluation e;
  e.service = s.name;
  e.status = s.status;
  const state::CheckState* decider = nullptr;
  for (const auto& c : s.checks) {
    if (c.status != s.status) {
      continue;
    }
    // The newest deciding check; an unreachable agent's check wins (it explains the UNKNOWN).
    if (decider == nullptr || (c.unreachable && !decider->unreachable) ||
        (c.unreachable == decider->unreachable && c.last_checked > decider->last_checked)) {
      decider = &c;
    }
  }
  if (decider != nullptr) {
    e.agent = decider->agent_id;
    e.check = decider->name;
    e.reason = decider->message;
    e.flapping = decider->flapping;
    if (decider->unreachable) {
      e.cause = Cause::Unreachable;
      e.reason = state::kUnreachableReason;
    }
  } else {
    e.reason = s.checks.empty() ? "no checks" : "service rule not met";
  }
  return e;
}

StatusTracker::StatusTracker(state::HubState& state, store::StatusStore& store,
                             const Clock& clock, metrics::Registry& r, TrackerSettings settings,
                             std::shared_ptr<spdlog::logger> logger)
    : state_(state),
      store_(store),
      clock_(clock),
      settings_(settings),
      logger_(std::move(logger)),
      transitions_(r.counter("vitals_status_transitions_total",
                             "Service status transitions recorded")),
      record_errors_(r.counter("vitals_status_record_errors_total",
                               "Failed writes of transitions (retried on the next sweep)")),
      unreachable_total_(r.counter("vitals_agents_unreachable_total",
                                   "Agents found past their keepalive deadline")),
      unreachable_now_(r.gauge("vitals_agents_unreachable", "Agents currently unreachable")),
      skew_findings_(r.counter("vitals_agents_clock_skew_findings_total",
                               "Heartbeats whose agent clock was off beyond the threshold")),
      sweep_errors_(r.counter("vitals_status_sweep_errors_total",
                              "Staleness sweeps that could not read or write the database")) {}

void StatusTracker::addSink(TransitionSink& sink) {
  std::lock_guard lock(mu_);
  sinks_.push_back(&sink);
}

std::size_t StatusTracker::pendingTransitions() const {
  std::lock_guard lock(mu_);
  return pending_;
}

Status StatusTracker::start(bool sweep_now) {
  std::lock_guard lock(mu_);
  auto open = store_.openWindows();
  if (!open.ok()) {
    return open.error();
  }
  previous_.clear();
  watching_since_ = clock_.now();
  for (const auto& w : open.value()) {
    previous_[w.service] = w.status;
  }
  // Agents already marked unreachable before the restart stay so without a new grouped event.
  auto agents = store_.liveness();
  if (!agents.ok()) {
    return agents.error();
  }
  for (const auto& a : agents.value()) {
    if (a.unreachable) {
      state_.setUnreachable(a.agent_id, true);
    }
  }
  // Agents that died while the hub was down are overdue now; the transitions this finds (and
  // any left unrecorded by a crash) are Reconcile transitions.
  if (sweep_now) {
    sweepLocked(Cause::Reconcile);
  }
  return okStatus();
}

void StatusTracker::adoptRecorded(const std::map<std::string, HealthStatus>& recorded) {
  std::lock_guard lock(mu_);
  for (const auto& [service, status] : recorded) {
    previous_[service] = status;
  }
}

Status StatusTracker::resync() {
  std::lock_guard lock(mu_);
  auto open = store_.openWindows();
  if (!open.ok()) {
    return open.error();
  }
  for (const auto& w : open.value()) {
    previous_[w.service] = w.status;
  }
  return okStatus();
}

Status StatusTracker::takeOver() {
  if (auto s = resync(); !s.ok()) {
    return s;
  }
  std::lock_guard lock(mu_);
  sweepLocked(Cause::Reconcile);
  return okStatus();
}

void StatusTracker::sweep() {
  std::lock_guard lock(mu_);
  sweepLocked(Cause::Check);
}

void StatusTracker::sweepLocked(Cause cause_for_others) {
  const SystemTime now = clock_.now();
  std::vector<policy::Transition> extra;
  auto agents = store_.liveness();
  if (!agents.ok()) {
    sweep_errors_.inc();
    logger_->warn("staleness sweep could not read agents: {}", agents.error().describe());
  } else {
    const auto plan =
        policy::planSweep(agents.value(), state_.unreachableAgents(), now,
                                        settings_.liveness, watching_since_);
    for (const auto& a : plan.newly_unreachable) {
      state_.setUnreachable(a, true);
    }
    for (const auto& a : plan.returned) {
      state_.setUnreachable(a, false);
    }
    if (auto s = store_.setUnreachable(plan.db_mark, now); !s.ok()) {
      sweep_errors_.inc();
      logger_->warn("could not mark agents unreachable: {}", s.error().describe());
    }
    if (auto s = store_.setUnreachable(plan.db_clear, std::nullopt); !s.ok()) {
      sweep_errors_.inc();
      logger_->warn("could not mark agents reachable: {}", s.error().describe());
    }
    if (!plan.newly_unreachable.empty()) {
      // One grouped event instead of one page per service (reliability rule 9).
      const auto n = plan.newly_unreachable.size();
      unreachable_total_.inc(n);
      const std::string reason = std::to_string(n) + (n == 1 ? " agent" : " agents") +
                                 " unreachable: " + joined(plan.newly_unreachable);
      logger_->warn("{} (missed {} heartbeats)", reason, settings_.liveness.missed_heartbeats);
      policy::Transition group;
      group.service = policy::kAgentsGroupService;
      group.from = HealthStatus::Healthy;
      group.to = HealthStatus::Unknown;
      group.at = now;
      group.reason = reason;
      group.agent = joined(plan.newly_unreachable, plan.newly_unreachable.size());
      group.cause = Cause::AgentsGroup;
      extra.push_back(std::move(group));
    }
    if (!plan.returned.empty()) {
      logger_->info("{} agent(s) reachable again: {}", plan.returned.size(),
                    joined(plan.returned));
    }
  }
  unreachable_now_.set(static_cast<double>(state_.unreachableAgents().size()));
  // Every service: applies unreachability and retries anything left unrecorded.
  evaluateLocked(nullptr, cause_for_others, std::move(extra));

  const SystemTime hour = policy::hourOf(now);
  if (!last_checkpoint_ || *last_checkpoint_ < hour) {
    const SystemTime drop_before =
        now - std::chrono::hours{24} * settings_.uptime_retention_days;
    if (auto s = store_.checkpoint(hour, drop_before); !s.ok()) {
      sweep_errors_.inc();
      logger_->warn("uptime rollup checkpoint failed (retried next sweep): {}",
                    s.error().describe());
    } else {
      last_checkpoint_ = hour;
    }
  }
}

void StatusTracker::evaluateLocked(const std::set<std::string>* only, Cause default_cause,
                                   std::vector<policy::Transition> extra) {
  const auto services = only != nullptr ? state_.servicesNamed(*only) : state_.services();
  std::vector<policy::ServiceEvaluation> evals;
  evals.reserve(services.size());
  for (const auto& s : services) {
    auto e = evaluationOf(s);
    if (e.cause == Cause::Check && default_cause == Cause::Reconcile) {
      e.cause = Cause::Reconcile;
    }
    evals.push_back(std::move(e));
  }
  auto found = policy::detectTransitions(previous_, evals, clock_.now());
  for (auto& t : found) {
    // A service leaving UNKNOWN because its agent came back says so.
    if (t.cause == Cause::Check && t.from == HealthStatus::Unknown && !t.first &&
        default_cause == Cause::Reachable) {
      t.cause = Cause::Reachable;
    }
  }
  found.insert(found.begin(), std::make_move_iterator(extra.begin()),
               std::make_move_iterator(extra.end()));
  if (found.empty()) {
    pending_ = 0;
    return;
  }
  if (auto s = store_.record(found); !s.ok()) {
    record_errors_.inc();
    pending_ = found.size();
    logger_->warn("could not record {} status transition(s), retrying: {}", found.size(),
                  s.error().describe());
    return;
  }
  pending_ = 0;
  for (const auto& t : found) {
    if (t.service != policy::kAgentsGroupService) {
      previous_[t.service] = t.to;
    }
    if (!t.first) {
      logger_->info("service {} {} -> {} ({}{}{})", t.service, toString(t.from), toString(t.to),
                    t.reason, t.check.empty() ? "" : "; check ", t.check);
    }
  }
  transitions_.inc(found.size());
  for (auto* sink : sinks_) {
    sink->onTransitions(found);
  }
}

void StatusTracker::markReturnedLocked(const std::set<std::string>& agents) {
  std::vector<std::string> returned;
  for (const auto& a : agents) {
    if (state_.setUnreachable(a, false)) {
      returned.push_back(a);
    }
  }
  if (returned.empty()) {
    return;
  }
  logger_->info("{} agent(s) reachable again: {}", returned.size(), joined(returned));
  unreachable_now_.set(static_cast<double>(state_.unreachableAgents().size()));
  if (auto s = store_.setUnreachable(returned, std::nullopt); !s.ok()) {
    // The next sweep clears the flag (planSweep's db_clear).
    logger_->warn("could not mark agents reachable: {}", s.error().describe());
  }
}

void StatusTracker::skewLocked(const Heartbeat& hb, SystemTime received_at) {
  using std::chrono::milliseconds;
  const auto offset = std::chrono::duration_cast<milliseconds>(hb.sent_at - received_at);
  std::optional<milliseconds> previous;
  if (auto it = skew_offset_.find(hb.agent_id); it != skew_offset_.end()) {
    previous = it->second;
  }
  skew_offset_[hb.agent_id] = offset;
  // Replayed heartbeats differ by about one interval: tolerate less than half of it.
  const milliseconds tolerance =
      hb.interval.count() > 0 ? std::min(milliseconds{1000}, hb.interval / 2) : milliseconds{1000};
  const auto finding =
      policy::assessSkew(previous, offset, settings_.liveness.skew_threshold, tolerance);
  const auto reported = skew_reported_.find(hb.agent_id);
  if (finding) {
    skew_findings_.inc();
    const bool changed = reported == skew_reported_.end() ||
                         std::chrono::abs(reported->second - *finding) > milliseconds{1000};
    if (!changed) {
      return;
    }
    logger_->warn("agent {} clock is {} ms {} the hub's (threshold {} ms)", hb.agent_id,
                  std::chrono::abs(*finding).count(), finding->count() > 0 ? "ahead of" : "behind",
                  settings_.liveness.skew_threshold.count());
    if (store_.setClockSkew(hb.agent_id, *finding).ok()) {
      skew_reported_[hb.agent_id] = *finding;
    }
  } else if (reported != skew_reported_.end() &&
             std::chrono::abs(offset) <= settings_.liveness.skew_threshold) {
    logger_->info("agent {} clock is back within {} ms of the hub's", hb.agent_id,
                  settings_.liveness.skew_threshold.count());
    if (store_.setClockSkew(hb.agent_id, std::nullopt).ok()) {
      skew_reported_.erase(reported);
    }
  }
}

void StatusTracker::onCommitted(const store::IngestBatch& batch) {
  std::lock_guard lock(mu_);
  std::set<std::string> agents;
  std::set<std::string> services;
  for (const auto& e : batch.catalog) {
    agents.insert(agentOf(e));
    if (const auto* reg = std::get_if<Registration>(&e)) {
      for (const auto& c : reg->checks) {
        services.insert(c.service);
      }
    } else if (const auto* hb = std::get_if<Heartbeat>(&e)) {
      skewLocked(*hb, batch.received_at);
    }
  }
  for (const auto& r : batch.results) {
    agents.insert(r.agent_id);
    services.insert(r.service);
  }
  // Anything from an agent proves it is alive: its last_seen was just committed.
  bool any_returned = false;
  for (const auto& a : agents) {
    if (state_.isUnreachable(a)) {
      any_returned = true;
      for (const auto& s : state_.servicesOf(a)) {
        services.insert(s);
      }
    }
  }
  if (any_returned) {
    markReturnedLocked(agents);
  }
  if (services.empty()) {
    return;
  }
  evaluateLocked(&services, any_returned ? Cause::Reachable : Cause::Check);
}

}  // namespace vitals::hub::status
