#pragma once
// The federation subsystem of one hub, as one object for the composition root: the summary
// publisher (a TransitionSink for the status tracker), the receiver with its registry and global
// view (PostgreSQL through the read pool), the subscription to hub.*.health.summary, and the small
// event loop they run on. docs/federation.md.
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/federation/federation_settings.hpp"
#include "hub/federation/global_view.hpp"
#include "hub/policy/transition.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/transition_sink.hpp"

namespace vitals::nats {
class Connection;
}
namespace vitals::hub::store {
class PgPool;
}

namespace vitals::hub::federation {

struct FederationDeps {
  const state::HubState& state;
  const Clock& clock;
  nats::Connection& bus;
  store::PgPool& pool;
  metrics::Registry& registry;
  std::shared_ptr<spdlog::logger> logger;
  // A watched remote hub's derived status changed (federation.alert_on): record it as the
  // transition of service "hub:<id>" and wake the alert engine. Called on the federation loop.
  std::function<void(const policy::Transition&)> on_hub_status;
  // Whether this replica publishes the site's summaries (the site lease); default: always.
  std::function<bool()> active;
  // What clients see of a remote hub changed (FederationReceiver::HubChangeHook): the live
  // stream's `federation` events.
  std::function<void(const RemoteHub&, std::string_view)> on_hub_change;
};

class Federation {
 public:
  Federation(std::string hub_id, std::string version, FederationSettings settings,
             FederationDeps deps);
  ~Federation();
  Federation(const Federation&) = delete;
  Federation& operator=(const Federation&) = delete;

  // Add to the status tracker: changes make deltas.
  status::TransitionSink& sink();
  const GlobalView& view() const;
  // POST /api/v1/federation/register (any thread).
  Result<RemoteHub> announce(const std::string& id, const std::string& url,
                             const std::string& version,
                             const std::vector<std::string>& capabilities);

  // After the database schema is ready: loads the stored view, subscribes, starts publishing.
  void start();
  // Unsubscribes, stops the timers and joins the loop.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vitals::hub::federation
