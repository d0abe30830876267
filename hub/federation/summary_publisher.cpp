#include "hub/federation/summary_publisher.hpp"

#include "common/nats/subjects.hpp"
#include "hub/federation/summary_codec.hpp"

namespace vitals::hub::federation {

SummaryPublisher::SummaryPublisher(const state::HubState& state, const Clock& clock, Timers& timers,
                                   Publish publish, IncidentCount incidents,
                                   PublisherSettings settings, metrics::Registry& registry,
                                   std::shared_ptr<spdlog::logger> logger,
                                   std::function<bool()> active)
    : state_(state),
      clock_(clock),
      timers_(timers),
      publish_(std::move(publish)),
      incidents_(std::move(incidents)),
      settings_(std::move(settings)),
      logger_(std::move(logger)),
      active_(std::move(active)),
      full_sent_(registry.counter("vitals_federation_summaries_total", "Hub summaries published",
                                  "kind=\"full\"")),
      delta_sent_(registry.counter("vitals_federation_summaries_total", "Hub summaries published",
                                   "kind=\"delta\"")),
      bytes_(registry.counter("vitals_federation_summary_bytes_total",
                              "Bytes of hub summaries published (each subject counted once)")),
      registered_(registry.counter("vitals_federation_catalog_events_total",
                                   "Service catalog events published", "change=\"registered\"")),
      deregistered_(registry.counter("vitals_federation_catalog_events_total",
                                     "Service catalog events published",
                                     "change=\"deregistered\"")),
      errors_(registry.counter("vitals_federation_publish_errors_total",
                               "Summaries or catalog events the bus refused")) {}

void SummaryPublisher::onTransitions(const std::vector<policy::Transition>& transitions) {
  std::lock_guard lock(mu_);
  for (const auto& t : transitions) {
    if (t.service != policy::kAgentsGroupService) {
      changed_.insert(t.service);
    }
  }
}

void SummaryPublisher::start() {
  stopped_ = false;
  publishFull();
  scheduleFull();
  scheduleDelta();
}

void SummaryPublisher::stop() {
  stopped_ = true;
  timers_.cancel(full_timer_);
  timers_.cancel(delta_timer_);
}

void SummaryPublisher::scheduleFull() {
  full_timer_ = timers_.scheduleAfter(clock_.steadyNow(), settings_.interval, [this] {
    if (stopped_) {
      return;
    }
    publishFull();
    scheduleFull();
  });
}

void SummaryPublisher::scheduleDelta() {
  delta_timer_ = timers_.scheduleAfter(clock_.steadyNow(), settings_.coalesce, [this] {
    if (stopped_) {
      return;
    }
    publishDelta();
    scheduleDelta();
  });
}

SummaryHeader SummaryPublisher::headerNow(bool refresh_counts) {
  SummaryHeader h;
  h.hub_id = settings_.hub_id;
  h.version = settings_.version;
  h.url = settings_.url;
  h.interval = settings_.interval;
  h.now = clock_.now();
  if (refresh_counts && incidents_) {
    if (auto n = incidents_(); n.ok()) {
      open_incidents_ = n.value();
    } else {
      logger_->debug("federation: open incidents unknown: {}", n.error().describe());
    }
  }
  h.open_incidents = open_incidents_;
  h.agents_total = agents_total_;
  const auto unreachable = static_cast<std::uint32_t>(state_.unreachableAgents().size());
  h.agents_online = agents_total_ > unreachable ? agents_total_ - unreachable : 0;
  return h;
}

void SummaryPublisher::publishFull() {
  const bool active = active_();
  if (!active) {
    was_active_ = false;
    return;
  }
  if (!was_active_) {
    builder_.reset();  // new holder of the lease: a fresh baseline
    was_active_ = true;
  }
  {
    std::lock_guard lock(mu_);
    changed_.clear();  // the full summary covers them
  }
  const auto services = state_.services();
  std::set<std::string> agents;
  for (const auto& s : services) {
    for (const auto& c : s.checks) {
      agents.insert(c.agent_id);
    }
  }
  agents_total_ = static_cast<std::uint32_t>(agents.size());
  const auto built = builder_.full(headerNow(true), services);
  send(built);
  full_sent_.inc();
}

void SummaryPublisher::publishDelta() {
  std::set<std::string> changed;
  {
    std::lock_guard lock(mu_);
    changed.swap(changed_);
  }
  if (changed.empty() || !active_() || !was_active_) {
    return;
  }
  const auto built = builder_.delta(headerNow(false), changed, state_.servicesNamed(changed));
  if (!built) {
    return;
  }
  send(*built);
  delta_sent_.inc();
}

void SummaryPublisher::send(const Built& built) {
  const std::string bytes = encodeSummary(built.summary);
  bool failed = false;
  for (const auto& subject :
       {subjects::hubSummary(settings_.hub_id), std::string(subjects::kGlobalHealth)}) {
    if (auto st = publish_(subject, bytes); !st.ok()) {
      failed = true;
      logger_->debug("federation: cannot publish on {}: {}", subject, st.error().describe());
    }
  }
  if (failed) {
    errors_.inc();
  }
  bytes_.inc(bytes.size());
  for (const auto& e : built.catalog) {
    const bool reg = e.change == CatalogChange::Registered;
    const auto subject = reg ? subjects::hubServiceRegistered(settings_.hub_id)
                             : subjects::hubServiceDeregistered(settings_.hub_id);
    if (auto st = publish_(subject, encodeCatalogEvent(e)); !st.ok()) {
      errors_.inc();
    }
    (reg ? registered_ : deregistered_).inc();
  }
}

}  // namespace vitals::hub::federation
