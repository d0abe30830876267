#pragma once
// Finds service status transitions and makes them durable and visible: after each committed
// ingest batch and on every staleness sweep it evaluates the services concerned (HubState + the
// pure policy), records the transitions (status_changes + uptime windows + rollups, one
// transaction), then hands them to the sinks (NATS, alerts later).
//
// Recording happens right after the ingest commit, not inside it: the transitions are known only
// once the batch is applied to the in-memory state, which happens only after its commit. The
// last recorded status per service (`previous_`) advances only when the record committed, so a
// failed write is retried by the next evaluation (every sweep evaluates every service), and the
// store drops a transition its open window already has (idempotent). A hub that dies between
// the two commits finds the difference at start (start(): Reconcile transitions).
#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/policy/liveness.hpp"
#include "hub/policy/transition.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/transition_sink.hpp"
#include "hub/store/event_store.hpp"
#include "hub/store/status_store.hpp"

namespace vitals::hub::status {

struct TrackerSettings {
  policy::LivenessSettings liveness;
  int uptime_retention_days = 400;
  policy::LifecycleSettings lifecycle;  // restart grace, forget_after
};

// The reason of the transition of a service that left the current view.
inline constexpr const char* kRemovedReason = "no longer monitored: no check left";

// Builds the evaluation of one service: its status and the check that decides it (the newest
// check whose status equals the service's; "agent unreachable" when that check's agent is).
policy::ServiceEvaluation evaluationOf(const state::ServiceState& service);

class StatusTracker {
 public:
  // Metrics: vitals_status_transitions_total, vitals_status_record_errors_total,
  // vitals_agents_unreachable_total (agents newly found unreachable), vitals_agents_unreachable
  // (gauge), vitals_agents_clock_skew_findings_total, vitals_status_sweep_errors_total.
  StatusTracker(state::HubState& state, store::StatusStore& store, const Clock& clock,
                metrics::Registry& registry, TrackerSettings settings,
                std::shared_ptr<spdlog::logger> logger);

  // The sink must outlive the tracker. Add sinks before start().
  void addSink(TransitionSink& sink);

  // After the state was restored from `checks`: loads the last recorded status per service,
  // sweeps once (agents that died while the hub was down become unreachable now), and records
  // what differs (cause Reconcile). Errors are returned (the caller retries).
  // With replicas the sweep is left to the holder of the sweeper job (sweep_now = false; see
  // takeOver()).
  [[nodiscard]] Status start(bool sweep_now = true);
  // Ingest thread, after a commit and after the state took the batch.
  void onCommitted(const store::IngestBatch& batch);
  // Sweeper thread: keepalive deadlines, retries of unrecorded transitions, hourly rollups,
  // agents past agents.forget_after.
  void sweep();
  // Retires agents now (API thread; the sweep for forget_after): their checks leave the
  // database's catalog and the state, services left without checks leave the current view.
  // Returns the agents that were retired (unknown or already retired ones are not).
  [[nodiscard]] Result<std::vector<std::string>> forget(const std::vector<std::string>& agents);
  // Called with the agents a forget() retired (the replicas' broadcast). Set before start().
  void onForgotten(std::function<void(const std::vector<std::string>&)> fn) {
    on_forgotten_ = std::move(fn);
  }

  // Replicas. Statuses another replica recorded become the last recorded ones here, so this
  // tracker does not record the same transition again (any thread).
  void adoptRecorded(const std::map<std::string, HealthStatus>& recorded);
  // Reloads the last recorded status per service from the database (a replica's rebuild, and
  // a new holder of the sweeper job), without sweeping.
  [[nodiscard]] Status resync();
  // This replica just took the sweeper job: resync, then one sweep whose findings are
  // Reconcile transitions (what the previous holder left undone).
  [[nodiscard]] Status takeOver();

  std::size_t pendingTransitions() const;  // evaluated but not yet recorded (tests)

 private:
  void sweepLocked(policy::Cause cause_for_others);
  // `resumed`: services whose agent came back within the restart grace (their transitions
  // out of UNKNOWN are Resumed); `stopped`: services whose agent just stopped (a Stopped
  // transition is recorded even when they were UNKNOWN already, so their incidents resolve);
  // `removals`: also look for services that left the view.
  void evaluateLocked(const std::set<std::string>* only, policy::Cause default_cause,
                      std::vector<policy::Transition> extra = {},
                      const std::set<std::string>& resumed = {},
                      const std::set<std::string>& stopped = {}, bool removals = false);
  Result<std::vector<std::string>> forgetLocked(const std::vector<std::string>& agents);
  void skewLocked(const Heartbeat& hb, SystemTime received_at);
  void markReturnedLocked(const std::set<std::string>& agents);
  void noteBacklogLocked(const store::IngestBatch& batch);
  SystemTime heardUntilLocked(SystemTime now) const;  // now - the backlog, when measured

  state::HubState& state_;
  store::StatusStore& store_;
  const Clock& clock_;
  TrackerSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<TransitionSink*> sinks_;

  metrics::Counter& transitions_;
  metrics::Counter& record_errors_;
  metrics::Counter& unreachable_total_;
  metrics::Gauge& unreachable_now_;
  metrics::Counter& skew_findings_;
  metrics::Counter& sweep_errors_;

  mutable std::mutex mu_;
  std::map<std::string, HealthStatus> previous_;  // last recorded status per service
  std::size_t pending_ = 0;
  std::map<std::string, std::chrono::milliseconds> skew_offset_;    // last heartbeat offset
  std::map<std::string, std::chrono::milliseconds> skew_reported_;  // recorded findings
  std::set<std::string> gone_;  // services whose Removed transition is recorded
  std::function<void(const std::vector<std::string>&)> on_forgotten_;
  std::optional<SystemTime> last_checkpoint_;
  // How far behind the stream the hub was at its last batch with heartbeats (behind_at_).
  static constexpr std::chrono::milliseconds kBacklogFresh{30000};
  std::chrono::milliseconds behind_{0};
  std::optional<SystemTime> behind_at_;
  // Agents found unreachable whose grouped event waits for the rest of their outage.
  policy::UnreachableGroup group_;
  SystemTime watching_since_{};  // start(): deadlines count from here at the earliest
};

}  // namespace vitals::hub::status
