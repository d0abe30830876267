#pragma once
// The repair engine: receives committed transitions (as a TransitionSink: it only queues them),
// and on its own worker thread gathers each decision's inputs (policy, agent actions, history,
// dependencies), asks the pure RepairDecider, records the verdict and, for an execution, passes
// the store's guard (RepairStore::startNew) before it asks the agent. It also verifies
// repairs after `verify_after`, retries a held-back repair when its cooldown ends, expires
// approvals, starts approved repairs, and creates default policies.
//
// Quick actions and approvals come from API threads (restart(), decideApproval()): they decide
// and pass the guard on the caller's connection and hand the agent request to the worker.
// Inbound events come through runAction() on their caller's thread: the same decision (the
// service's policy: approval, dry run, cooldown, global rate limit), the same guard and audit,
// and the agent is asked there, so the event's caller gets the reply.
//
// Storage is a RepairStore (repair_store.hpp): the worker opens its own through OpenFn (a
// PgRepairSession on its own connection in the hub) and API threads pass theirs. Unit tests
// use an in-memory fake and runPending() instead of the worker thread.
//
// This is the hub's one path for "ask agent X to run action Y": every such request is an
// auto_repairs row, passes the RepairStore's guard and is sent by the one CommandRequest codec
// (AgentCommands).
#include <spdlog/logger.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/repair/agent_commands.hpp"
#include "hub/repair/repair_decider.hpp"
#include "hub/repair/repair_store.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/transition_sink.hpp"

namespace vitals::hub::repair {

struct EngineSettings {
  bool enabled = true;  // false: transitions are ignored (quick actions still work)
  DeciderSettings decider;
  RepairPolicy default_policy;  // template for created defaults (service/actions filled per row)
  std::chrono::milliseconds command_timeout{60000};  // waiting for an action's reply
  std::chrono::milliseconds tick{1000};              // expiry, approved leftovers, orphans
  std::chrono::milliseconds policy_scan{30000};      // default policies for new agents
};

// What a quick action or an approval did, for the API.
struct ActionOutcome {
  int http_status = 200;  // 202 started/pending, 200 dry-run, 409 held back, 404, ...
  std::string message;
  std::optional<RepairRecord> repair;
};

// An action asked for by another part of the hub (an inbound event's rule).
struct ActionAsk {
  Trigger trigger = Trigger::Event;
  std::string service;  // whose repair policy applies (none: the default guardrails)
  std::string agent;
  std::string action;
  std::map<std::string, std::string> params;
  std::string requested_by;                           // the audit actor
  std::string reason;                                 // recorded first among the decision's reasons
  std::optional<std::chrono::milliseconds> cooldown;  // instead of the policy's
  std::chrono::milliseconds timeout{30000};           // waiting for the agent's reply
};

// What runAction() did.
struct ActionRun {
  enum class Kind {
    Ran,              // the agent was asked: reply, or error when none came
    Refused,          // a guardrail held it back (cooldown, rate limit): nothing ran
    PendingApproval,  // recorded as pending; runs once, when approved
    DryRun,           // recorded as what would run; reply: what the agent would run
  } kind = Kind::Refused;
  std::int64_t repair_id = 0;
  std::string reason;  // the deciding reason
  std::optional<AgentReply> reply;
  std::string error;  // Ran without a reply: why
};

class RepairEngine final : public status::TransitionSink {
 public:
  // Opens the worker's own store (called again when it is no longer usable).
  using OpenFn = std::function<Result<std::unique_ptr<RepairStore>>()>;
  RepairEngine(state::HubState& state, policy::ServiceRules rules, OpenFn open,
               AgentCommands& agents, const Clock& clock, metrics::Registry& registry,
               std::shared_ptr<spdlog::logger> logger, EngineSettings settings);
  ~RepairEngine() override;
  RepairEngine(const RepairEngine&) = delete;
  RepairEngine& operator=(const RepairEngine&) = delete;

  // TransitionSink: queues and returns (ingest/sweeper thread, tracker lock held).
  void onTransitions(const std::vector<policy::Transition>& transitions) override;

  void start();
  void stop();  // waits for the request in flight (at most command_timeout)
  // Without start(): does the worker's due work on the calling thread (queued jobs, deferred
  // jobs due by the clock, the tick when due) until none is left. For tests with ManualTime.
  void runPending();

  // POST /api/v1/services/{name}/actions/restart (HTTP thread, its own store).
  Result<ActionOutcome> restart(RepairStore& s, const std::string& service,
                                const std::string& agent, bool dry_run, const std::string& actor);
  // POST /api/v1/services/{name}/actions/run: an action an operator names ("" = the restart
  // action), under the service's policy (approval, dry run), cooldown, rate limit and audit
  // like restart(). 409 when no agent of the service offers it.
  Result<ActionOutcome> manualAction(RepairStore& s, const std::string& service,
                                     const std::string& action, const std::string& agent,
                                     bool dry_run, const std::string& actor);
  // POST /api/v1/approvals/{id}/approve|reject (HTTP thread).
  Result<ActionOutcome> decideApproval(RepairStore& s, std::int64_t id, bool approve,
                                       const std::string& actor);
  // An inbound event's action (any thread, its own store). Blocks while the agent runs it.
  Result<ActionRun> runAction(RepairStore& s, const ActionAsk& ask);

 private:
  struct Job {
    enum class Kind { Transition, Send, Reevaluate, Verify } kind = Kind::Transition;
    policy::Transition transition;  // Transition
    std::string service;            // Reevaluate / Verify
    std::int64_t repair_id = 0;     // Send / Verify
    std::string request_id;         // Send
    std::string agent, action, requested_by;
    std::map<std::string, std::string> params;  // Send
    std::chrono::milliseconds verify_after{0};
    Trigger trigger = Trigger::Transition;
  };
  void run();
  // Under mu_: the next queued or due deferred job; `tick_due` when none and the tick is due.
  std::optional<Job> takeReady(SteadyTime now, bool& tick_due);
  void enqueue(Job job);
  void defer(Job job, SteadyTime due);
  bool ensureStore();
  void handle(const Job& job);
  void decideFor(const std::string& service, HealthStatus status, policy::Cause cause,
                 const std::string& agent, const std::string& check, Trigger trigger);
  void send(const Job& job);
  void verify(const Job& job);
  // Asks the agent what a dry run would run (it runs nothing) and stores its answer.
  Result<AgentReply> askDryRun(RepairStore& s, std::int64_t id, const std::string& agent,
                               const std::string& action, const std::string& actor,
                               const std::map<std::string, std::string>& params = {});
  // Asks the agent to run the action of a started repair and records the reply.
  Result<AgentReply> execute(RepairStore* s, const Job& job, std::chrono::milliseconds timeout);
  void tick();
  std::string incidentOf(const std::string& service, bool open_if_missing, SystemTime at);
  std::string dependencyDown(const std::string& service) const;
  FailureKind failureKindOf(const std::string& service, const std::string& agent,
                            const std::string& check) const;
  void noteDbError(const Error& e, const char* what);

  state::HubState& state_;
  policy::ServiceRules rules_;
  OpenFn open_;
  AgentCommands& agents_;
  const Clock& clock_;
  std::shared_ptr<spdlog::logger> logger_;
  EngineSettings settings_;
  RepairDecider decider_;

  metrics::Counter& decisions_skip_;
  metrics::Counter& decisions_execute_;
  metrics::Counter& decisions_other_;
  metrics::Counter& executions_ok_;
  metrics::Counter& executions_failed_;
  metrics::Counter& guard_refusals_;
  metrics::Counter& escalations_;
  metrics::Counter& errors_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::multimap<SteadyTime, Job> deferred_;
  std::set<std::string> reevaluating_;  // services with a Reevaluate deferred
  bool stopping_ = false;
  std::map<std::string, std::string> incidents_;  // open incident per service
  std::thread worker_;

  // Worker thread only.
  std::unique_ptr<RepairStore> mine_;
  SteadyTime next_tick_{};
  SteadyTime next_scan_{};
};

}  // namespace vitals::hub::repair
