#pragma once
// In-memory RepairStore with PgRepairStore's semantics: the (agent, action) guard measured from
// the last start by any trigger, the global rate limit over started rows, approvals that are
// pending until approved, rejected or expired (expires_at by the clock), a refused start recorded
// as skipped with the reason, and audit rows and notifications where the database writes them.
//
// FakeRepairDb holds the rows; FakeRepairStore is one "connection" to it (the engine's worker
// opens its own, API calls pass theirs), so several stores share the same rows as with a
// database. usable = false makes every store of the db refuse to open (worker retries later).
#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/time/clock.hpp"
#include "hub/repair/repair_store.hpp"

namespace vitals::test {

struct FakeAuditRow {
  std::string actor;
  std::string action;
  std::string target;
  std::string outcome;
};

struct FakeRepairNotice {
  std::string channel;
  std::string event;  // repair-escalated, repair-approval-requested, repair-approval-expired
  std::string summary;
};

class FakeRepairDb {
 public:
  FakeRepairDb(const Clock& clock, hub::repair::GuardSettings settings)
      : clock(clock), settings(std::move(settings)) {}

  const Clock& clock;
  hub::repair::GuardSettings settings;
  mutable std::mutex mu;
  bool usable = true;
  std::map<std::string, hub::repair::RepairPolicy> policies;
  std::map<std::string, std::vector<std::string>> agent_actions;  // agent -> actions
  std::map<std::string, std::set<std::string>> checks;            // service -> agents
  std::vector<hub::repair::RepairRecord> rows;                    // id order
  struct Guard {
    SystemTime last_started_at{};
    std::string started_by;  // "repair #<id>"
  };
  std::map<std::pair<std::string, std::string>, Guard> guard;   // (agent, action)
  std::map<std::int64_t, std::chrono::milliseconds> cooldowns;  // repair id -> its cooldown
  std::vector<FakeAuditRow> audit;
  std::vector<FakeRepairNotice> notices;
  std::int64_t next_id = 1;

  // Test helpers (lock-free: call them while nothing else runs).
  void addAgent(const std::string& agent, const std::string& service,
                std::vector<std::string> actions) {
    agent_actions[agent] = std::move(actions);
    checks[service].insert(agent);
  }
  std::vector<hub::repair::RepairRecord> withStatus(const std::string& status) const {
    std::vector<hub::repair::RepairRecord> out;
    for (const auto& r : rows) {
      if (r.status == status) {
        out.push_back(r);
      }
    }
    return out;
  }
  int audited(const std::string& action) const {
    return static_cast<int>(std::count_if(audit.begin(), audit.end(),
                                          [&](const auto& a) { return a.action == action; }));
  }
  hub::repair::RepairRecord* row(std::int64_t id) {
    for (auto& r : rows) {
      if (r.id == id) {
        return &r;
      }
    }
    return nullptr;
  }
};

class FakeRepairStore final : public hub::repair::RepairStore {
 public:
  explicit FakeRepairStore(FakeRepairDb& db) : db_(db) {}

  bool usable() override {
    std::lock_guard lock(db_.mu);
    return db_.usable;
  }

  // ---- policies ----
  Result<std::optional<hub::repair::RepairPolicy>> policy(const std::string& service) override {
    std::lock_guard lock(db_.mu);
    auto it = db_.policies.find(service);
    if (it == db_.policies.end()) {
      return std::optional<hub::repair::RepairPolicy>{};
    }
    return std::optional<hub::repair::RepairPolicy>{it->second};
  }
  Result<int> createDefaultPolicies(const hub::repair::RepairPolicy& t) override {
    std::lock_guard lock(db_.mu);
    int created = 0;
    for (const auto& [service, agents] : db_.checks) {
      if (db_.policies.count(service)) {
        continue;
      }
      bool restart = false;
      bool rebuild = false;
      for (const auto& a : agents) {
        restart = restart || offers(a, "restart-" + service);
        rebuild = rebuild || offers(a, "rebuild-" + service);
      }
      if (!restart) {
        continue;
      }
      auto p = hub::repair::defaultPolicy(service, rebuild);
      p.enabled = t.enabled;
      p.dry_run = t.dry_run;
      p.require_approval = t.require_approval;
      p.max_attempts = t.max_attempts;
      p.cooldown = t.cooldown;
      p.circuit_breaker = t.circuit_breaker;
      p.verify_after = t.verify_after;
      p.updated_at = db_.clock.now();
      p.updated_by = "system";
      db_.policies[service] = p;
      db_.audit.push_back({"system", "repair.policy.default", "service:" + service, "created"});
      ++created;
    }
    return created;
  }

  // ---- inputs ----
  Result<std::vector<std::string>> agentActions(const std::string& agent) override {
    std::lock_guard lock(db_.mu);
    auto it = db_.agent_actions.find(agent);
    auto out = it == db_.agent_actions.end() ? std::vector<std::string>{} : it->second;
    std::sort(out.begin(), out.end());
    return out;
  }
  Result<std::vector<std::string>> agentsOffering(const std::string& service,
                                                  const std::string& action) override {
    std::lock_guard lock(db_.mu);
    std::vector<std::string> out;
    auto it = db_.checks.find(service);
    if (it != db_.checks.end()) {
      for (const auto& a : it->second) {
        if (offers(a, action)) {
          out.push_back(a);
        }
      }
    }
    return out;
  }
  Result<hub::repair::RepairHistory> history(const std::string& service,
                                             const std::string& incident, const std::string& agent,
                                             const std::string& action,
                                             std::optional<SystemTime> breaker_reset_at) override {
    std::lock_guard lock(db_.mu);
    const SystemTime now = db_.clock.now();
    hub::repair::RepairHistory h;
    for (const auto& r : db_.rows) {
      if (!incident.empty() && r.incident == incident) {
        if (r.status == "approved" || r.status == "running" || r.status == "succeeded" ||
            r.status == "failed") {
          ++h.incident_attempts;
        }
        h.incident_pending = h.incident_pending || r.status == "pending";
        h.incident_escalated = h.incident_escalated || r.status == "escalated";
      }
      if (r.started_at && *r.started_at > now - db_.settings.rate_window) {
        ++h.executions_in_window;
      }
    }
    if (auto g = db_.guard.find({agent, action}); g != db_.guard.end()) {
      h.last_execution = g->second.last_started_at;
    }
    for (auto it = db_.rows.rbegin(); it != db_.rows.rend(); ++it) {
      if (it->service != service || (it->status != "succeeded" && it->status != "failed")) {
        continue;
      }
      if (breaker_reset_at && !(it->started_at && *it->started_at > *breaker_reset_at)) {
        continue;
      }
      if (it->status != "failed" && it->verified != std::optional<bool>{false}) {
        break;
      }
      ++h.consecutive_failures;
    }
    return h;
  }

  // ---- ledger ----
  Result<std::int64_t> record(const hub::repair::NewRepair& n, const std::string&) override {
    std::lock_guard lock(db_.mu);
    return recordLocked(n);
  }
  Result<hub::repair::Start> startNew(const hub::repair::NewRepair& n) override {
    std::lock_guard lock(db_.mu);
    const SystemTime now = db_.clock.now();
    hub::repair::RepairRecord r = rowOf(n, db_.next_id++, "running");
    r.decision = "execute";
    r.started_at = now;
    r.request_id = "repair-" + std::to_string(r.id);
    auto st = guardLocked(r.id, n);
    if (st.result == hub::repair::Start::Result::Started) {
      db_.rows.push_back(r);
      db_.cooldowns[r.id] = n.cooldown;
      return st;
    }
    // Rolled back (the id is spent, as a sequence's is); recorded as skipped with the reason.
    auto skipped = n;
    skipped.verdict = hub::repair::Verdict::Skip;
    skipped.reasons.push_back(st.reason);
    st.repair_id = recordLocked(skipped);
    st.request_id.clear();
    return st;
  }
  Result<hub::repair::Start> startApproved(std::int64_t id) override {
    std::lock_guard lock(db_.mu);
    hub::repair::Start st;
    st.repair_id = id;
    auto* r = db_.row(id);
    if (r == nullptr || r->status != "approved") {
      st.result = hub::repair::Start::Result::Gone;
      st.reason = "not approved (any more)";
      return st;
    }
    hub::repair::NewRepair n;
    n.service = r->service;
    n.agent = r->agent;
    n.action = r->action;
    n.incident = r->incident;
    n.requested_by = r->decided_by.empty() ? r->requested_by : r->decided_by;
    n.cooldown = db_.cooldowns[id];
    st = guardLocked(id, n);
    if (st.result == hub::repair::Start::Result::Started) {
      r->status = "running";
      r->started_at = db_.clock.now();
      r->request_id = st.request_id;
      return st;
    }
    r->status = "skipped";
    r->error = st.reason;
    r->reasons.push_back(st.reason);
    return st;
  }
  Result<std::vector<std::int64_t>> approvedIds() override {
    std::lock_guard lock(db_.mu);
    std::vector<std::int64_t> out;
    for (const auto& r : db_.rows) {
      if (r.status == "approved") {
        out.push_back(r.id);
      }
    }
    return out;
  }
  Status finish(std::int64_t id, const hub::repair::ExecutionResult& x) override {
    std::lock_guard lock(db_.mu);
    auto* r = db_.row(id);
    if (r == nullptr) {
      return okStatus();
    }
    const bool ok =
        (x.outcome == "ok" || x.outcome == "duplicate") && x.exit_code == 0 && x.error.empty();
    r->status = ok ? "succeeded" : "failed";
    r->finished_at = db_.clock.now();
    r->outcome = x.outcome;
    r->exit_code = x.exit_code;
    r->duration_ms = x.duration_ms;
    r->output = x.output.substr(0, db_.settings.max_output);
    r->output_truncated = x.output_truncated || x.output.size() > db_.settings.max_output;
    r->error = x.error;
    db_.audit.push_back({"policy", "repair.finish", target(r->agent, r->action), r->status});
    return okStatus();
  }
  Status recordDryRunReply(std::int64_t id, const hub::repair::ExecutionResult& x) override {
    std::lock_guard lock(db_.mu);
    auto* r = db_.row(id);
    if (r != nullptr && r->status == "dry-run") {
      r->outcome = x.outcome;
      r->output = x.output.substr(0, db_.settings.max_output);
      r->output_truncated = x.output_truncated || x.output.size() > db_.settings.max_output;
      r->error = x.error;
    }
    return okStatus();
  }
  Status recordVerification(std::int64_t id, bool fixed, const std::string& message) override {
    std::lock_guard lock(db_.mu);
    if (auto* r = db_.row(id)) {
      r->verified = fixed;
      r->verified_at = db_.clock.now();
      r->verify_message = message;
    }
    return okStatus();
  }
  Result<int> failOrphans(std::chrono::milliseconds older_than) override {
    std::lock_guard lock(db_.mu);
    const SystemTime now = db_.clock.now();
    int n = 0;
    for (auto& r : db_.rows) {
      if (r.status == "running" && r.started_at && *r.started_at < now - older_than) {
        r.status = "failed";
        r.outcome = "no-reply";
        r.finished_at = now;
        r.error = "no reply recorded: the hub that started it stopped or lost the reply";
        ++n;
      }
    }
    return n;
  }
  Result<std::optional<hub::repair::RepairRecord>> get(std::int64_t id) override {
    std::lock_guard lock(db_.mu);
    auto* r = db_.row(id);
    return r == nullptr ? std::optional<hub::repair::RepairRecord>{}
                        : std::optional<hub::repair::RepairRecord>{*r};
  }

  // ---- approvals ----
  Result<hub::repair::ApprovalOutcome> decideApproval(std::int64_t id, bool approve,
                                                      const std::string& actor,
                                                      std::string& status) override {
    std::lock_guard lock(db_.mu);
    const SystemTime now = db_.clock.now();
    auto* r = db_.row(id);
    if (r == nullptr) {
      return hub::repair::ApprovalOutcome::NotFound;
    }
    if (r->status != "pending") {
      status = r->status;
      return hub::repair::ApprovalOutcome::NotPending;
    }
    if (!(r->expires_at && *r->expires_at > now)) {
      status = "expired";
      return hub::repair::ApprovalOutcome::Expired;
    }
    r->status = approve ? "approved" : "rejected";
    r->decided_by = actor;
    r->decided_at = now;
    status = r->status;
    db_.audit.push_back(
        {actor, approve ? "repair.approve" : "repair.reject", target(r->agent, r->action), status});
    return hub::repair::ApprovalOutcome::Done;
  }
  Result<int> expirePending() override {
    std::lock_guard lock(db_.mu);
    const SystemTime now = db_.clock.now();
    int n = 0;
    for (auto& r : db_.rows) {
      if (r.status == "pending" && r.expires_at && *r.expires_at <= now) {
        r.status = "expired";
        r.decided_at = now;
        r.decided_by = "policy";
        db_.audit.push_back({"policy", "repair.expire", target(r.agent, r.action), "expired"});
        notifyLocked("repair-approval-expired", "repair #" + std::to_string(r.id) + " of " +
                                                    r.service +
                                                    " expired without approval: nothing ran");
        ++n;
      }
    }
    return n;
  }

 private:
  static std::string target(const std::string& agent, const std::string& action) {
    return "agent:" + agent + "/action:" + action;
  }
  bool offers(const std::string& agent, const std::string& action) const {
    auto it = db_.agent_actions.find(agent);
    return it != db_.agent_actions.end() &&
           std::find(it->second.begin(), it->second.end(), action) != it->second.end();
  }
  void notifyLocked(const std::string& event, const std::string& summary) {
    for (const auto& c : db_.settings.notify_channels) {
      db_.notices.push_back({c, event, summary});
    }
  }
  hub::repair::RepairRecord rowOf(const hub::repair::NewRepair& n, std::int64_t id,
                                  const std::string& status) const {
    hub::repair::RepairRecord r;
    r.id = id;
    r.service = n.service;
    r.agent = n.agent;
    r.action = n.action;
    r.incident = n.incident;
    r.trigger = std::string(hub::repair::toString(n.trigger));
    r.failure_class =
        n.failure_class ? std::string(hub::repair::toString(*n.failure_class)) : std::string();
    r.decision = std::string(hub::repair::toString(n.verdict));
    r.reasons = n.reasons;
    r.status = status;
    r.requested_by = n.requested_by;
    r.params = n.params;
    r.verify_after_ms = n.verify_after.count();
    r.created_at = db_.clock.now();
    return r;
  }
  std::int64_t recordLocked(const hub::repair::NewRepair& n) {
    auto r = rowOf(n, db_.next_id++, hub::repair::repairStatusOf(n.verdict));
    if (n.verdict == hub::repair::Verdict::PendingApproval) {
      r.expires_at = db_.clock.now() + db_.settings.approval_expiry;
    }
    db_.rows.push_back(r);
    db_.cooldowns[r.id] = n.cooldown;
    const std::string verb = n.verdict == hub::repair::Verdict::PendingApproval
                                 ? "repair.request-approval"
                             : n.verdict == hub::repair::Verdict::Escalate ? "repair.escalate"
                             : n.verdict == hub::repair::Verdict::DryRun   ? "repair.dry-run"
                                                                           : "repair.skip";
    db_.audit.push_back({n.requested_by, verb, target(n.agent, n.action), r.status});
    if (n.verdict == hub::repair::Verdict::Escalate) {
      notifyLocked("repair-escalated", "auto-repair gave up on " + n.service);
    } else if (n.verdict == hub::repair::Verdict::PendingApproval) {
      notifyLocked("repair-approval-requested",
                   "repair #" + std::to_string(r.id) + " of " + n.service + " waits for approval");
    }
    return r.id;
  }
  // The rate limit, then the (agent, action) guard; on success the guard row and the audit row.
  hub::repair::Start guardLocked(std::int64_t id, const hub::repair::NewRepair& n) {
    const SystemTime now = db_.clock.now();
    hub::repair::Start st;
    st.repair_id = id;
    st.request_id = "repair-" + std::to_string(id);
    int in_window = 0;
    for (const auto& r : db_.rows) {
      if (r.id != id && r.started_at && *r.started_at > now - db_.settings.rate_window) {
        ++in_window;
      }
    }
    if (in_window >= db_.settings.rate_limit) {
      st.result = hub::repair::Start::Result::Refused;
      st.reason = "global rate limit (database guard): " + std::to_string(in_window) +
                  " executions in the window (limit " + std::to_string(db_.settings.rate_limit) +
                  ")";
      return st;
    }
    auto g = db_.guard.find({n.agent, n.action});
    if (g != db_.guard.end() && g->second.last_started_at > now - n.cooldown) {
      st.result = hub::repair::Start::Result::Refused;
      st.reason = "cooldown (database guard): " + n.action + " on " + n.agent + " started by " +
                  g->second.started_by + "; cooldown " + std::to_string(n.cooldown.count() / 1000) +
                  "s";
      return st;
    }
    db_.guard[{n.agent, n.action}] = {now, "repair #" + std::to_string(id)};
    db_.audit.push_back({n.requested_by, "repair.execute", target(n.agent, n.action), "started"});
    st.result = hub::repair::Start::Result::Started;
    return st;
  }

  FakeRepairDb& db_;
};

}  // namespace vitals::test
