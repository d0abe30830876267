#pragma once
// The repair tables (schema 0006) and the execution guard in PostgreSQL. PgRepairStore holds
// the SQL (policies, decision inputs and reads in pg_repair_policies.cpp; recording, the guard,
// execution and approvals in pg_repair_guard.cpp; row decoding in pg_repair_rows.*);
// PgRepairSession binds it to one connection as the engine's RepairStore (repair_store.hpp). Every
// method runs its own transaction on the connection it is given (one PgConnection per thread: the
// repair worker has its own, API calls lease one from the pool) and writes its audit row in that
// transaction.
//
// The guarantee lives in startNew()/startApproved(): the auto_repairs row (status running), the
// action_guard upsert (refused unless the last start of that (agent, action), by whatever
// trigger, is the requester's cooldown ago by the database clock), the global rate-limit count
// (under a transaction-scoped advisory lock) and the audit row "repair.execute" commit together,
// before the caller may ask the agent. Two hubs, a redelivered transition, an inbound event and a
// repair of the same action, or two concurrent approvals cannot all pass it.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/repair/repair_decider.hpp"
#include "hub/repair/repair_policy.hpp"
#include "hub/repair/repair_store.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::repair {

class PgRepairStore {
 public:
  PgRepairStore(const Clock& clock, GuardSettings settings)
      : clock_(clock), settings_(std::move(settings)) {}
  const GuardSettings& settings() const { return settings_; }

  // ---- policies ----
  Result<std::optional<RepairPolicy>> policy(store::PgConnection& c, const std::string& service);
  Result<std::vector<RepairPolicy>> policies(store::PgConnection& c);
  // Insert or replace (resets the circuit breaker); audit "repair.policy.update". True = created.
  Result<bool> putPolicy(store::PgConnection& c, const RepairPolicy& p, const std::string& actor);
  // For every service with a check on an agent that registered restart-<service>: a policy
  // built from `tmpl` (defaultPolicy + the configured defaults), never overwriting one that
  // exists (INSERT ... ON CONFLICT DO NOTHING). Returns how many were created.
  Result<int> createDefaultPolicies(store::PgConnection& c, const RepairPolicy& tmpl);

  // ---- inputs of a decision ----
  Result<std::vector<std::string>> agentActions(store::PgConnection& c, const std::string& agent);
  // Agents with a check of the service that registered the action, sorted.
  Result<std::vector<std::string>> agentsOffering(store::PgConnection& c,
                                                  const std::string& service,
                                                  const std::string& action);
  // The agents with a check of the service (the database, not this hub's memory: with several
  // hubs each one's in-memory state holds only what it ingested), sorted.
  Result<std::vector<std::string>> agentsOfService(store::PgConnection& c,
                                                   const std::string& service);
  Result<RepairHistory> history(store::PgConnection& c, const std::string& service,
                                const std::string& incident, const std::string& agent,
                                const std::string& action,
                                std::optional<SystemTime> breaker_reset_at);

  // ---- recording and executing ----
  // A decision that runs nothing now (skip, escalate, dry-run, pending): its row, its audit
  // row, and for escalate/pending a notification per configured channel. Returns the row id.
  Result<std::int64_t> record(store::PgConnection& c, const NewRepair& n,
                              const std::string& status_now);
  // An Execute decision: row + guard + rate limit + audit in one transaction (see above).
  // Refused: the row is recorded as skipped with the reason, and nothing may run.
  Result<Start> startNew(store::PgConnection& c, const NewRepair& n);
  // An approved row: approved -> running under the same guard. Gone: not approved anymore
  // (another hub took it). Refused: recorded as skipped.
  Result<Start> startApproved(store::PgConnection& c, std::int64_t id);
  Result<std::vector<std::int64_t>> approvedIds(store::PgConnection& c);
  // The agent's reply (or none); audit "repair.finish".
  Status finish(store::PgConnection& c, std::int64_t id, const ExecutionResult& r);
  // A dry run's answer from the agent (what would run): output and outcome on the row; the
  // status stays dry-run.
  Status recordDryRunReply(store::PgConnection& c, std::int64_t id, const ExecutionResult& r);
  Status recordVerification(store::PgConnection& c, std::int64_t id, bool fixed,
                            const std::string& message);
  // Rows left running by a hub that stopped mid-way: failed ("no reply recorded").
  Result<int> failOrphans(store::PgConnection& c, std::chrono::milliseconds older_than);

  // ---- approvals ----
  // pending -> approved|rejected by one conditional UPDATE (concurrent callers: one wins);
  // audit "repair.approve"/"repair.reject". `status` gets the row's status when not Done.
  Result<ApprovalOutcome> decideApproval(store::PgConnection& c, std::int64_t id, bool approve,
                                         const std::string& actor, std::string& status);
  // pending rows past expires_at -> expired (audited, notified). Returns how many.
  Result<int> expirePending(store::PgConnection& c);

  // ---- reading ----
  Result<std::vector<RepairRecord>> list(store::PgConnection& c, const RepairFilter& f);
  Result<std::optional<RepairRecord>> get(store::PgConnection& c, std::int64_t id);

 private:
  Status notify(store::PgConnection& c, std::int64_t id, const std::string& service,
                const std::string& event, const std::string& summary,
                const std::string& status_now);
  Result<Start> guardAndAudit(store::PgConnection& c, std::int64_t id, const NewRepair& n);
  const Clock& clock_;
  GuardSettings settings_;
};

// PgRepairStore on one connection: the RepairStore the engine uses. The connection is borrowed
// (an API thread's leased one) or owned (the engine worker's own, re-established when lost).
class PgRepairSession final : public RepairStore {
 public:
  PgRepairSession(PgRepairStore& store, store::PgConnection& conn) : store_(store), conn_(conn) {}
  PgRepairSession(PgRepairStore& store, std::unique_ptr<store::PgConnection> owned)
      : store_(store), owned_(std::move(owned)), conn_(*owned_) {}

  bool usable() override;
  store::PgConnection& connection() { return conn_; }

  Result<std::optional<RepairPolicy>> policy(const std::string& service) override {
    return store_.policy(conn_, service);
  }
  Result<int> createDefaultPolicies(const RepairPolicy& tmpl) override {
    return store_.createDefaultPolicies(conn_, tmpl);
  }
  Result<std::vector<std::string>> agentActions(const std::string& agent) override {
    return store_.agentActions(conn_, agent);
  }
  Result<std::vector<std::string>> agentsOffering(const std::string& service,
                                                  const std::string& action) override {
    return store_.agentsOffering(conn_, service, action);
  }
  Result<RepairHistory> history(const std::string& service, const std::string& incident,
                                const std::string& agent, const std::string& action,
                                std::optional<SystemTime> breaker_reset_at) override {
    return store_.history(conn_, service, incident, agent, action, breaker_reset_at);
  }
  Result<std::int64_t> record(const NewRepair& n, const std::string& status_now) override {
    return store_.record(conn_, n, status_now);
  }
  Result<Start> startNew(const NewRepair& n) override { return store_.startNew(conn_, n); }
  Result<Start> startApproved(std::int64_t id) override { return store_.startApproved(conn_, id); }
  Result<std::vector<std::int64_t>> approvedIds() override { return store_.approvedIds(conn_); }
  Status finish(std::int64_t id, const ExecutionResult& r) override {
    return store_.finish(conn_, id, r);
  }
  Status recordDryRunReply(std::int64_t id, const ExecutionResult& r) override {
    return store_.recordDryRunReply(conn_, id, r);
  }
  Status recordVerification(std::int64_t id, bool fixed, const std::string& message) override {
    return store_.recordVerification(conn_, id, fixed, message);
  }
  Result<int> failOrphans(std::chrono::milliseconds older_than) override {
    return store_.failOrphans(conn_, older_than);
  }
  Result<std::optional<RepairRecord>> get(std::int64_t id) override {
    return store_.get(conn_, id);
  }
  Result<ApprovalOutcome> decideApproval(std::int64_t id, bool approve, const std::string& actor,
                                         std::string& status) override {
    return store_.decideApproval(conn_, id, approve, actor, status);
  }
  Result<int> expirePending() override { return store_.expirePending(conn_); }

 private:
  PgRepairStore& store_;
  std::unique_ptr<store::PgConnection> owned_;
  store::PgConnection& conn_;
};

// The engine's OpenFn: a PgRepairSession on a new connection from `connect`.
std::function<Result<std::unique_ptr<RepairStore>>()> pgRepairSessions(
    PgRepairStore& store, std::function<Result<std::unique_ptr<store::PgConnection>>()> connect);

}  // namespace vitals::hub::repair
