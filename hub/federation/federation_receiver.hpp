#pragma once
// Listens to the other hubs (hub.*.health.summary): validates every message
// (summary_validator.hpp), keeps the registry and the global view (GlobalView, persisted through
// FederationStore), marks hubs stale when their summaries stop for stale_after, and for the
// hubs in alert_on reports their derived status ("hub:<id>": down when stale or down, else
// their overall status) as a transition for the alert path. It never publishes what it hears.
//
// Threads: onMessage(), start(), stop() and the sweep timer run on the Timers' loop (the NATS
// callback posts there); announce() on API threads.
#include <spdlog/logger.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/federation/federation_settings.hpp"
#include "hub/federation/federation_store.hpp"
#include "hub/federation/global_view.hpp"
#include "hub/policy/transition.hpp"

namespace vitals::hub::federation {

// The service name a remote hub's incidents are raised under.
std::string hubServiceName(const std::string& hub_id);

class FederationReceiver {
 public:
  // Called on the loop thread with a change of a watched hub's derived status.
  using HubStatusHook = std::function<void(const policy::Transition&)>;
  // Called on the loop thread when what a client would see of a remote hub changed: heard for
  // the first time or again, stale, registered, or its status, counts or incidents moved.
  // `change` is "heard", "stale", "registered" or "updated". Not called for a summary that
  // changes none of it (most of them).
  using HubChangeHook = std::function<void(const RemoteHub&, std::string_view change)>;

  // Metrics: vitals_federation_received_total, vitals_federation_dropped_total{reason},
  // vitals_federation_store_errors_total, vitals_federation_hubs{state="fresh"|"stale"},
  // vitals_federation_remote_services.
  FederationReceiver(std::string own_id, FederationSettings settings, const Clock& clock,
                     Timers& timers, GlobalView& view, FederationStore& store,
                     metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger,
                     HubStatusHook on_hub_status = {}, HubChangeHook on_hub_change = {});

  // Loop thread. start() loads the stored view (best effort) and starts the staleness sweep.
  void start();
  void stop();
  void onMessage(const std::string& subject, std::string_view data);
  // Loop thread (timer); public for tests.
  void sweep();

  // API threads: a hub announcing its URL and capabilities.
  Result<RemoteHub> announce(const std::string& id, const std::string& url,
                             const std::string& version,
                             const std::vector<std::string>& capabilities);

  std::uint64_t dropped(const std::string& reason) const;

 private:
  void persist(const RemoteHub& hub, const std::vector<RemoteService>& upserted,
               const std::vector<std::string>& removed);
  void watch(const RemoteHub& hub);
  // Calls on_hub_change_ when `after` differs from `before` in what clients see.
  void notifyChange(const std::optional<RemoteHub>& before, const RemoteHub& after,
                    std::string_view change);
  void scheduleSweep();
  void updateGauges();

  std::string own_id_;
  FederationSettings settings_;
  const Clock& clock_;
  Timers& timers_;
  GlobalView& view_;
  FederationStore& store_;
  std::shared_ptr<spdlog::logger> logger_;
  HubStatusHook on_hub_status_;
  HubChangeHook on_hub_change_;
  std::set<std::string> alert_on_;
  std::map<std::string, HealthStatus> reported_;  // watched hub -> last derived status
  TimerId sweep_timer_ = 0;
  bool stopped_ = false;

  metrics::Counter& received_;
  std::map<std::string, metrics::Counter*> dropped_;
  metrics::Counter& store_errors_;
  metrics::Gauge& fresh_;
  metrics::Gauge& stale_;
  metrics::Gauge& remote_services_;
};

}  // namespace vitals::hub::federation
