#include "agent/scheduler/probe_scheduler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/config/yaml_reader.hpp"

namespace vitals::agent {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr double kJitter = 0.2;  // retry delays vary by +-20% so failing checks don't align

}  // namespace

struct ProbeScheduler::Entry {
  ScheduledCheck check;
  std::unique_ptr<Probe> probe;
  CheckState state;
  TimerId next_timer = 0;
  TimerId timeout_timer = 0;
  std::uint64_t run_id = 0;
  bool in_flight = false;  // the probe has not called back yet (even after a timeout)
  bool awaiting = false;   // the current run has not produced its result yet
  SteadyTime run_started{};
  std::uint32_t attempt = 1;  // of the next or current run
  metrics::Counter* runs = nullptr;
  metrics::Counter* skipped = nullptr;
  metrics::Counter* timeouts = nullptr;
  metrics::Counter* late = nullptr;
};

ScheduledCheck scheduledCheck(const CheckConfig& c) {
  ScheduledCheck s;
  s.name = c.name;
  s.service = c.service;
  s.kind = c.kind;
  s.interval = c.interval;
  s.timeout = c.timeout;
  s.retry_backoff = c.retry_backoff;
  s.thresholds.retries = c.retries;
  s.thresholds.recover = c.recover;
  if (c.degraded_latency) {
    s.thresholds.degraded_latency = duration_cast<microseconds>(*c.degraded_latency);
  }
  return s;
}

milliseconds retryDelay(milliseconds backoff, std::uint32_t failures, milliseconds interval,
                        Random& random) {
  const std::uint32_t exponent = std::min<std::uint32_t>(failures == 0 ? 0 : failures - 1, 40);
  const double base =
      static_cast<double>(backoff.count()) * std::ldexp(1.0, static_cast<int>(exponent));
  const double factor = 1.0 + kJitter * (2.0 * random.uniform() - 1.0);
  const double jittered = base * factor;
  const double cap = static_cast<double>(interval.count());
  return milliseconds{static_cast<std::int64_t>(std::min(jittered, cap))};
}

ProbeScheduler::ProbeScheduler(Clock& clock, Timers& timers, Random& random, Sink sink,
                               metrics::Registry& metrics, std::shared_ptr<spdlog::logger> logger)
    : clock_(clock),
      timers_(timers),
      random_(random),
      sink_(std::move(sink)),
      metrics_(metrics),
      logger_(std::move(logger)) {}

ProbeScheduler::~ProbeScheduler() { stop(); }

void ProbeScheduler::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  for (auto& e : entries_) {
    timers_.cancel(e->next_timer);
    timers_.cancel(e->timeout_timer);
    e->awaiting = false;
  }
}

CheckState ProbeScheduler::state(const std::string& name) const {
  for (const auto& e : entries_) {
    if (e->check.name == name) {
      return e->state;
    }
  }
  return CheckState{};
}

void ProbeScheduler::add(ScheduledCheck check, std::unique_ptr<Probe> probe) {
  auto entry = std::make_unique<Entry>();
  const std::string labels = "check=\"" + check.name + "\"";
  entry->runs = &metrics_.counter("vitals_agent_check_runs_total", "Probe runs started", labels);
  entry->skipped = &metrics_.counter(
      "vitals_agent_check_skipped_total",
      "Runs not started because the previous run of the check had not returned", labels);
  entry->timeouts = &metrics_.counter("vitals_agent_check_timeouts_total",
                                      "Runs that hit the check timeout", labels);
  entry->late =
      &metrics_.counter("vitals_agent_check_late_outcomes_total",
                        "Probe outcomes that arrived after their timeout (ignored)", labels);
  entry->check = std::move(check);
  entry->probe = std::move(probe);
  Entry& e = *entry;
  entries_.push_back(std::move(entry));
  if (stopped_) {
    return;
  }
  // Spread first runs over the interval so checks added together never stampede.
  const auto offset = duration_cast<SteadyTime::duration>(std::chrono::duration<double, std::milli>(
      random_.uniform() * static_cast<double>(e.check.interval.count())));
  scheduleAt(e, clock_.steadyNow() + offset);
}

void ProbeScheduler::scheduleAt(Entry& e, SteadyTime when) {
  std::weak_ptr<bool> alive = alive_;
  e.next_timer = timers_.scheduleAt(when, [this, alive, &e] {
    if (alive.expired()) {
      return;
    }
    e.next_timer = 0;
    turn(e);
  });
}

void ProbeScheduler::turn(Entry& e) {
  if (stopped_) {
    return;
  }
  const SteadyTime now = clock_.steadyNow();
  if (e.in_flight) {
    // The probe from an earlier run is still busy (it outlived its timeout). Never run a check
    // twice at once; report the hang as a timeout so the check cannot look healthy.
    e.skipped->inc();
    logger_->warn("check {}: previous run has not returned; skipping this run", e.check.name);
    e.run_started = now;
    ProbeOutcome o =
        ProbeOutcome::down(FailureKind::Timeout, duration_cast<microseconds>(e.check.timeout),
                           "skipped: the previous run has not returned");
    e.awaiting = true;
    finish(e, std::move(o));
    return;
  }
  const std::uint64_t id = ++e.run_id;
  e.in_flight = true;
  e.awaiting = true;
  e.run_started = now;
  e.runs->inc();
  std::weak_ptr<bool> alive = alive_;
  e.timeout_timer = timers_.scheduleAt(now + e.check.timeout, [this, alive, &e, id] {
    if (!alive.expired()) {
      onTimeout(e, id);
    }
  });
  try {
    e.probe->run(e.check.timeout, [this, alive, &e, id](ProbeOutcome outcome) {
      if (!alive.expired()) {
        onOutcome(e, id, std::move(outcome));
      }
    });
  } catch (const std::exception& ex) {
    // A probe that cannot start is a failed run, not a crashed agent.
    if (e.run_id == id && e.in_flight) {
      onOutcome(e, id,
                ProbeOutcome::down(FailureKind::Error, microseconds{0},
                                   std::string("probe failed to start: ") + ex.what()));
    }
  }
}

void ProbeScheduler::onOutcome(Entry& e, std::uint64_t run_id, ProbeOutcome outcome) {
  if (run_id != e.run_id) {
    return;  // from a run superseded long ago
  }
  e.in_flight = false;
  if (!e.awaiting) {
    e.late->inc();
    logger_->debug("check {}: outcome after timeout ignored: {}", e.check.name, outcome.message);
    return;
  }
  timers_.cancel(e.timeout_timer);
  e.timeout_timer = 0;
  finish(e, std::move(outcome));
}

void ProbeScheduler::onTimeout(Entry& e, std::uint64_t run_id) {
  e.timeout_timer = 0;
  if (run_id != e.run_id || !e.awaiting) {
    return;
  }
  e.timeouts->inc();
  finish(e, ProbeOutcome::down(FailureKind::Timeout, duration_cast<microseconds>(e.check.timeout),
                               "timed out after " + config::formatDuration(e.check.timeout)));
}

void ProbeScheduler::finish(Entry& e, ProbeOutcome outcome) {
  e.awaiting = false;
  const CheckState before = e.state;
  e.state = apply(before, outcome, e.check.thresholds);

  CheckResult r;
  r.service = e.check.service;
  r.check = e.check.name;
  r.kind = e.check.kind;
  r.status = e.state.status;
  r.raw_status = outcome.raw_status;
  r.latency = outcome.latency;
  r.message = outcome.message;
  r.details = std::move(outcome.details);
  r.observed_at = clock_.now();
  r.failure_kind = outcome.failure_kind;
  r.attempt = e.attempt;
  r.consecutive_failures = e.state.consecutive_failures;

  if (before.status != e.state.status) {
    logger_->info("check {}: {} -> {} ({})", e.check.name, toString(before.status),
                  toString(e.state.status), r.message);
  } else {
    logger_->debug("check {}: {} attempt {} ({})", e.check.name, toString(e.state.status),
                   r.attempt, r.message);
  }

  // Next run: a retry after backoff while a failing check is not down yet, else one interval
  // after this run started.
  const SteadyTime now = clock_.steadyNow();
  const bool failed = outcome.raw_status == HealthStatus::Down;
  if (failed && e.state.status != HealthStatus::Down) {
    const auto delay =
        retryDelay(e.check.retry_backoff, e.state.consecutive_failures, e.check.interval, random_);
    e.attempt += 1;
    if (!stopped_) {
      scheduleAt(e, now + delay);
    }
  } else {
    e.attempt = 1;
    if (!stopped_) {
      scheduleAt(e, std::max(now, e.run_started + e.check.interval));
    }
  }

  try {
    sink_(std::move(r));
  } catch (const std::exception& ex) {
    logger_->error("check {}: result sink threw: {}", e.check.name, ex.what());
  }
}

}  // namespace vitals::agent
