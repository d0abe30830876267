#pragma once
// The per-(agent, action) cooldown of inbound events held in PostgreSQL, so that two hubs (or
// one hub after a restart) never run the same action on the same agent twice within the
// rule's cooldown. The processor's in-memory cooldown stays as the cheap first filter; this is
// the one that holds across processes. Decorates the runner that asks the agent.
#include "hub/events/action_runner.hpp"
#include "hub/store/pg_pool.hpp"

namespace vitals::hub::events {

class GuardedActionRunner final : public ActionRunner {
 public:
  GuardedActionRunner(ActionRunner& inner, store::PgPool& pool) : inner_(inner), pool_(pool) {}
  // A start within the cooldown (by the database clock) is refused without asking the agent:
  // outcome "rejected", error "cooldown: ...". Error "action.unavailable" when the guard cannot
  // be taken (database away): nothing runs.
  Result<ActionReply> run(const ActionRequest& request) override;

 private:
  ActionRunner& inner_;
  store::PgPool& pool_;
};

}  // namespace vitals::hub::events
