#pragma once
// The repair tables (schema 0006) and the execution guard. Every method runs its own
// transaction on the connection it is given (one PgConnection per thread: the repair worker has
// its own, API calls lease one from the pool) and writes its audit row in that transaction.
//
// The guarantee lives in startNew()/startApproved(): the auto_repairs row (status running), the
// action_guard upsert (refused unless the last start of that (agent, action), by whatever
// trigger, is the requester's cooldown ago by the database clock), the global rate-limit count
// (under a transaction-scoped advisory lock) and the audit row "repair.execute" commit together,
// before the caller may ask the agent. Two hubs, a redelivered transition, an inbound event and a
// repair of the same action, or two concurrent approvals cannot all pass it.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/repair/repair_decider.hpp"
#include "hub/repair/repair_policy.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::repair {

// One auto_repairs row (the API renders it: hub/api/repair_handler.cpp).
struct RepairRecord {
  std::int64_t id = 0;
  std::string service;
  std::string agent;
  std::string action;
  std::string incident;
  std::string trigger;
  std::string failure_class;
  std::string decision;
  std::vector<std::string> reasons;
  std::string status;
  std::string requested_by;
  std::string decided_by;
  std::string request_id;
  std::string outcome;
  std::optional<int> exit_code;
  std::optional<std::int64_t> duration_ms;
  std::string output;
  bool output_truncated = false;
  std::string error;
  std::optional<bool> verified;
  std::string verify_message;
  std::int64_t verify_after_ms = 0;
  std::map<std::string, std::string> params;  // the action's parameters (inbound events)
  std::optional<SystemTime> created_at, decided_at, expires_at, started_at, finished_at,
      verified_at;
};

// A decision to record.
struct NewRepair {
  std::string service;
  std::string agent;
  std::string action;
  std::string incident;
  Trigger trigger = Trigger::Transition;
  std::optional<FailureClass> failure_class;
  Verdict verdict = Verdict::None;
  std::vector<std::string> reasons;
  std::string requested_by;                   // "policy" or the API caller's actor
  std::map<std::string, std::string> params;  // passed to the agent's action (inbound events)
  std::chrono::milliseconds cooldown{0};
  std::chrono::milliseconds verify_after{0};
};

struct GuardSettings {
  int rate_limit = 10;
  std::chrono::milliseconds rate_window{std::chrono::hours{1}};
  std::chrono::milliseconds approval_expiry{std::chrono::minutes{30}};
  std::size_t max_output = 16 * 1024;        // stored bytes of an action's output
  std::vector<std::string> notify_channels;  // escalations and approval requests
};

// What start() did.
struct Start {
  enum class Result { Started, Refused, Gone } result = Result::Refused;
  std::int64_t repair_id = 0;
  std::string request_id;  // "repair-<id>": the agent's idempotency key
  std::string reason;      // Refused / Gone: why
};

// The agent's reply, or why there was none.
struct ExecutionResult {
  std::string outcome;  // ok, failed, rejected, timeout, duplicate, no-reply
  int exit_code = 0;
  std::int64_t duration_ms = 0;
  std::string output;
  bool output_truncated = false;
  std::string error;
};

enum class ApprovalOutcome { Done, NotFound, NotPending, Expired };

struct RepairFilter {
  std::string status;   // "" = any
  std::string service;  // "" = any
  int limit = 100;
  std::int64_t before_id = 0;  // paging: rows with id < before_id (0 = newest)
};

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

}  // namespace vitals::hub::repair
