#pragma once
// Asking an agent to do something (vitals.cmd.<agent>.<verb>, CommandRequest -> CommandReply):
// run a named action, recheck or diagnose a service's checks now, or read its log file. The
// agent runs only what its own config names; a request id runs at most once there.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/check_result.hpp"

namespace vitals::hub::repair {

// A check managed through the API, as set-checks sends it: its name and JSON definition.
struct ApiCheckDefinition {
  std::string name;
  std::string definition;
};

// What the agent did with one of them.
struct ApiCheckApplied {
  std::string name;
  bool applied = false;
  std::string error;
};

struct AgentCommand {
  std::string verb;  // "run-action", "recheck", "diagnose", "logs", "set-checks"
  std::string request_id;
  std::string agent;
  std::string action;   // run-action
  std::string service;  // recheck / diagnose / logs
  std::map<std::string, std::string> params;
  bool dry_run = false;
  std::uint32_t lines = 0;  // logs
  std::string requested_by;
  std::chrono::milliseconds timeout{10000};
  std::vector<ApiCheckDefinition> checks;  // set-checks: the agent's whole set
};

struct AgentReply {
  std::string outcome;  // ok, failed, rejected, timeout, duplicate
  int exit_code = 0;
  std::int64_t duration_ms = 0;
  std::string output;
  bool output_truncated = false;
  std::string error;
  std::vector<CheckResult> results;            // recheck / diagnose
  std::vector<std::string> lines;              // logs
  std::vector<std::string> argv;               // run-action
  std::vector<ApiCheckApplied> check_results;  // set-checks
};

class AgentCommands {
 public:
  virtual ~AgentCommands() = default;
  // Blocks until the reply or the timeout. Error code "agent.unavailable" when no reply came
  // (agent or bus away), "agent.reply" when the reply could not be decoded. Thread-safe.
  virtual Result<AgentReply> send(const AgentCommand& command) = 0;
};

// Over NATS request/reply (Connection::request, passed in as a function).
class NatsAgentCommands final : public AgentCommands {
 public:
  using RequestFn = std::function<Result<std::string>(
      const std::string& subject, std::string_view data, std::chrono::milliseconds timeout)>;
  explicit NatsAgentCommands(RequestFn request) : request_(std::move(request)) {}
  Result<AgentReply> send(const AgentCommand& command) override;

 private:
  RequestFn request_;
};

}  // namespace vitals::hub::repair
