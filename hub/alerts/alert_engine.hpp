#pragma once
// Runs the alert policy (alert_policy.hpp) over the recorded status changes and over time.
//
// Exactly once: status_changes is the durable log of what happened; the engine reads it after
// its cursor (alert_cursor) and, in ONE transaction per batch, locks the cursor, updates the
// incidents, writes the notification intents to the outbox and advances the cursor. A crash
// before the commit leaves everything to be done again; after it, nothing is done twice. With
// two hubs, the cursor lock lets one process a batch at a time. Time-driven work (escalation,
// reminders, silences that ended, flapping that stopped) runs the same way on the open
// incidents, each row locked (SKIP LOCKED) by the hub handling it.
//
// After an outage (a backlog), only the newest change of each service is acted on when older
// ones are past max_notify_age: a problem that came and went while nobody could be told is
// recorded in the history, not paged.
#include <spdlog/logger.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/alerts/alert_policy.hpp"
#include "hub/alerts/alert_store.hpp"
#include "hub/alerts/pg_alert_store.hpp"
#include "hub/policy/service_rule.hpp"
#include "hub/status/transition_sink.hpp"
#include "hub/store/pg_connection.hpp"

namespace vitals::hub::alerts {

// What the hub sees now (HubState in the hub).
class LiveView {
 public:
  virtual ~LiveView() = default;
  // The service's current status (Unknown when it is not known).
  virtual HealthStatus statusOf(const std::string& service) const = 0;
  // Whether the check's newest result says it is flapping.
  virtual bool flapping(const std::string& agent, const std::string& check) const = 0;
};

struct EngineSettings {
  std::chrono::milliseconds tick_interval{1000};
  std::chrono::milliseconds max_notify_age{std::chrono::minutes{5}};
  int batch_size = 500;
  // For services without a stored alert config (channels = alerts.default_channels).
  notify::AlertConfig defaults;
  // agents.restart_grace: a clean stop's "monitoring stopped" notice waits this long.
  std::chrono::milliseconds restart_grace{std::chrono::minutes{2}};
  // Channels with stop_notices: false.
  std::set<std::string> quiet_stop_channels;
};

class AlertEngine final : public status::TransitionSink {
 public:
  using Connector = std::function<Result<std::unique_ptr<store::PgConnection>>()>;
  // Metrics: vitals_alert_changes_total, vitals_alert_changes_superseded_total,
  // vitals_alert_notifications_total, vitals_alert_engine_errors_total.
  AlertEngine(Connector connect, const Clock& clock, const LiveView& live,
              policy::ServiceRules rules, EngineSettings settings, metrics::Registry& registry,
              std::shared_ptr<spdlog::logger> logger);
  ~AlertEngine() override;
  AlertEngine(const AlertEngine&) = delete;
  AlertEngine& operator=(const AlertEngine&) = delete;

  // Called after each commit that wrote notification intents (wakes the sender).
  void onEnqueued(std::function<void()> fn) { on_enqueued_ = std::move(fn); }
  void start();
  void stop();
  void wake();
  // TransitionSink: the tracker committed new status_changes rows.
  void onTransitions(const std::vector<policy::Transition>& transitions) override;

  // One batch of changes / one pass over open incidents in `store` (the worker loop; tests).
  // Return the number of changes read (a full batch means there may be more) / incidents
  // changed.
  Result<int> processChanges(AlertStore& store);
  Result<int> tick(AlertStore& store);
  // The same on a PostgreSQL connection (a PgAlertStore on it).
  Result<int> processChanges(store::PgConnection& conn);
  Result<int> tick(store::PgConnection& conn);

 private:
  Status apply(AlertStore& store, Plan& plan, SystemTime now, int& enqueued);
  // A service's alert config: stored, or the defaults. Cached across ticks; refreshConfigs()
  // empties the cache when the stored configs changed (on any replica).
  const notify::AlertConfig& configFor(AlertStore& store, const std::string& service);
  Status refreshConfigs(AlertStore& store);
  std::string inhibitorOf(const std::string& service) const;
  void run();

  Connector connect_;
  const Clock& clock_;
  const LiveView& live_;
  policy::ServiceRules rules_;
  EngineSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void()> on_enqueued_;
  // Engine thread only (processChanges and tick).
  std::map<std::string, notify::AlertConfig> configs_;
  std::string configs_fingerprint_;

  metrics::Counter& changes_;
  metrics::Counter& superseded_;
  metrics::Counter& notifications_;
  metrics::Counter& errors_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace vitals::hub::alerts
