#pragma once
// What the repair engine needs from storage, by job: the policies it reads, the inputs of a
// decision, the ledger of repairs (record, guarded start, reply, verification) and approvals.
// RepairStore is all four on one connection (one thread at a time). PgRepairSession
// (pg_repair_store.hpp) is the PostgreSQL one; tests use an in-memory fake
// (tests/unit/hub/fakes/fake_repair_store.hpp) with the same semantics.
//
// The guarantee of startNew()/startApproved(): the row (status running), the (agent, action)
// guard (refused unless the last start of that pair, by whatever trigger, is the requester's
// cooldown ago), the global rate-limit count and the audit row "repair.execute" commit together,
// before the caller may ask the agent. A refused start runs nothing.
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

// The repair status a verdict is recorded with (skipped, escalated, dry-run, pending, running).
std::string repairStatusOf(Verdict v);

// ---- by job ----

class RepairPolicies {
 public:
  virtual ~RepairPolicies() = default;
  virtual Result<std::optional<RepairPolicy>> policy(const std::string& service) = 0;
  // For every service with a check on an agent that registered restart-<service>: a policy
  // built from `tmpl`, never overwriting one that exists. Returns how many were created.
  virtual Result<int> createDefaultPolicies(const RepairPolicy& tmpl) = 0;
};

class RepairInputs {
 public:
  virtual ~RepairInputs() = default;
  virtual Result<std::vector<std::string>> agentActions(const std::string& agent) = 0;
  // Agents with a check of the service that registered the action, sorted.
  virtual Result<std::vector<std::string>> agentsOffering(const std::string& service,
                                                          const std::string& action) = 0;
  virtual Result<RepairHistory> history(const std::string& service, const std::string& incident,
                                        const std::string& agent, const std::string& action,
                                        std::optional<SystemTime> breaker_reset_at) = 0;
};

class RepairLedger {
 public:
  virtual ~RepairLedger() = default;
  // A decision that runs nothing now (skip, escalate, dry-run, pending): its row, its audit
  // row, and for escalate/pending a notification per configured channel. Returns the row id.
  virtual Result<std::int64_t> record(const NewRepair& n, const std::string& status_now) = 0;
  // An Execute decision: row + guard + rate limit + audit together. Refused: the decision is
  // recorded as skipped with the reason, and nothing may run.
  virtual Result<Start> startNew(const NewRepair& n) = 0;
  // An approved row: approved -> running under the same guard. Gone: not approved anymore
  // (another hub took it). Refused: recorded as skipped.
  virtual Result<Start> startApproved(std::int64_t id) = 0;
  virtual Result<std::vector<std::int64_t>> approvedIds() = 0;
  // The agent's reply (or none); audit "repair.finish".
  virtual Status finish(std::int64_t id, const ExecutionResult& r) = 0;
  // A dry run's answer (what would run): output and outcome on the row; it stays dry-run.
  virtual Status recordDryRunReply(std::int64_t id, const ExecutionResult& r) = 0;
  virtual Status recordVerification(std::int64_t id, bool fixed, const std::string& message) = 0;
  // Rows left running by a hub that stopped mid-way: failed ("no reply recorded").
  virtual Result<int> failOrphans(std::chrono::milliseconds older_than) = 0;
  virtual Result<std::optional<RepairRecord>> get(std::int64_t id) = 0;
};

class RepairApprovals {
 public:
  virtual ~RepairApprovals() = default;
  // pending -> approved|rejected (concurrent callers: one wins); audited. `status` gets the
  // row's status when not Done.
  virtual Result<ApprovalOutcome> decideApproval(std::int64_t id, bool approve,
                                                 const std::string& actor, std::string& status) = 0;
  // pending rows past expires_at -> expired (audited, notified). Returns how many.
  virtual Result<int> expirePending() = 0;
};

// All four on one connection, used by one thread at a time.
class RepairStore : public RepairPolicies,
                    public RepairInputs,
                    public RepairLedger,
                    public RepairApprovals {
 public:
  // Whether the store can be used now (a lost connection is re-established here); false: the
  // caller retries later with a fresh one.
  virtual bool usable() = 0;
};

}  // namespace vitals::hub::repair
