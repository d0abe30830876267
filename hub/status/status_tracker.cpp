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

// How long a grouped event may wait for the rest of an outage: one full deadline of the
// slowest heartbeat (an outage's last heartbeats spread over at most one interval).
std::chrono::milliseconds groupHoldOf(const std::vector<policy::AgentLiveness>& agents,
                                      const policy::LivenessSettings& settings) {
  std::chrono::milliseconds longest = settings.fallback_interval;
  for (const auto& a : agents) {
    if (a.heartbeat_interval && a.heartbeat_interval->count() > 0 && !a.forgotten) {
      longest = std::max(longest, *a.heartbeat_interval);
    }
  }
  return longest * std::max(settings.missed_heartbeats, 1);
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
    // The newest deciding check; a stopped or unreachable agent's check wins (it explains the
    // UNKNOWN), a stopped one first (the agent said why).
    const auto rank = [](const state::CheckState& x) {
      return x.stopped ? 2 : (x.unreachable ? 1 : 0);
    };
    if (decider == nullptr || rank(c) > rank(*decider) ||
        (rank(c) == rank(*decider) && c.last_checked > decider->last_checked)) {
      decider = &c;
    }
  }
  if (decider != nullptr) {
    e.agent = decider->agent_id;
    e.check = decider->name;
    e.reason = decider->message;
    e.flapping = decider->flapping;
    if (decider->stopped) {
      e.cause = Cause::Stopped;
      e.flapping = false;
    } else if (decider->unreachable) {
      e.cause = Cause::Unreachable;
      e.reason = state::kUnreachableReason;
    }
  } else {
    e.reason = s.checks.empty() ? "no checks" : "service rule not met";
  }
  return e;
}

StatusTracker::StatusTracker(state::HubState& state, store::StatusStore& store, const Clock& clock,
                             metrics::Registry& r, TrackerSettings settings,
                             std::shared_ptr<spdlog::logger> logger)
    : state_(state),
      store_(store),
      clock_(clock),
      settings_(settings),
      logger_(std::move(logger)),
      transitions_(
          r.counter("vitals_status_transitions_total", "Service status transitions recorded")),
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
    if (a.forgotten) {
      continue;
    }
    if (a.revoked) {
      state_.setRevoked(a.agent_id, a.revoked_at.value_or(clock_.now()));
    } else if (a.deregistered && a.deregistered_at) {
      state_.setStopped(a.agent_id, "", *a.deregistered_at);
    } else if (a.unreachable) {
      state_.setUnreachable(a.agent_id, true);
    }
  }
  // Services already recorded as gone (UNKNOWN and without checks) stay quiet; any other
  // service without checks left while the hub was down and is recorded as removed now.
  gone_.clear();
  const auto present = state_.serviceNames();
  for (const auto& [service, status] : previous_) {
    if (status == HealthStatus::Unknown && present.count(service) == 0) {
      gone_.insert(service);
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
  const auto present = state_.serviceNames();
  for (const auto& [service, status] : recorded) {
    previous_[service] = status;
    // Another replica recorded its removal (the registration came with the same update).
    if (status == HealthStatus::Unknown && present.count(service) == 0) {
      gone_.insert(service);
    }
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
  std::set<std::string> revoked_services;
  auto agents = store_.liveness();
  if (!agents.ok()) {
    sweep_errors_.inc();
    logger_->warn("staleness sweep could not read agents: {}", agents.error().describe());
  } else {
    // Silence is judged at the hub's position in the stream: messages still waiting in
    // JetStream (the hub is catching up) cannot be held against their agents.
    const SystemTime heard_until = heardUntilLocked(now);
    const auto plan = policy::planSweep(agents.value(), state_.unreachableAgents(), heard_until,
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
      unreachable_total_.inc(plan.newly_unreachable.size());
      logger_->info("{} agent(s) missed {} heartbeats: {}", plan.newly_unreachable.size(),
                    settings_.liveness.missed_heartbeats, joined(plan.newly_unreachable));
    }
    // One grouped event instead of one page per service (reliability rule 9), and one for the
    // whole outage: held while other agents are silent and about to reach their deadlines.
    const auto silent =
        policy::silentAgents(agents.value(), heard_until, settings_.liveness, watching_since_);
    const auto announce = group_.sweep(plan.newly_unreachable, plan.returned, silent, now,
                                       groupHoldOf(agents.value(), settings_.liveness));
    if (group_.held() && !plan.newly_unreachable.empty()) {
      logger_->info("grouped unreachable event held: {} more agent(s) silent", silent.size());
    }
    if (!announce.empty()) {
      const auto n = announce.size();
      const std::string reason =
          std::to_string(n) + (n == 1 ? " agent" : " agents") + " unreachable: " + joined(announce);
      logger_->warn("{} (missed {} heartbeats)", reason, settings_.liveness.missed_heartbeats);
      policy::Transition group;
      group.service = policy::kAgentsGroupService;
      group.from = HealthStatus::Healthy;
      group.to = HealthStatus::Unknown;
      group.at = now;
      group.reason = reason;
      group.agent = joined(announce, announce.size());
      group.cause = Cause::AgentsGroup;
      extra.push_back(std::move(group));
    }
    if (!plan.returned.empty()) {
      logger_->info("{} agent(s) reachable again: {}", plan.returned.size(), joined(plan.returned));
    }
    // Revoked agents are cut off on purpose: their services go unknown saying so, like a clean
    // stop, and never count as unreachable.
    for (const auto& a : agents.value()) {
      if (a.revoked && !a.forgotten && state_.setRevoked(a.agent_id, a.revoked_at.value_or(now))) {
        const auto of = state_.servicesOf(a.agent_id);
        revoked_services.insert(of.begin(), of.end());
        logger_->info("agent {} is revoked: its {} service(s) are unknown", a.agent_id, of.size());
      }
    }
  }
  unreachable_now_.set(static_cast<double>(state_.unreachableAgents().size()));
  // Every service: applies unreachability and retries anything left unrecorded.
  evaluateLocked(nullptr, cause_for_others, std::move(extra), {}, revoked_services, true);

  // Agents stopped or unreachable for longer than agents.forget_after retire.
  if (agents.ok()) {
    const auto retire =
        policy::agentsToForget(agents.value(), now, settings_.lifecycle.forget_after);
    if (!retire.empty()) {
      auto done = forgetLocked(retire);
      if (!done.ok()) {
        sweep_errors_.inc();
        logger_->warn("could not retire agents past forget_after: {}", done.error().describe());
      } else if (!done->empty()) {
        logger_->info("retired {} agent(s) silent for longer than forget_after: {}", done->size(),
                      joined(done.value()));
      }
    }
  }

  const SystemTime hour = policy::hourOf(now);
  if (!last_checkpoint_ || *last_checkpoint_ < hour) {
    const SystemTime drop_before = now - std::chrono::hours{24} * settings_.uptime_retention_days;
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
                                   std::vector<policy::Transition> extra,
                                   const std::set<std::string>& resumed,
                                   const std::set<std::string>& stopped, bool removals) {
  const SystemTime now = clock_.now();
  const auto services = only != nullptr ? state_.servicesNamed(*only) : state_.services();
  std::vector<policy::ServiceEvaluation> evals;
  evals.reserve(services.size());
  std::vector<policy::Transition> forced;
  for (const auto& s : services) {
    auto e = evaluationOf(s);
    if (e.cause == Cause::Check && default_cause == Cause::Reconcile) {
      e.cause = Cause::Reconcile;
    }
    // A clean stop of a service that was UNKNOWN already still resolves its incidents.
    const auto prev = previous_.find(s.name);
    if (e.cause == Cause::Stopped && stopped.count(s.name) != 0 && prev != previous_.end() &&
        prev->second == e.status) {
      policy::Transition t;
      t.service = e.service;
      t.from = prev->second;
      t.to = e.status;
      t.at = now;
      t.reason = e.reason;
      t.agent = e.agent;
      t.check = e.check;
      t.cause = Cause::Stopped;
      forced.push_back(std::move(t));
    }
    evals.push_back(std::move(e));
  }
  auto found = policy::detectTransitions(previous_, evals, now);
  for (auto& t : found) {
    // A service leaving UNKNOWN because its agent came back says so.
    if (t.cause == Cause::Check && t.from == HealthStatus::Unknown && !t.first &&
        default_cause == Cause::Reachable) {
      t.cause = Cause::Reachable;
    }
    // Back from a clean stop within the restart grace: quiet (no stop/start pair).
    if ((t.cause == Cause::Check || t.cause == Cause::Reachable) &&
        t.from == HealthStatus::Unknown && !t.first && resumed.count(t.service) != 0) {
      t.cause = Cause::Resumed;
    }
  }
  found.insert(found.end(), std::make_move_iterator(forced.begin()),
               std::make_move_iterator(forced.end()));
  std::vector<std::string> removed;
  if (removals) {
    const auto present = state_.serviceNames();
    for (const auto& [service, status] : previous_) {
      if (service == policy::kAgentsGroupService) {
        continue;
      }
      if (present.count(service) != 0) {
        gone_.erase(service);
        continue;
      }
      if (gone_.count(service) != 0) {
        continue;
      }
      policy::Transition t;
      t.service = service;
      t.from = status;
      t.to = HealthStatus::Unknown;
      t.at = now;
      t.reason = kRemovedReason;
      t.cause = Cause::Removed;
      found.push_back(std::move(t));
      removed.push_back(service);
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
  gone_.insert(removed.begin(), removed.end());
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
  group_.leave(returned);
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

void StatusTracker::noteBacklogLocked(const store::IngestBatch& batch) {
  // Heartbeats say when they were sent: the median wait of a batch's heartbeats is how far
  // behind the stream the hub is (clock skew is small next to a backlog; the median ignores a
  // few skewed agents).
  std::vector<std::chrono::milliseconds> waits;
  for (const auto& e : batch.catalog) {
    if (const auto* hb = std::get_if<Heartbeat>(&e)) {
      waits.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(batch.received_at - hb->sent_at));
    }
  }
  if (waits.empty()) {
    return;
  }
  std::nth_element(waits.begin(), waits.begin() + static_cast<long>(waits.size() / 2), waits.end());
  behind_ = std::max(std::chrono::milliseconds{0}, waits[waits.size() / 2]);
  behind_at_ = clock_.now();
}

SystemTime StatusTracker::heardUntilLocked(SystemTime now) const {
  // Only a recent measurement counts: a hub that has received nothing for a while has nothing
  // waiting for it (or cannot read the stream, which the sweep is right to treat as silence).
  if (behind_at_ && now - *behind_at_ <= kBacklogFresh) {
    return now - behind_;
  }
  return now;
}

void StatusTracker::onCommitted(const store::IngestBatch& batch) {
  std::lock_guard lock(mu_);
  std::set<std::string> agents;
  std::set<std::string> services;
  std::set<std::string> resumed;  // services of agents back within the restart grace
  std::set<std::string> stopped;  // services of agents that just stopped
  bool registered = false;
  noteBacklogLocked(batch);
  for (const auto& e : batch.catalog) {
    agents.insert(agentOf(e));
    if (const auto* reg = std::get_if<Registration>(&e)) {
      registered = true;
      for (const auto& c : reg->checks) {
        services.insert(c.service);
      }
      if (const auto at = state_.clearStopped(reg->agent_id)) {
        const auto of = state_.servicesOf(reg->agent_id);
        services.insert(of.begin(), of.end());
        for (const auto& s : of) {
          stopped.erase(s);
        }
        if (policy::backWithinGrace(*at, batch.received_at, settings_.lifecycle.restart_grace)) {
          resumed.insert(of.begin(), of.end());
          logger_->info(
              "agent {} is back {} ms after it stopped (within the restart grace)", reg->agent_id,
              std::chrono::duration_cast<std::chrono::milliseconds>(batch.received_at - *at)
                  .count());
        }
      }
    } else if (const auto* hb = std::get_if<Heartbeat>(&e)) {
      skewLocked(*hb, batch.received_at);
    } else if (const auto* d = std::get_if<store::Deregistration>(&e)) {
      if (state_.setStopped(d->agent_id, d->boot_id, batch.received_at)) {
        const auto of = state_.servicesOf(d->agent_id);
        services.insert(of.begin(), of.end());
        stopped.insert(of.begin(), of.end());
        logger_->info("agent {} stopped: its {} service(s) are unknown until it is back",
                      d->agent_id, of.size());
      }
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
  if (services.empty() && !registered) {
    return;
  }
  // A registration may have dropped checks: services left without any leave the view.
  evaluateLocked(&services, any_returned ? Cause::Reachable : Cause::Check, {}, resumed, stopped,
                 registered);
}

Result<std::vector<std::string>> StatusTracker::forget(const std::vector<std::string>& agents) {
  std::lock_guard lock(mu_);
  return forgetLocked(agents);
}

Result<std::vector<std::string>> StatusTracker::forgetLocked(
    const std::vector<std::string>& agents) {
  auto done = store_.forgetAgents(agents, clock_.now());
  if (!done.ok()) {
    return done.error();
  }
  if (done->empty()) {
    return done;
  }
  std::set<std::string> services;
  for (const auto& a : done.value()) {
    const auto of = state_.forgetAgent(a);
    services.insert(of.begin(), of.end());
    skew_offset_.erase(a);
    skew_reported_.erase(a);
  }
  unreachable_now_.set(static_cast<double>(state_.unreachableAgents().size()));
  // Services shared with other agents are evaluated again; the others leave the view.
  evaluateLocked(&services, Cause::Check, {}, {}, {}, true);
  if (on_forgotten_) {
    on_forgotten_(done.value());
  }
  return done;
}

}  // namespace vitals::hub::status
