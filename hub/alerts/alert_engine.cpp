#include "hub/alerts/alert_engine.hpp"

#include <map>

#include "hub/notify/notification.hpp"

namespace vitals::hub::alerts {
namespace {

IncidentKind kindOfChange(const Change& c) {
  if (c.cause == policy::Cause::AgentsGroup) {
    return IncidentKind::Agents;
  }
  return c.cause == policy::Cause::LogRate ? IncidentKind::LogRate : IncidentKind::Status;
}

std::optional<std::int64_t> silenceFor(const std::vector<Silence>& silences,
                                       const std::string& service, const std::string& agent,
                                       const std::string& check, SystemTime at) {
  for (const auto& s : silences) {
    if (covers(s, service, agent, check, at)) {
      return s.id;
    }
  }
  return std::nullopt;
}

}  // namespace

AlertEngine::AlertEngine(Connector connect, const Clock& clock, const LiveView& live,
                         policy::ServiceRules rules, EngineSettings settings, metrics::Registry& r,
                         std::shared_ptr<spdlog::logger> logger)
    : connect_(std::move(connect)),
      clock_(clock),
      live_(live),
      rules_(std::move(rules)),
      settings_(std::move(settings)),
      logger_(std::move(logger)),
      changes_(
          r.counter("vitals_alert_changes_total", "Status changes handled by the alert policy")),
      superseded_(r.counter("vitals_alert_changes_superseded_total",
                            "Backlog changes older than max_notify_age skipped for a newer one")),
      notifications_(r.counter("vitals_alert_notifications_total",
                               "Notification intents written to the outbox")),
      errors_(r.counter("vitals_alert_engine_errors_total",
                        "Alert policy passes that failed (retried)")) {}

AlertEngine::~AlertEngine() { stop(); }

void AlertEngine::start() {
  thread_ = std::thread([this] { run(); });
}

void AlertEngine::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void AlertEngine::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void AlertEngine::onTransitions(const std::vector<policy::Transition>&) { wake(); }

std::string AlertEngine::inhibitorOf(const std::string& service) const {
  const auto it = rules_.find(service);
  if (it == rules_.end()) {
    return "";
  }
  for (const auto& dep : it->second.depends_on) {
    if (live_.statusOf(dep) == HealthStatus::Down) {
      return dep;
    }
  }
  return "";
}

Status AlertEngine::refreshConfigs(AlertStore& store) {
  auto fingerprint = store.alertConfigsFingerprint();
  if (!fingerprint.ok()) {
    return fingerprint.error();
  }
  if (fingerprint.value() != configs_fingerprint_) {
    configs_.clear();
    configs_fingerprint_ = std::move(fingerprint.value());
  }
  return okStatus();
}

const notify::AlertConfig& AlertEngine::configFor(AlertStore& store, const std::string& service) {
  auto it = configs_.find(service);
  if (it != configs_.end()) {
    return it->second;
  }
  notify::AlertConfig cfg = settings_.defaults;
  cfg.service = service;
  auto stored = store.alertConfig(service);
  if (!stored.ok()) {
    // The defaults are a safe answer: the change is still notified.
    logger_->warn("alert config of {} unreadable, using defaults: {}", service,
                  stored.error().describe());
    configs_fingerprint_.clear();  // read every config again next time
  } else if (stored->has_value()) {
    cfg = **stored;
  }
  return configs_.emplace(service, std::move(cfg)).first->second;
}

Status AlertEngine::apply(AlertStore& store, Plan& plan, SystemTime now, int& enqueued) {
  if (!plan.incident) {
    return okStatus();
  }
  Incident& i = *plan.incident;
  if (auto s = store.save(i); !s.ok()) {
    return s;
  }
  if (auto s = store.addEvents(i.id, plan.events, now); !s.ok()) {
    return s;
  }
  for (const auto& o : plan.notify) {
    notify::Notification n;
    n.incident = std::to_string(i.id);
    n.transition = o.label;
    n.channel = o.channel;
    n.service = i.service;
    n.from_status = std::string(toString(o.from));
    n.to_status = std::string(toString(o.to));
    n.summary = o.summary;
    n.at = now;
    auto added = store.enqueue(n);
    if (!added.ok()) {
      return added.error();
    }
    if (added.value()) {
      ++enqueued;
    }
  }
  return okStatus();
}

Result<int> AlertEngine::processChanges(AlertStore& store) {
  const SystemTime now = clock_.now();
  int handled = 0;
  int enqueued = 0;
  auto s = store.transaction([&]() -> Status {
    handled = 0;
    enqueued = 0;
    auto cursor = store.lockCursor();
    if (!cursor.ok()) {
      return cursor.error();
    }
    auto changes = store.changesAfter(cursor.value(), settings_.batch_size);
    if (!changes.ok()) {
      return changes.error();
    }
    if (changes->empty()) {
      return okStatus();
    }
    std::map<std::pair<std::string, IncidentKind>, std::int64_t> newest;
    SystemTime oldest = now;
    for (const auto& c : changes.value()) {
      newest[{c.service, kindOfChange(c)}] = c.id;
      oldest = std::min(oldest, c.at);
    }
    auto silences = store.silences(oldest, now + std::chrono::seconds{1});
    if (!silences.ok()) {
      return silences.error();
    }
    if (auto r = refreshConfigs(store); !r.ok()) {
      return r;
    }
    for (const auto& c : changes.value()) {
      const auto kind = kindOfChange(c);
      if (newest[{c.service, kind}] != c.id && now - c.at > settings_.max_notify_age) {
        superseded_.inc();
        continue;
      }
      // A service's first window that is no problem (from == to, unknown or healthy) changes
      // nothing whatever its incidents say (onChange returns an empty plan): no queries for it.
      // A registration storm records one per new service.
      if (kind == IncidentKind::Status && c.from == c.to &&
          (c.to == HealthStatus::Unknown || c.to == HealthStatus::Healthy) &&
          c.cause != policy::Cause::Stopped && c.cause != policy::Cause::Removed &&
          c.cause != policy::Cause::Resumed) {
        continue;
      }
      std::optional<Incident> open;
      if (kind != IncidentKind::Agents) {
        auto found = store.openIncident(c.service, kind);
        if (!found.ok()) {
          return found.error();
        }
        open = std::move(found.value());
      }
      if (!open && c.cause == policy::Cause::Resumed) {
        // Back within the restart grace: the incident its stop resolved goes on.
        auto pending = store.stopPendingIncident(c.service);
        if (!pending.ok()) {
          return pending.error();
        }
        open = std::move(pending.value());
      }
      const auto& cfg = configFor(store, c.service);
      const Circumstances cx{cfg,
                             silenceFor(silences.value(), c.service, c.agent, c.check, c.at),
                             kind == IncidentKind::Status ? inhibitorOf(c.service) : "",
                             now,
                             settings_.restart_grace,
                             &settings_.quiet_stop_channels};
      auto plan = onChange(open, c, cx);
      if (auto a = apply(store, plan, now, enqueued); !a.ok()) {
        return a;
      }
    }
    handled = static_cast<int>(changes->size());
    return store.advanceCursor(changes->back().id);
  });
  if (!s.ok()) {
    return s.error();
  }
  changes_.inc(static_cast<std::uint64_t>(handled));
  if (enqueued > 0) {
    notifications_.inc(static_cast<std::uint64_t>(enqueued));
    if (on_enqueued_) {
      on_enqueued_();
    }
  }
  return handled;
}

Result<int> AlertEngine::tick(AlertStore& store) {
  const SystemTime now = clock_.now();
  int changed = 0;
  int enqueued = 0;
  auto s = store.transaction([&]() -> Status {
    changed = 0;
    enqueued = 0;
    if (auto r = refreshConfigs(store); !r.ok()) {
      return r;
    }
    // Clean stops whose restart grace has passed: "monitoring stopped", unless the agent is back.
    auto due = store.lockDueStopNotices(now, 1000);
    if (!due.ok()) {
      return due.error();
    }
    for (const auto& i : due.value()) {
      auto stopped = store.agentStillStopped(i.agent);
      if (!stopped.ok()) {
        return stopped.error();
      }
      const auto& cfg = configFor(store, i.service);
      const Circumstances cx{
          cfg, std::nullopt, "", now, settings_.restart_grace, &settings_.quiet_stop_channels};
      auto plan = onStopDue(i, cx, stopped.value());
      if (auto a = apply(store, plan, now, enqueued); !a.ok()) {
        return a;
      }
      ++changed;
    }
    auto open = store.lockOpenIncidents(1000);
    if (!open.ok()) {
      return open.error();
    }
    if (open->empty()) {
      return okStatus();
    }
    auto silences = store.silences(now, now + std::chrono::microseconds{1});
    if (!silences.ok()) {
      return silences.error();
    }
    for (const auto& i : open.value()) {
      const auto& cfg = configFor(store, i.service);
      const Circumstances cx{cfg,
                             silenceFor(silences.value(), i.service, i.agent, i.check, now),
                             i.kind == IncidentKind::Status ? inhibitorOf(i.service) : "",
                             now,
                             settings_.restart_grace,
                             &settings_.quiet_stop_channels};
      const bool flapping_now = i.kind == IncidentKind::Status && live_.flapping(i.agent, i.check);
      auto plan = onTick(i, cx, flapping_now);
      if (!plan.incident) {
        continue;
      }
      if (auto a = apply(store, plan, now, enqueued); !a.ok()) {
        return a;
      }
      ++changed;
    }
    return okStatus();
  });
  if (!s.ok()) {
    return s.error();
  }
  if (enqueued > 0) {
    notifications_.inc(static_cast<std::uint64_t>(enqueued));
    if (on_enqueued_) {
      on_enqueued_();
    }
  }
  return changed;
}

Result<int> AlertEngine::processChanges(store::PgConnection& conn) {
  PgAlertStore store(conn, clock_);
  return processChanges(store);
}

Result<int> AlertEngine::tick(store::PgConnection& conn) {
  PgAlertStore store(conn, clock_);
  return tick(store);
}

void AlertEngine::run() {
  std::unique_ptr<store::PgConnection> conn;
  auto next_tick = clock_.steadyNow();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, settings_.tick_interval, [this] { return woken_ || stopping_; });
      if (stopping_) {
        return;
      }
      woken_ = false;
    }
    if (!conn || !conn->ok()) {
      auto c = connect_();
      if (!c.ok()) {
        errors_.inc();
        logger_->warn("alert engine: database unavailable: {}", c.error().describe());
        continue;  // the wait above paces the retries
      }
      conn = std::move(c.value());
    }
    // Drain the log (a backlog comes in batches), then the timers at their interval.
    for (;;) {
      auto n = processChanges(*conn);
      if (!n.ok()) {
        errors_.inc();
        logger_->warn("alert engine: changes not processed (retrying): {}", n.error().describe());
        break;
      }
      if (n.value() < settings_.batch_size) {
        break;
      }
    }
    if (clock_.steadyNow() >= next_tick) {
      next_tick = clock_.steadyNow() + settings_.tick_interval;
      if (auto t = tick(*conn); !t.ok()) {
        errors_.inc();
        logger_->warn("alert engine: timers not processed (retrying): {}", t.error().describe());
      }
    }
  }
}

}  // namespace vitals::hub::alerts
