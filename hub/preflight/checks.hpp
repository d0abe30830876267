#pragma once
// The check kinds of docs/configuration-hub.md (`preflight.checks[].kind`). Each takes what it
// reads through a function or a pure object, so none of them needs a server in a unit test.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error/result.hpp"
#include "common/model/status.hpp"
#include "common/time/clock.hpp"
#include "hub/notify/notifier.hpp"
#include "hub/preflight/check.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/store/read_store.hpp"

namespace vitals::hub::preflight {

using AgentLister = std::function<Result<std::vector<store::AgentRecord>>()>;

// Online: registered or heard from, not deregistered, not past its keepalive deadline.
bool agentOnline(const store::AgentRecord& agent);

// service_status: every named service is known to the hub and in one of `accept` (default
// healthy or degraded: "not down"; unknown fails because nothing has proven the service up).
class ServiceStatusCheck final : public PreflightCheck {
 public:
  ServiceStatusCheck(const state::HubState& state, std::vector<std::string> services,
                     std::vector<HealthStatus> accept)
      : state_(state), services_(std::move(services)), accept_(std::move(accept)) {}
  CheckOutcome run(const RunContext& ctx) override;
  bool followsLiveState() const override { return true; }

 private:
  const state::HubState& state_;
  std::vector<std::string> services_;
  std::vector<HealthStatus> accept_;
};

// agents_online: at least `min` agents online (agents table, kept by the keepalive sweeper).
class AgentsOnlineCheck final : public PreflightCheck {
 public:
  AgentsOnlineCheck(AgentLister agents, int min) : agents_(std::move(agents)), min_(min) {}
  CheckOutcome run(const RunContext& ctx) override;

 private:
  AgentLister agents_;
  int min_;
};

// clock_skew: no online agent has a recorded skew beyond max_skew. The hub records an agent's
// skew (agents.clock_skew_ms) only when it passes staleness.clock_skew_threshold, so max_skew
// below that threshold cannot see more than the threshold does.
class ClockSkewCheck final : public PreflightCheck {
 public:
  ClockSkewCheck(AgentLister agents, std::chrono::milliseconds max_skew)
      : agents_(std::move(agents)), max_skew_(max_skew) {}
  CheckOutcome run(const RunContext& ctx) override;

 private:
  AgentLister agents_;
  std::chrono::milliseconds max_skew_;
};

// migrations_current: every migration this binary knows is applied (schema_migrations), and
// none it does not know (a newer hub migrated the database).
class MigrationsCurrentCheck final : public PreflightCheck {
 public:
  MigrationsCurrentCheck(std::function<Result<std::vector<int>>()> applied_versions,
                         std::vector<int> known)
      : applied_versions_(std::move(applied_versions)), known_(std::move(known)) {}
  CheckOutcome run(const RunContext& ctx) override;

 private:
  std::function<Result<std::vector<int>>()> applied_versions_;
  std::vector<int> known_;
};

// stream_present, database_reachable: a probe that says ok or why not (the same probes /readyz
// uses).
class ProbeCheck final : public PreflightCheck {
 public:
  explicit ProbeCheck(std::function<Status()> probe) : probe_(std::move(probe)) {}
  CheckOutcome run(const RunContext& ctx) override;

 private:
  std::function<Status()> probe_;
};

// notifier_test: sends a test notification through the channel's notifier and passes when it
// was delivered. The outcome is kept and re-used until `resend_interval` passed or a run is
// forced, so the periodic re-run does not page a channel every minute.
class NotifierTestCheck final : public PreflightCheck {
 public:
  NotifierTestCheck(std::unique_ptr<notify::Notifier> notifier, std::string channel,
                    std::string hub_id, const Clock& clock,
                    std::chrono::milliseconds resend_interval);
  CheckOutcome run(const RunContext& ctx) override;
  int sent() const { return sent_; }

 private:
  std::unique_ptr<notify::Notifier> notifier_;
  std::string channel_;
  std::string hub_id_;
  const Clock& clock_;
  std::chrono::milliseconds resend_interval_;
  std::optional<SteadyTime> last_sent_;
  CheckOutcome last_;
  int sent_ = 0;
};

}  // namespace vitals::hub::preflight
