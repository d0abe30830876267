#include "hub/repair/repair_engine.hpp"

#include <spdlog/spdlog.h>

#include "hub/status/status_tracker.hpp"

namespace vitals::hub::repair {
namespace {

using std::chrono::milliseconds;

bool failing(HealthStatus s) { return s == HealthStatus::Down || s == HealthStatus::Degraded; }

ExecutionResult resultOf(const Result<AgentReply>& reply) {
  ExecutionResult x;
  if (!reply.ok()) {
    x.outcome = "no-reply";
    x.exit_code = -1;
    x.error = reply.error().message;
    return x;
  }
  x.outcome = reply->outcome;
  x.exit_code = reply->exit_code;
  x.duration_ms = reply->duration_ms;
  x.output = reply->output;
  x.output_truncated = reply->output_truncated;
  x.error = reply->error;
  return x;
}

}  // namespace

RepairEngine::RepairEngine(state::HubState& state, policy::ServiceRules rules, OpenFn open,
                           AgentCommands& agents, const Clock& clock, metrics::Registry& registry,
                           std::shared_ptr<spdlog::logger> logger, EngineSettings settings)
    : state_(state),
      rules_(std::move(rules)),
      open_(std::move(open)),
      agents_(agents),
      clock_(clock),
      logger_(std::move(logger)),
      settings_(std::move(settings)),
      decider_(clock, settings_.decider),
      decisions_skip_(registry.counter("vitals_repair_decisions_total",
                                       "Repair decisions that considered an action, by verdict",
                                       "verdict=\"skip\"")),
      decisions_execute_(registry.counter("vitals_repair_decisions_total",
                                          "Repair decisions that considered an action, by verdict",
                                          "verdict=\"execute\"")),
      decisions_other_(registry.counter("vitals_repair_decisions_total",
                                        "Repair decisions that considered an action, by verdict",
                                        "verdict=\"other\"")),
      executions_ok_(registry.counter("vitals_repair_executions_total",
                                      "Repair actions the agents ran, by result",
                                      "result=\"succeeded\"")),
      executions_failed_(registry.counter("vitals_repair_executions_total",
                                          "Repair actions the agents ran, by result",
                                          "result=\"failed\"")),
      guard_refusals_(registry.counter(
          "vitals_repair_guard_refusals_total",
          "Executions the database guard refused (cooldown or rate limit across hubs)")),
      escalations_(
          registry.counter("vitals_repair_escalations_total", "Incidents auto-repair gave up on")),
      errors_(registry.counter("vitals_repair_errors_total",
                               "Repair work that failed on a database error (retried)")) {}

RepairEngine::~RepairEngine() { stop(); }

void RepairEngine::start() {
  std::lock_guard lock(mu_);
  if (worker_.joinable()) {
    return;
  }
  stopping_ = false;
  worker_ = std::thread([this] { run(); });
}

void RepairEngine::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void RepairEngine::onTransitions(const std::vector<policy::Transition>& transitions) {
  {
    std::lock_guard lock(mu_);
    for (const auto& t : transitions) {
      // Incidents follow every transition, even when repair is off for automatic work.
      if (t.to == HealthStatus::Healthy) {
        incidents_.erase(t.service);
      } else if (failing(t.to) && !incidents_.count(t.service)) {
        incidents_[t.service] = t.service + "@" + formatRfc3339(t.at);
      }
      if (!settings_.enabled) {
        continue;
      }
      Job j;
      j.kind = Job::Kind::Transition;
      j.transition = t;
      queue_.push_back(std::move(j));
    }
  }
  cv_.notify_one();
}

void RepairEngine::enqueue(Job job) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void RepairEngine::defer(Job job, SteadyTime due) {
  {
    std::lock_guard lock(mu_);
    if (job.kind == Job::Kind::Reevaluate && !reevaluating_.insert(job.service).second) {
      return;  // one pending re-evaluation per service is enough
    }
    deferred_.emplace(due, std::move(job));
  }
  cv_.notify_one();
}

std::string RepairEngine::incidentOf(const std::string& service, bool open_if_missing,
                                     SystemTime at) {
  std::lock_guard lock(mu_);
  auto it = incidents_.find(service);
  if (it != incidents_.end()) {
    return it->second;
  }
  if (!open_if_missing) {
    return {};
  }
  const std::string id = service + "@" + formatRfc3339(at);
  incidents_[service] = id;
  return id;
}

std::optional<RepairEngine::Job> RepairEngine::takeReady(SteadyTime now, bool& tick_due) {
  tick_due = false;
  if (!queue_.empty()) {
    Job job = std::move(queue_.front());
    queue_.pop_front();
    return job;
  }
  if (!deferred_.empty() && deferred_.begin()->first <= now) {
    Job job = std::move(deferred_.begin()->second);
    deferred_.erase(deferred_.begin());
    if (job.kind == Job::Kind::Reevaluate) {
      reevaluating_.erase(job.service);
    }
    return job;
  }
  tick_due = now >= next_tick_;
  return std::nullopt;
}

void RepairEngine::run() {
  for (;;) {
    std::optional<Job> job;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) {
          return;
        }
        const SteadyTime now = clock_.steadyNow();
        bool tick_due = false;
        job = takeReady(now, tick_due);
        if (job || tick_due) {
          break;  // the job or the tick below, without the lock
        }
        SteadyTime until = next_tick_;
        if (!deferred_.empty() && deferred_.begin()->first < until) {
          until = deferred_.begin()->first;
        }
        cv_.wait_for(lock, until - now);
      }
    }
    try {
      if (job) {
        handle(*job);
      } else {
        tick();
      }
    } catch (const std::exception& e) {
      errors_.inc();
      logger_->error("repair: unexpected error: {}", e.what());
    }
  }
}

void RepairEngine::runPending() {
  for (;;) {
    std::optional<Job> job;
    bool tick_due = false;
    {
      std::lock_guard lock(mu_);
      job = takeReady(clock_.steadyNow(), tick_due);
    }
    if (job) {
      handle(*job);
    } else if (tick_due) {
      tick();
    } else {
      return;
    }
  }
}

bool RepairEngine::ensureStore() {
  if (mine_ && mine_->usable()) {
    return true;
  }
  auto opened = open_();
  if (!opened.ok()) {
    return false;
  }
  mine_ = std::move(opened.value());
  return true;
}

void RepairEngine::noteDbError(const Error& e, const char* what) {
  errors_.inc();
  logger_->warn("repair: {}: {}", what, e.describe());
}

void RepairEngine::tick() {
  const SteadyTime now = clock_.steadyNow();
  next_tick_ = now + settings_.tick;
  if (!ensureStore()) {
    errors_.inc();
    return;
  }
  if (now >= next_scan_) {
    next_scan_ = now + settings_.policy_scan;
    auto created = mine_->createDefaultPolicies(settings_.default_policy);
    if (!created.ok()) {
      noteDbError(created.error(), "creating default policies");
    } else if (created.value() > 0) {
      logger_->info("repair: created {} default repair policies", created.value());
    }
  }
  if (auto expired = mine_->expirePending(); !expired.ok()) {
    noteDbError(expired.error(), "expiring approvals");
  } else if (expired.value() > 0) {
    logger_->info("repair: {} approval(s) expired", expired.value());
  }
  // Orphans: running rows far older than any reply could take (their hub stopped mid-way).
  if (auto o = mine_->failOrphans(settings_.command_timeout * 2 + milliseconds{60000}); !o.ok()) {
    noteDbError(o.error(), "closing orphaned repairs");
  }
  // Approved rows nobody started (the approving hub stopped before it could).
  auto approved = mine_->approvedIds();
  if (!approved.ok()) {
    noteDbError(approved.error(), "listing approved repairs");
    return;
  }
  for (std::int64_t id : approved.value()) {
    auto st = mine_->startApproved(id);
    if (!st.ok()) {
      noteDbError(st.error(), "starting an approved repair");
      continue;
    }
    if (st->result == Start::Result::Started) {
      auto rec = mine_->get(id);
      if (rec.ok() && rec->has_value()) {
        Job j;
        j.kind = Job::Kind::Send;
        j.repair_id = id;
        j.request_id = st->request_id;
        j.agent = (*rec)->agent;
        j.action = (*rec)->action;
        j.service = (*rec)->service;
        j.requested_by = (*rec)->decided_by;
        j.params = (*rec)->params;
        j.verify_after = milliseconds{(*rec)->verify_after_ms};
        send(j);
      }
    }
  }
}

void RepairEngine::handle(const Job& job) {
  switch (job.kind) {
    case Job::Kind::Transition: {
      const auto& t = job.transition;
      if (!failing(t.to)) {
        return;  // recoveries only close incidents (done in onTransitions)
      }
      decideFor(t.service, t.to, t.cause, t.agent, t.check, Trigger::Transition);
      return;
    }
    case Job::Kind::Reevaluate:
    case Job::Kind::Verify: {
      if (job.kind == Job::Kind::Verify) {
        verify(job);
        return;
      }
      auto s = state_.service(job.service);
      if (!s || !failing(s->status)) {
        return;  // recovered meanwhile
      }
      const auto e = status::evaluationOf(*s);
      decideFor(job.service, e.status, e.cause, e.agent, e.check, job.trigger);
      return;
    }
    case Job::Kind::Send:
      if (ensureStore()) {
        send(job);
      } else {
        errors_.inc();
        logger_->error("repair #{}: no database connection to record the reply; asking anyway",
                       job.repair_id);
        send(job);
      }
      return;
  }
}

std::string RepairEngine::dependencyDown(const std::string& service) const {
  auto it = rules_.find(service);
  if (it == rules_.end()) {
    return {};
  }
  for (const auto& dep : it->second.depends_on) {
    auto s = state_.service(dep);
    if (s && s->status == HealthStatus::Down) {
      return dep;
    }
  }
  return {};
}

FailureKind RepairEngine::failureKindOf(const std::string& service, const std::string& agent,
                                        const std::string& check) const {
  auto s = state_.service(service);
  if (!s) {
    return FailureKind::None;
  }
  for (const auto& c : s->checks) {
    if (c.agent_id == agent && c.name == check) {
      return c.failure_kind;
    }
  }
  return FailureKind::None;
}

void RepairEngine::decideFor(const std::string& service, HealthStatus status, policy::Cause cause,
                             const std::string& agent, const std::string& check, Trigger trigger) {
  if (!ensureStore()) {
    errors_.inc();
    logger_->warn("repair: no database connection: transition of {} not considered", service);
    return;
  }
  auto policy = mine_->policy(service);
  if (!policy.ok()) {
    noteDbError(policy.error(), "reading the policy");
    return;
  }
  const RepairPolicy* p = policy->has_value() ? &**policy : nullptr;
  RepairRequest req;
  req.trigger = trigger;
  req.service = service;
  req.status = status;
  req.cause = cause;
  req.failure_kind = failureKindOf(service, agent, check);
  req.agent = agent;
  req.dependency_down = dependencyDown(service);
  req.incident = incidentOf(service, true, clock_.now());
  if (!agent.empty()) {
    auto actions = mine_->agentActions(agent);
    if (!actions.ok()) {
      noteDbError(actions.error(), "reading the agent's actions");
      return;
    }
    req.agent_actions = std::move(actions.value());
  }
  // First without history: most transitions end here (no policy, no action for the kind).
  Decision d = decider_.decide(p, req, {});
  if (d.verdict == Verdict::None || d.action.empty()) {
    logger_->debug("repair: {}: no action ({})", service,
                   d.reasons.empty() ? "" : d.reasons.back());
    return;
  }
  auto history = mine_->history(service, req.incident, agent, d.action,
                                p != nullptr ? p->breaker_reset_at : std::nullopt);
  if (!history.ok()) {
    noteDbError(history.error(), "reading the repair history");
    return;
  }
  d = decider_.decide(p, req, history.value());
  if (d.verdict == Verdict::None) {
    logger_->debug("repair: {}: no action ({})", service,
                   d.reasons.empty() ? "" : d.reasons.back());
    return;
  }
  NewRepair n;
  n.service = service;
  n.agent = d.agent;
  n.action = d.action;
  n.incident = req.incident;
  n.trigger = trigger;
  n.failure_class = d.failure_class;
  n.verdict = d.verdict;
  n.reasons = d.reasons;
  n.requested_by = "policy";
  n.cooldown = p != nullptr ? p->cooldown : milliseconds{0};
  n.verify_after = p != nullptr ? p->verify_after : milliseconds{0};
  if (d.verdict != Verdict::Execute) {
    (d.verdict == Verdict::Skip ? decisions_skip_ : decisions_other_).inc();
    if (d.verdict == Verdict::Escalate) {
      escalations_.inc();
    }
    auto id = mine_->record(n, std::string(vitals::toString(status)));
    if (!id.ok()) {
      noteDbError(id.error(), "recording a repair decision");
      return;
    }
    logger_->info("repair #{}: {} {} on {}: {} ({})", id.value(), toString(d.verdict), d.action,
                  d.agent, service, d.reasons.back());
    if (d.verdict == Verdict::DryRun) {
      (void)askDryRun(*mine_, id.value(), d.agent, d.action, "policy");
    }
    if (d.retry_at) {
      // Held back by cooldown: look again when it ends, if the service is still failing.
      Job j;
      j.kind = Job::Kind::Reevaluate;
      j.service = service;
      j.trigger = Trigger::Transition;
      const auto wait = std::max(*d.retry_at - clock_.now(), SystemTime::duration::zero());
      defer(j, clock_.steadyNow() + wait + milliseconds{50});
    }
    return;
  }
  decisions_execute_.inc();
  auto st = mine_->startNew(n);
  if (!st.ok()) {
    noteDbError(st.error(), "starting a repair");
    return;
  }
  if (st->result != Start::Result::Started) {
    guard_refusals_.inc();
    logger_->info("repair #{}: {} on {} for {} held back: {}", st->repair_id, n.action, n.agent,
                  service, st->reason);
    return;
  }
  Job j;
  j.kind = Job::Kind::Send;
  j.repair_id = st->repair_id;
  j.request_id = st->request_id;
  j.agent = n.agent;
  j.action = n.action;
  j.service = service;
  j.requested_by = "policy";
  j.verify_after = n.verify_after;
  send(j);
}

void RepairEngine::send(const Job& job) {
  const auto reply = execute(nullptr, job, settings_.command_timeout);
  const bool ok = reply.ok() && (reply->outcome == "ok" || reply->outcome == "duplicate") &&
                  reply->exit_code == 0 && reply->error.empty();
  if (ok && job.verify_after.count() > 0 && !job.service.empty()) {
    Job v = job;
    v.kind = Job::Kind::Verify;
    defer(v, clock_.steadyNow() + job.verify_after);
  }
}

Result<AgentReply> RepairEngine::execute(RepairStore* c, const Job& job, milliseconds timeout) {
  logger_->info("repair #{}: asking {} to run {} (request {})", job.repair_id, job.agent,
                job.action, job.request_id);
  AgentCommand cmd;
  cmd.verb = "run-action";
  cmd.request_id = job.request_id;
  cmd.agent = job.agent;
  cmd.action = job.action;
  cmd.params = job.params;
  cmd.requested_by = job.requested_by;
  cmd.timeout = timeout;
  auto reply = agents_.send(cmd);
  const ExecutionResult x = resultOf(reply);
  const bool ok =
      (x.outcome == "ok" || x.outcome == "duplicate") && x.exit_code == 0 && x.error.empty();
  (ok ? executions_ok_ : executions_failed_).inc();
  logger_->info("repair #{}: {} on {}: {} (exit {}){}", job.repair_id, job.action, job.agent,
                x.outcome, x.exit_code, x.error.empty() ? "" : ": " + x.error);
  if (c != nullptr) {
    if (auto s = c->finish(job.repair_id, x); !s.ok()) {
      noteDbError(s.error(), "recording a repair's result");
    }
    return reply;
  }
  // Worker thread: its own connection, re-established if needed.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (!ensureStore()) {
      continue;
    }
    auto s = mine_->finish(job.repair_id, x);
    if (s.ok()) {
      break;
    }
    noteDbError(s.error(), "recording a repair's result");
  }
  return reply;
}

Result<AgentReply> RepairEngine::askDryRun(RepairStore& s, std::int64_t id,
                                           const std::string& agent, const std::string& action,
                                           const std::string& actor,
                                           const std::map<std::string, std::string>& params) {
  AgentCommand cmd;
  cmd.verb = "run-action";
  cmd.request_id = "repair-" + std::to_string(id) + "-dry-run";
  cmd.agent = agent;
  cmd.action = action;
  cmd.params = params;
  cmd.dry_run = true;
  cmd.requested_by = actor;
  cmd.timeout = std::min(settings_.command_timeout, milliseconds{10000});
  auto reply = agents_.send(cmd);
  auto x = resultOf(reply);
  if (x.outcome == "ok") {
    x.outcome = "dry-run";
  }
  if (auto r = s.recordDryRunReply(id, x); !r.ok()) {
    noteDbError(r.error(), "recording a dry run's answer");
  }
  return reply;
}

void RepairEngine::verify(const Job& job) {
  AgentCommand cmd;
  cmd.verb = "recheck";
  cmd.request_id = job.request_id + "-verify";
  cmd.agent = job.agent;
  cmd.service = job.service;
  cmd.requested_by = "policy";
  cmd.timeout = std::min(settings_.command_timeout, milliseconds{30000});
  auto reply = agents_.send(cmd);
  bool fixed = false;
  std::string message;
  if (!reply.ok()) {
    message = reply.error().message;
  } else if (reply->results.empty()) {
    message = "recheck returned no results: " + reply->error;
  } else {
    fixed = true;
    for (const auto& r : reply->results) {
      if (r.raw_status != HealthStatus::Healthy) {
        fixed = false;
        message += (message.empty() ? "" : "; ") + r.check + ": " +
                   std::string(vitals::toString(r.raw_status)) + " " + r.message;
      }
    }
    if (fixed) {
      message = "all " + std::to_string(reply->results.size()) + " check(s) healthy";
    }
  }
  logger_->info("repair #{}: verification {}: {}", job.repair_id, fixed ? "fixed" : "not fixed",
                message);
  if (ensureStore()) {
    if (auto s = mine_->recordVerification(job.repair_id, fixed, message); !s.ok()) {
      noteDbError(s.error(), "recording a verification");
    }
  }
  if (!fixed) {
    Job again;
    again.kind = Job::Kind::Reevaluate;
    again.service = job.service;
    again.trigger = Trigger::Verify;
    defer(again, clock_.steadyNow());
  }
}

Result<ActionOutcome> RepairEngine::restart(RepairStore& s, const std::string& service,
                                            const std::string& agent, bool dry_run,
                                            const std::string& actor) {
  return manualAction(s, service, "", agent, dry_run, actor);
}

Result<ActionOutcome> RepairEngine::manualAction(RepairStore& s, const std::string& service,
                                                 const std::string& named_action,
                                                 const std::string& agent, bool dry_run,
                                                 const std::string& actor) {
  auto policy = s.policy(service);
  if (!policy.ok()) {
    return policy.error();
  }
  const RepairPolicy* p = policy->has_value() ? &**policy : nullptr;
  const std::string action = !named_action.empty()                        ? named_action
                             : p != nullptr && !p->restart_action.empty() ? p->restart_action
                                                                          : "restart-" + service;
  auto offering = s.agentsOffering(service, action);
  if (!offering.ok()) {
    return offering.error();
  }
  ActionOutcome out;
  std::string chosen = agent;
  if (chosen.empty()) {
    if (offering->empty()) {
      out.http_status = 409;
      out.message = "no agent of service \"" + service + "\" offers the action \"" + action + "\"";
      return out;
    }
    if (offering->size() > 1) {
      out.http_status = 409;
      out.message = "several agents offer \"" + action + "\"; name one with \"agent\"";
      return out;
    }
    chosen = offering->front();
  }
  RepairRequest req;
  req.trigger = Trigger::Manual;
  req.service = service;
  req.agent = chosen;
  req.action = action;
  req.dry_run = dry_run;
  req.incident = incidentOf(service, false, clock_.now());
  auto actions = s.agentActions(chosen);
  if (!actions.ok()) {
    return actions.error();
  }
  req.agent_actions = std::move(actions.value());
  auto history = s.history(service, req.incident, chosen, action,
                           p != nullptr ? p->breaker_reset_at : std::nullopt);
  if (!history.ok()) {
    return history.error();
  }
  const Decision d = decider_.decide(p, req, history.value());
  NewRepair n;
  n.service = service;
  n.agent = chosen;
  n.action = action;
  n.incident = req.incident;
  n.trigger = Trigger::Manual;
  n.verdict = d.verdict;
  n.reasons = d.reasons;
  n.requested_by = actor;
  const RepairPolicy fallback = defaultPolicy(service, false);
  n.cooldown = (p != nullptr ? *p : fallback).cooldown;
  n.verify_after = (p != nullptr ? *p : fallback).verify_after;
  std::int64_t id = 0;
  if (d.verdict == Verdict::Execute) {
    auto st = s.startNew(n);
    if (!st.ok()) {
      return st.error();
    }
    id = st->repair_id;
    if (st->result == Start::Result::Started) {
      out.http_status = 202;
      out.message = "started";
      Job j;
      j.kind = Job::Kind::Send;
      j.repair_id = id;
      j.request_id = st->request_id;
      j.agent = chosen;
      j.action = action;
      j.service = service;
      j.requested_by = actor;
      j.verify_after = n.verify_after;
      enqueue(std::move(j));
    } else {
      guard_refusals_.inc();
      out.http_status = 409;
      out.message = st->reason;
    }
  } else {
    auto svc = state_.service(service);
    auto rec = s.record(n, svc ? std::string(vitals::toString(svc->status)) : "unknown");
    if (!rec.ok()) {
      return rec.error();
    }
    id = rec.value();
    if (d.verdict == Verdict::DryRun) {
      (void)askDryRun(s, id, chosen, action, actor);
    }
    out.http_status = d.verdict == Verdict::PendingApproval ? 202
                      : d.verdict == Verdict::DryRun        ? 200
                                                            : 409;
    out.message = d.reasons.empty() ? std::string(toString(d.verdict)) : d.reasons.back();
  }
  auto rec = s.get(id);
  if (rec.ok() && rec->has_value()) {
    out.repair = **rec;
  }
  return out;
}

Result<ActionOutcome> RepairEngine::decideApproval(RepairStore& s, std::int64_t id, bool approve,
                                                   const std::string& actor) {
  std::string status;
  auto decided = s.decideApproval(id, approve, actor, status);
  if (!decided.ok()) {
    return decided.error();
  }
  ActionOutcome out;
  switch (decided.value()) {
    case ApprovalOutcome::NotFound:
      out.http_status = 404;
      out.message = "no repair " + std::to_string(id);
      return out;
    case ApprovalOutcome::Expired:
      out.http_status = 409;
      out.message = "the approval expired";
      break;
    case ApprovalOutcome::NotPending:
      out.http_status = 409;
      out.message = "not pending: the repair is " + status;
      break;
    case ApprovalOutcome::Done:
      out.http_status = 200;
      out.message = approve ? "approved" : "rejected";
      break;
  }
  if (decided.value() == ApprovalOutcome::Done && approve) {
    auto st = s.startApproved(id);
    if (!st.ok()) {
      return st.error();
    }
    if (st->result == Start::Result::Started) {
      out.http_status = 202;
      out.message = "approved and started";
      auto rec = s.get(id);
      if (rec.ok() && rec->has_value()) {
        Job j;
        j.kind = Job::Kind::Send;
        j.repair_id = id;
        j.request_id = st->request_id;
        j.agent = (*rec)->agent;
        j.action = (*rec)->action;
        j.service = (*rec)->service;
        j.requested_by = actor;
        j.params = (*rec)->params;
        j.verify_after = milliseconds{(*rec)->verify_after_ms};
        enqueue(std::move(j));
      }
    } else if (st->result == Start::Result::Refused) {
      guard_refusals_.inc();
      out.message = "approved, but held back: " + st->reason;
    }
  }
  auto rec = s.get(id);
  if (rec.ok() && rec->has_value()) {
    out.repair = **rec;
  }
  return out;
}

Result<ActionRun> RepairEngine::runAction(RepairStore& s, const ActionAsk& ask) {
  auto policy = s.policy(ask.service);
  if (!policy.ok()) {
    return policy.error();
  }
  const RepairPolicy* p = policy->has_value() ? &**policy : nullptr;
  RepairRequest req;
  req.trigger = ask.trigger;
  req.service = ask.service;
  req.agent = ask.agent;
  req.action = ask.action;
  req.cooldown = ask.cooldown;
  req.incident = incidentOf(ask.service, false, clock_.now());
  auto history = s.history(ask.service, req.incident, ask.agent, ask.action,
                           p != nullptr ? p->breaker_reset_at : std::nullopt);
  if (!history.ok()) {
    return history.error();
  }
  Decision d = decider_.decide(p, req, history.value());
  if (!ask.reason.empty()) {
    d.reasons.insert(d.reasons.begin(), ask.reason);
  }
  const RepairPolicy fallback = defaultPolicy(ask.service, false);
  NewRepair n;
  n.service = ask.service;
  n.agent = ask.agent;
  n.action = ask.action;
  n.incident = req.incident;
  n.trigger = ask.trigger;
  n.verdict = d.verdict;
  n.reasons = d.reasons;
  n.requested_by = ask.requested_by;
  n.params = ask.params;
  n.cooldown = ask.cooldown.value_or((p != nullptr ? *p : fallback).cooldown);
  n.verify_after = milliseconds{0};  // the event's caller sees the result; nothing to verify
  ActionRun run;
  run.reason = d.reasons.empty() ? std::string(toString(d.verdict)) : d.reasons.back();
  if (d.verdict == Verdict::Execute) {
    decisions_execute_.inc();
    auto st = s.startNew(n);
    if (!st.ok()) {
      return st.error();
    }
    run.repair_id = st->repair_id;
    if (st->result != Start::Result::Started) {
      guard_refusals_.inc();
      run.kind = ActionRun::Kind::Refused;
      run.reason = st->reason;
      logger_->info("repair #{}: {} on {} ({}) held back: {}", st->repair_id, n.action, n.agent,
                    toString(n.trigger), st->reason);
      return run;
    }
    Job j;
    j.kind = Job::Kind::Send;
    j.repair_id = st->repair_id;
    j.request_id = st->request_id;
    j.agent = n.agent;
    j.action = n.action;
    j.service = n.service;
    j.requested_by = n.requested_by;
    j.params = n.params;
    auto reply = execute(&s, j, ask.timeout);
    run.kind = ActionRun::Kind::Ran;
    if (reply.ok()) {
      run.reply = std::move(reply.value());
    } else {
      run.error = reply.error().message;
    }
    return run;
  }
  (d.verdict == Verdict::Skip ? decisions_skip_ : decisions_other_).inc();
  auto svc = state_.service(ask.service);
  auto id = s.record(n, svc ? std::string(vitals::toString(svc->status)) : "unknown");
  if (!id.ok()) {
    return id.error();
  }
  run.repair_id = id.value();
  switch (d.verdict) {
    case Verdict::PendingApproval:
      run.kind = ActionRun::Kind::PendingApproval;
      break;
    case Verdict::DryRun: {
      run.kind = ActionRun::Kind::DryRun;
      auto reply = askDryRun(s, id.value(), n.agent, n.action, n.requested_by, n.params);
      if (reply.ok()) {
        run.reply = std::move(reply.value());
      } else {
        run.error = reply.error().message;
      }
      break;
    }
    default:
      run.kind = ActionRun::Kind::Refused;
      break;
  }
  logger_->info("repair #{}: {} {} on {} ({}): {}", run.repair_id, toString(d.verdict), n.action,
                n.agent, toString(n.trigger), run.reason);
  return run;
}

}  // namespace vitals::hub::repair
