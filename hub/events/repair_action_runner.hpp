#pragma once
// Inbound events' actions through the hub's one guarded path for agent actions: the repair
// engine's runAction (hub/repair/repair_engine.hpp). The event's run is an auto_repairs row
// (trigger "event") with the same database guard as repairs and quick actions - one cooldown per
// (agent, action) whoever starts it, the global rate limit, the service's approval and dry-run
// policy - and the same audit rows ("repair.execute", "repair.finish"); the agent is asked by
// the one CommandRequest codec (AgentCommands).
#include <chrono>

#include "hub/events/action_runner.hpp"
#include "hub/repair/pg_repair_store.hpp"
#include "hub/repair/repair_engine.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::events {

class RepairActionRunner final : public ActionRunner {
 public:
  // All outlive this object. Each run leases a connection from `pool` for its whole length and
  // uses `store` on it.
  RepairActionRunner(repair::RepairEngine& engine, repair::PgRepairStore& store,
                     store::PgPool& pool)
      : engine_(engine), store_(store), pool_(pool) {}
  // Outcomes besides the agent's: "rejected" with error "cooldown ..." or "global rate limit
  // ..." (nothing ran), "pending-approval" with error naming the repair row to approve,
  // "dry-run". Error "action.unavailable": no database (nothing ran) or no reply from the agent.
  Result<ActionReply> run(const ActionRequest& request) override;

 private:
  repair::RepairEngine& engine_;
  repair::PgRepairStore& store_;
  store::PgPool& pool_;
};

}  // namespace vitals::hub::events
