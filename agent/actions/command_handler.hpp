#pragma once
// Answers commands from the hub (vitals.cmd.<agent>.<verb>): run a named repair action, run
// checks now (recheck / diagnose), return the last lines of a service's log file, or apply the
// set of checks managed through the hub's API (set-checks).
//
// Rules (reliability rules 15 and 16): only actions named in the agent's own config run, with
// parameters validated against their patterns and passed as argv (no shell); a request id runs
// at most once (the last `remembered` replies are kept and repeated as DUPLICATE); per action at
// most max_concurrent runs at once and one start per cooldown; dry_run runs nothing. Every
// command leaves an audit line ("audit: ...") and bumps vitals_agent_commands_total.
//
// Single-threaded: handle() and every reply run on the loop thread; processes and file reads run
// on the WorkQueue.
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/actions/command.hpp"
#include "agent/actions/recent_replies.hpp"
#include "agent/config/agent_config.hpp"
#include "agent/runtime/process_runner.hpp"
#include "agent/runtime/work_queue.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"

namespace spdlog {
class logger;
}

namespace vitals::agent {

// Runs an action's process. Blocking; called on a worker thread.
class ActionExecutor {
 public:
  virtual ~ActionExecutor() = default;
  virtual ProcessResult execute(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout, std::size_t max_output) = 0;
};

// runProcess(): own session, capped output, the process group killed at the timeout.
class ProcessActionExecutor final : public ActionExecutor {
 public:
  explicit ProcessActionExecutor(Clock& clock) : clock_(clock) {}
  ProcessResult execute(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                        std::size_t max_output) override;

 private:
  Clock& clock_;
};

// Runs checks now (the scheduler, in the agent). Loop thread.
class CheckRunner {
 public:
  using Done = std::function<void(std::optional<CheckResult>)>;
  virtual ~CheckRunner() = default;
  virtual std::vector<std::string> checksOfService(const std::string& service) const = 0;
  // False when there is no such check (done is not called); else done is called once, later.
  virtual bool runNow(const std::string& check, bool verbose, Done done) = 0;
};

// Applies the checks managed through the hub's API (agent/reload/api_checks.hpp). Loop thread.
class CheckSetApplier {
 public:
  virtual ~CheckSetApplier() = default;
  // `checks` is the complete set (API checks not in it stop); with dry_run they are only
  // validated and nothing changes. One outcome per requested check, in order.
  virtual std::vector<ApiCheckOutcome> apply(const std::vector<ApiCheckDef>& checks,
                                             bool dry_run) = 0;
};

struct CommandSettings {
  std::string agent_id;
  std::vector<ActionConfig> actions;
  std::map<std::string, ServiceSettings> services;
  std::size_t remembered = 1000;           // request ids kept for idempotency
  std::size_t logs_max_bytes = 64 * 1024;  // read budget of one `logs` reply
  std::uint32_t logs_default_lines = 100;
  std::uint32_t logs_max_lines = 1000;
};

class CommandHandler {
 public:
  using ReplyFn = std::function<void(const CommandReply&)>;

  CommandHandler(CommandSettings settings, Clock& clock, WorkQueue& queue, ActionExecutor& executor,
                 CheckRunner& checks, metrics::Registry& metrics,
                 std::shared_ptr<spdlog::logger> logger);
  CommandHandler(const CommandHandler&) = delete;
  CommandHandler& operator=(const CommandHandler&) = delete;

  // Handles one command; reply is called exactly once (maybe before handle returns).
  void handle(Command command, ReplyFn reply);

  // Where set-checks goes; without one it is refused (REJECTED).
  void setCheckSetApplier(CheckSetApplier* applier) { check_sets_ = applier; }

  // Runs of an action in progress (tests, metrics).
  std::uint32_t running(const std::string& action) const;

 private:
  struct Context;
  void runAction(const std::shared_ptr<Context>& ctx);
  void runChecks(const std::shared_ptr<Context>& ctx, bool verbose);
  void readLogs(const std::shared_ptr<Context>& ctx);
  void setChecks(const std::shared_ptr<Context>& ctx);
  // Replies, audits, counts; stores the reply for the request id unless it was refused.
  void finish(const std::shared_ptr<Context>& ctx, CommandReply reply);
  void reject(const std::shared_ptr<Context>& ctx, const std::string& why);
  const ActionConfig* findAction(const std::string& name) const;

  CommandSettings settings_;
  Clock& clock_;
  WorkQueue& queue_;
  ActionExecutor& executor_;
  CheckRunner& checks_;
  CheckSetApplier* check_sets_ = nullptr;
  metrics::Registry& metrics_;
  std::shared_ptr<spdlog::logger> logger_;
  RecentReplies recent_;
  std::map<std::string, std::uint32_t> running_;  // by action
  std::map<std::string, SteadyTime> last_start_;  // by action, for cooldown
};

}  // namespace vitals::agent
