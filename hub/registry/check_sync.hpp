#pragma once
// Brings each agent's checks managed through the API to the agent: a set-checks command
// (vitals.cmd.<agent>.set-checks, request/reply on the agent's existing command subjects) with
// the agent's whole set, after every change made through the API and whenever the agent
// registers (start, reconnect, config change) — so an agent that was offline, or restarted and
// forgot them, gets them at its next registration. The agent's answer per check (applied, or
// why not) is written back to api_checks; removed checks' rows go once the agent confirms.
//
// One worker thread; request() and onRegistered() only queue. The worker also runs an idle hook
// every `idle_every` (the registry's refresh from PostgreSQL).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "common/error/result.hpp"
#include "common/time/clock.hpp"
#include "hub/registry/registry_store.hpp"
#include "hub/repair/agent_commands.hpp"

namespace spdlog {
class logger;
}

namespace vitals::hub::registry {

struct CheckSyncSettings {
  std::string hub_id;
  std::chrono::milliseconds timeout{5000};           // one set-checks request
  std::chrono::milliseconds validate_timeout{3000};  // a dry run for the API handler
  std::chrono::milliseconds idle_every{5000};
};

class CheckSync {
 public:
  CheckSync(RegistryStore& store, repair::AgentCommands& agents, const Clock& clock,
            CheckSyncSettings settings, std::shared_ptr<spdlog::logger> logger);
  ~CheckSync();
  CheckSync(const CheckSync&) = delete;
  CheckSync& operator=(const CheckSync&) = delete;

  // Starts the worker and queues every agent that has checks (a change may not have reached
  // its agent before the last stop).
  void start(std::function<void()> idle = {});
  void stop();

  // Queues a sync of the agent's set (any thread).
  void request(const std::string& agent);
  // The agents that registered in an ingested batch (any thread).
  void onRegistered(const std::vector<std::string>& agents);

  // Asks the agent to validate one check without applying it (the API handler, before storing):
  // "agent.unavailable" when it did not answer in time.
  Result<repair::ApiCheckApplied> validate(const std::string& agent, const std::string& name,
                                           const std::string& definition);
  // One sync on the caller's thread (the worker's step; tests call it directly). Agents without
  // rows are skipped.
  Status syncNow(const std::string& agent);

 private:
  void run();
  std::string requestId();

  RegistryStore& store_;
  repair::AgentCommands& agents_;
  const Clock& clock_;
  CheckSyncSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void()> idle_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  bool stopping_ = false;
  std::uint64_t counter_ = 0;  // under mu_
  std::thread worker_;
};

}  // namespace vitals::hub::registry
