#pragma once
// Repair policies (/api/v1/policies), repairs and approvals (/api/v1/repairs,
// /api/v1/approvals), and a service's quick actions (restart through the repair guardrails;
// recheck, diagnose and logs through its agents). Blocking store and agent calls on HTTP
// threads; executions themselves run on the repair engine's worker.
#include <string>

#include "common/time/clock.hpp"
#include "hub/api/api_types.hpp"
#include "hub/repair/agent_commands.hpp"
#include "hub/repair/pg_repair_store.hpp"
#include "hub/repair/repair_engine.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::api {

inline constexpr int kDefaultRepairLimit = 100;
inline constexpr int kMaxRepairLimit = 1000;

class RepairHandler {
 public:
  RepairHandler(store::PgPool& pool, repair::PgRepairStore& store, repair::RepairEngine& engine,
                repair::AgentCommands& agents, const state::HubState& state, const Clock& clock,
                std::chrono::milliseconds command_timeout)
      : pool_(pool),
        store_(store),
        engine_(engine),
        agents_(agents),
        state_(state),
        clock_(clock),
        command_timeout_(command_timeout) {}

  ApiResponse listPolicies(const ApiRequest& req) const;
  ApiResponse getPolicy(const ApiRequest& req) const;
  ApiResponse putPolicy(const ApiRequest& req) const;
  ApiResponse listRepairs(const ApiRequest& req) const;
  ApiResponse getRepair(const ApiRequest& req) const;
  ApiResponse listApprovals(const ApiRequest& req) const;
  ApiResponse approve(const ApiRequest& req) const;
  ApiResponse reject(const ApiRequest& req) const;
  ApiResponse restart(const ApiRequest& req) const;
  ApiResponse run(const ApiRequest& req) const;  // a named action
  ApiResponse recheck(const ApiRequest& req) const;
  ApiResponse diagnose(const ApiRequest& req) const;
  ApiResponse logs(const ApiRequest& req) const;

 private:
  ApiResponse repairs(const ApiRequest& req, const std::string& status) const;
  ApiResponse decide(const ApiRequest& req, bool approve) const;
  ApiResponse checksNow(const ApiRequest& req, bool verbose) const;
  ApiResponse manual(const ApiRequest& req, bool named) const;
  store::PgPool& pool_;
  repair::PgRepairStore& store_;
  repair::RepairEngine& engine_;
  repair::AgentCommands& agents_;
  const state::HubState& state_;
  const Clock& clock_;
  std::chrono::milliseconds command_timeout_;
};

}  // namespace vitals::hub::api
