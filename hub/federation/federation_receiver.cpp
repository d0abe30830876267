#include "hub/federation/federation_receiver.hpp"

#include "hub/federation/summary_validator.hpp"

namespace vitals::hub::federation {
namespace {

HealthStatus derived(const RemoteHub& h) {
  if (h.stale) {
    return HealthStatus::Down;
  }
  if (h.overall_status == "healthy") {
    return HealthStatus::Healthy;
  }
  if (h.overall_status == "degraded") {
    return HealthStatus::Degraded;
  }
  if (h.overall_status == "down") {
    return HealthStatus::Down;
  }
  return HealthStatus::Unknown;
}

std::chrono::milliseconds sweepEvery(std::chrono::milliseconds stale_after) {
  return std::clamp(stale_after / 10, std::chrono::milliseconds{100},
                    std::chrono::milliseconds{1000});
}

}  // namespace

std::string hubServiceName(const std::string& hub_id) { return "hub:" + hub_id; }

FederationReceiver::FederationReceiver(std::string own_id, FederationSettings settings,
                                       const Clock& clock, Timers& timers, GlobalView& view,
                                       FederationStore& store, metrics::Registry& registry,
                                       std::shared_ptr<spdlog::logger> logger,
                                       HubStatusHook on_hub_status, HubChangeHook on_hub_change)
    : own_id_(std::move(own_id)),
      settings_(std::move(settings)),
      clock_(clock),
      timers_(timers),
      view_(view),
      store_(store),
      logger_(std::move(logger)),
      on_hub_status_(std::move(on_hub_status)),
      on_hub_change_(std::move(on_hub_change)),
      alert_on_(settings_.alert_on.begin(), settings_.alert_on.end()),
      received_(registry.counter("vitals_federation_received_total",
                                 "Hub summaries accepted from other hubs")),
      store_errors_(registry.counter("vitals_federation_store_errors_total",
                                     "Registry or global view writes that failed")),
      fresh_(registry.gauge("vitals_federation_hubs", "Remote hubs known", "state=\"fresh\"")),
      stale_(registry.gauge("vitals_federation_hubs", "Remote hubs known", "state=\"stale\"")),
      remote_services_(registry.gauge("vitals_federation_remote_services",
                                      "Services of other hubs in the global view")) {
  for (const char* reason : kDropReasons) {
    dropped_[reason] =
        &registry.counter("vitals_federation_dropped_total", "Hub summaries dropped, by reason",
                          std::string("reason=\"") + reason + "\"");
  }
}

void FederationReceiver::start() {
  stopped_ = false;
  if (auto snap = store_.load(); snap.ok()) {
    view_.restore(std::move(snap->hubs), std::move(snap->services), clock_.steadyNow());
    logger_->info("federation: {} remote hub(s) restored, stale until heard again",
                  view_.hubs().size());
  } else {
    logger_->warn("federation: cannot load the stored registry: {}", snap.error().describe());
    store_errors_.inc();
  }
  updateGauges();
  scheduleSweep();
}

void FederationReceiver::stop() {
  stopped_ = true;
  timers_.cancel(sweep_timer_);
}

void FederationReceiver::scheduleSweep() {
  sweep_timer_ =
      timers_.scheduleAfter(clock_.steadyNow(), sweepEvery(settings_.stale_after), [this] {
        if (stopped_) {
          return;
        }
        sweep();
        scheduleSweep();
      });
}

void FederationReceiver::onMessage(const std::string& subject, std::string_view data) {
  const SystemTime now = clock_.now();
  auto valid = validateSummary(subject, data, own_id_, now, settings_);
  if (!valid.ok()) {
    dropped_.at(valid.error().code)->inc();
    logger_->debug("federation: dropped a summary on {} ({}): {}", subject, valid.error().code,
                   valid.error().message);
    return;
  }
  const auto before = view_.hub(valid.value().hub_id);
  auto applied = view_.apply(valid.value(), now, clock_.steadyNow());
  notifyChange(before, applied.hub,
               !before || !before->last_heard_at || applied.became_fresh ? "heard" : "updated");
  if (applied.became_fresh) {
    logger_->info("federation: hub {} heard again", applied.hub.id);
  }
  if (!applied.accepted) {
    dropped_.at(applied.drop_reason)->inc();
    persist(applied.hub, {}, {});  // it is alive, though its delta could not be used
    watch(applied.hub);
    updateGauges();
    return;
  }
  received_.inc();
  persist(applied.hub, applied.upserted, applied.removed);
  watch(applied.hub);
  updateGauges();
}

void FederationReceiver::sweep() {
  for (const auto& hub : view_.sweep(clock_.steadyNow(), settings_.stale_after)) {
    logger_->warn("federation: hub {} stale (no summary for {} ms)", hub.id,
                  settings_.stale_after.count());
    persist(hub, {}, {});
    watch(hub);
    if (on_hub_change_) {
      on_hub_change_(hub, "stale");
    }
  }
  updateGauges();
}

void FederationReceiver::notifyChange(const std::optional<RemoteHub>& before,
                                      const RemoteHub& after, std::string_view change) {
  if (!on_hub_change_) {
    return;
  }
  // What a dashboard shows of a hub; the times move with every summary and are left out.
  const auto seen = [](const RemoteHub& h) {
    return std::tie(h.url, h.version, h.overall_status, h.services_total, h.services_up,
                    h.services_degraded, h.services_down, h.services_unknown, h.agents_online,
                    h.agents_total, h.open_incidents, h.stale);
  };
  if (before && before->last_heard_at && seen(*before) == seen(after)) {
    return;
  }
  on_hub_change_(after, change);
}

Result<RemoteHub> FederationReceiver::announce(const std::string& id, const std::string& url,
                                               const std::string& version,
                                               const std::vector<std::string>& capabilities) {
  auto hub = view_.announce(id, url, version, capabilities, clock_.now());
  if (auto st = store_.save(hub, {}, {}); !st.ok()) {
    store_errors_.inc();
    return st.error();
  }
  if (on_hub_change_) {
    on_hub_change_(hub, "registered");
  }
  return hub;
}

std::uint64_t FederationReceiver::dropped(const std::string& reason) const {
  auto it = dropped_.find(reason);
  return it == dropped_.end() ? 0 : it->second->value();
}

void FederationReceiver::persist(const RemoteHub& hub, const std::vector<RemoteService>& upserted,
                                 const std::vector<std::string>& removed) {
  if (auto st = store_.save(hub, upserted, removed); !st.ok()) {
    // The memory view stays right; the rows catch up with the next full summary.
    store_errors_.inc();
    logger_->warn("federation: cannot store hub {}: {}", hub.id, st.error().describe());
  }
}

void FederationReceiver::watch(const RemoteHub& hub) {
  if (!on_hub_status_ || !alert_on_.contains(hub.id)) {
    return;
  }
  const HealthStatus now_status = derived(hub);
  auto it = reported_.find(hub.id);
  const HealthStatus before = it == reported_.end() ? HealthStatus::Unknown : it->second;
  if (it != reported_.end() && before == now_status) {
    return;
  }
  reported_[hub.id] = now_status;
  if (it == reported_.end() && now_status == HealthStatus::Unknown) {
    return;
  }
  policy::Transition t;
  t.service = hubServiceName(hub.id);
  t.from = before;
  t.to = now_status;
  t.at = clock_.now();
  t.reason = hub.stale ? "no summary from hub " + hub.id + " for " +
                             std::to_string(settings_.stale_after.count() / 1000) + " s"
                       : "hub " + hub.id + " reports " + hub.overall_status;
  t.cause = policy::Cause::Check;
  on_hub_status_(t);
}

void FederationReceiver::updateGauges() {
  double fresh = 0;
  double stale = 0;
  for (const auto& h : view_.hubs()) {
    (h.stale ? stale : fresh) += 1;
  }
  fresh_.set(fresh);
  stale_.set(stale);
  remote_services_.set(static_cast<double>(view_.serviceCount()));
}

}  // namespace vitals::hub::federation
