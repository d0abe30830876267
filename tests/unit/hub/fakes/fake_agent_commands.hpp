#pragma once
// AgentCommands that records every command and answers from a script (default: ok, exit 0).
#include <mutex>
#include <vector>

#include "hub/repair/agent_commands.hpp"

namespace vitals::test {

class FakeAgentCommands final : public hub::repair::AgentCommands {
 public:
  Result<hub::repair::AgentReply> send(const hub::repair::AgentCommand& command) override {
    std::lock_guard lock(mu_);
    sent.push_back(command);
    if (unavailable) {
      return Error{"agent.unavailable", "no reply (fake)", {}};
    }
    return reply;
  }
  // Commands that would have run something (run-action, not a dry run).
  int runs() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& c : sent) {
      n += c.verb == "run-action" && !c.dry_run ? 1 : 0;
    }
    return n;
  }
  int dryRuns() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& c : sent) {
      n += c.verb == "run-action" && c.dry_run ? 1 : 0;
    }
    return n;
  }

  std::vector<hub::repair::AgentCommand> sent;
  hub::repair::AgentReply reply{"ok", 0, 12, "done", false, "", {}, {}, {}, {}};
  bool unavailable = false;

 private:
  mutable std::mutex mu_;
};

}  // namespace vitals::test
