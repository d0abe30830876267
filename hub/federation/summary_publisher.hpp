#pragma once
// Publishes the hub's summaries and catalog events (docs/federation.md):
//   - a full HubSummary every `interval` on hub.<hub_id>.health.summary and hub.global.health;
//   - between them, a delta at most once per `coalesce` (1 s) after services changed status
//     (it learns of changes as a TransitionSink, so it never scans every service for a delta);
//   - ServiceCatalogEvent on hub.<hub_id>.service.registered / .deregistered.
// Only while active() (the replica holding the site's lease; default always): a publisher that
// becomes active starts over with a full summary.
//
// Threads: start()/stop() and the timers run on the Timers' loop; onTransitions() on the
// tracker's thread (it only queues names under a mutex).
#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/error/result.hpp"
#include "common/metrics/metrics.hpp"
#include "common/time/clock.hpp"
#include "hub/federation/summary_builder.hpp"
#include "hub/state/hub_state.hpp"
#include "hub/status/transition_sink.hpp"

namespace vitals::hub::federation {

struct PublisherSettings {
  std::string hub_id;
  std::string version;
  std::string url;  // announced in every summary
  std::chrono::milliseconds interval{30000};
  std::chrono::milliseconds coalesce{1000};
};

class SummaryPublisher final : public status::TransitionSink {
 public:
  using Publish = std::function<Status(const std::string& subject, std::string_view data)>;
  // Open incidents on this hub (called on the loop thread, once per full summary).
  using IncidentCount = std::function<Result<std::uint32_t>()>;

  // Metrics: vitals_federation_summaries_total{kind}, vitals_federation_summary_bytes_total,
  // vitals_federation_catalog_events_total{change}, vitals_federation_publish_errors_total.
  SummaryPublisher(
      const state::HubState& state, const Clock& clock, Timers& timers, Publish publish,
      IncidentCount incidents, PublisherSettings settings, metrics::Registry& registry,
      std::shared_ptr<spdlog::logger> logger, std::function<bool()> active = [] { return true; });

  void onTransitions(const std::vector<policy::Transition>& transitions) override;

  // Loop thread. start() sends the first full summary at once.
  void start();
  void stop();

  // Loop thread; what the timers call (public for the benchmark).
  void publishFull();
  void publishDelta();

 private:
  SummaryHeader headerNow(bool refresh_counts);
  void send(const Built& built);
  void scheduleFull();
  void scheduleDelta();

  const state::HubState& state_;
  const Clock& clock_;
  Timers& timers_;
  Publish publish_;
  IncidentCount incidents_;
  PublisherSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<bool()> active_;
  SummaryBuilder builder_;
  bool was_active_ = false;
  bool stopped_ = false;
  TimerId full_timer_ = 0;
  TimerId delta_timer_ = 0;
  std::uint32_t agents_total_ = 0;
  std::uint32_t open_incidents_ = 0;

  std::mutex mu_;
  std::set<std::string> changed_;  // guarded by mu_

  metrics::Counter& full_sent_;
  metrics::Counter& delta_sent_;
  metrics::Counter& bytes_;
  metrics::Counter& registered_;
  metrics::Counter& deregistered_;
  metrics::Counter& errors_;
};

}  // namespace vitals::hub::federation
